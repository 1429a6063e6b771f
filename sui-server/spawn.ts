// The same server in a child process, so a benchmark measures confio rather than the test server
// (both would otherwise share one event loop). The parent drives the child's ledger and faults
// over IPC; 'advanced' serialization carries bigints unchanged.
import {type ChildProcess, fork} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import type {SuiTestServerOptions} from './index.ts'
import type {FaultSettings} from './faults.ts'
import type {ServiceInfo, TransferOptions} from './ledger.ts'
import type {TrafficOptions, TrafficSummary} from './traffic.ts'

export interface SpawnedSuiServer {
  url: string
  port: number
  pid: number
  generateTraffic(opts: TrafficOptions): Promise<TrafficSummary>
  produceCheckpoint(): Promise<bigint>
  startProducing(checkpointsPerSecond: number, traffic?: Omit<TrafficOptions, 'checkpoints'>): Promise<void>
  stopProducing(): Promise<void>
  setFaults(settings: FaultSettings): Promise<void>
  resetFaults(): Promise<void>
  callCounts(): Promise<Record<string, number>>
  /** When each call since the last reset arrived, in ms of the server's clock (Faults.callTimes). */
  callTimes(): Promise<number[]>
  serviceInfo(): Promise<ServiceInfo>
  createAddress(label?: string): Promise<string>
  /** Returns the transaction digest. */
  mint(owner: string, coinType: string, amount: bigint, opts?: {addressBalance?: boolean}): Promise<string>
  /** Returns the transaction digest. */
  transfer(opts: TransferOptions): Promise<string>
  prune(belowSequence: bigint): Promise<void>
  /** Encode checkpoints sealed from now on for this read mask as they are sealed. */
  warmReadMask(paths: string[]): Promise<void>
  /** Encode these checkpointed transactions now for BatchGetTransactions with this mask; resolves to how many. */
  warmTransactions(digests: readonly string[], paths: readonly string[]): Promise<number>
  /**
   * The server process's own view of its costs since it started: CPU (all threads, so GC helper
   * threads count), time in GC pauses by kind, and heap. A benchmark reads it before and after a
   * phase to tell what the server spent serving that phase.
   */
  usage(): Promise<ServerUsage>
  /**
   * A full garbage collection in the server, now. A benchmark asks for one before each measured
   * phase: the server's heap holds every checkpoint it generated, and a major collection that
   * falls inside a phase would be counted against whichever read it slowed.
   */
  collectGarbage(): Promise<void>
  /** Starts the V8 CPU profiler in the server (a benchmark profiles one phase, not the set-up). */
  startCpuProfile(): Promise<void>
  /** Stops it and writes the .cpuprofile (open in Chrome DevTools) to `path`. */
  stopCpuProfile(path: string): Promise<void>
  close(): Promise<void>
}

export interface ServerUsage {
  cpuMs: number
  /** Sum of GC pause durations by kind (scavenge, mark-sweep-compact, incremental, weak callbacks). */
  gcMs: Record<string, number>
  gcCount: number
  heapUsedMb: number
  externalMb: number
  rssMb: number
}

/** The control messages child.ts understands; each answers with {id, result} or {id, error}. */
export type ControlMethod = Exclude<keyof SpawnedSuiServer, 'url' | 'port' | 'pid' | 'close'>
export interface ControlRequest {
  id: number
  method: ControlMethod | 'close'
  args: unknown[]
}
export type ControlReply = {id: number; result: unknown} | {id: number; error: string} | {ready: {port: number; url: string}}

export async function spawnSuiServer(opts: SuiTestServerOptions = {}): Promise<SpawnedSuiServer> {
  const child = fork(fileURLToPath(new URL('./child.ts', import.meta.url)), [JSON.stringify(opts)], {
    // The server keeps every checkpoint it sealed, and its encodings: bench:poll's full size (two
    // ranges of 10,000 mainnet-shaped checkpoints) holds 4.7 GB, past V8's default heap limit.
    execArgv: [...process.execArgv, '--max-old-space-size=12288'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const {port, url} = await ready(child)
  const pending = new Map<number, {resolve: (v: unknown) => void; reject: (e: Error) => void}>()
  let nextId = 0
  child.on('message', (message: ControlReply) => {
    if ('ready' in message) return
    const waiter = pending.get(message.id)
    pending.delete(message.id)
    if ('error' in message) waiter?.reject(new Error(message.error))
    else waiter?.resolve(message.result)
  })
  child.on('exit', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('sui test server process exited'))
    pending.clear()
  })
  const call = <T>(method: ControlRequest['method'], ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++
      pending.set(id, {resolve: resolve as (v: unknown) => void, reject})
      child.send({id, method, args} satisfies ControlRequest)
    })
  return {
    url,
    port,
    pid: child.pid ?? -1,
    generateTraffic: (o) => call('generateTraffic', o),
    produceCheckpoint: () => call('produceCheckpoint'),
    startProducing: (rate, traffic) => call('startProducing', rate, traffic),
    stopProducing: () => call('stopProducing'),
    setFaults: (settings) => call('setFaults', settings),
    resetFaults: () => call('resetFaults'),
    callCounts: () => call('callCounts'),
    callTimes: () => call('callTimes'),
    serviceInfo: () => call('serviceInfo'),
    createAddress: (label) => call('createAddress', label),
    mint: (owner, coinType, amount, o) => call('mint', owner, coinType, amount, o),
    transfer: (o) => call('transfer', o),
    prune: (below) => call('prune', below),
    warmReadMask: (paths) => call('warmReadMask', paths),
    warmTransactions: (digests, paths) => call('warmTransactions', digests, paths),
    usage: () => call('usage'),
    collectGarbage: () => call('collectGarbage'),
    startCpuProfile: () => call('startCpuProfile'),
    stopCpuProfile: (path) => call('stopCpuProfile', path),
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      await call('close').catch(() => undefined)
      await exited
    },
  }
}

function ready(child: ChildProcess): Promise<{port: number; url: string}> {
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`sui test server process exited with code ${code} before listening`)))
    child.on('message', (message: ControlReply) => {
      if ('ready' in message) resolve(message.ready)
    })
  })
}
