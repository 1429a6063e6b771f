// Entry point of a spawned server (spawn.ts): starts the server with the options in argv[2],
// reports its port, then runs control requests from the parent until told to close.
import {writeFileSync} from 'node:fs'
import {Session} from 'node:inspector/promises'
import {PerformanceObserver, constants as perfConstants} from 'node:perf_hooks'
import {startSuiServer} from './index.ts'
import type {ControlReply, ControlRequest, ServerUsage} from './spawn.ts'

const sui = await startSuiServer(JSON.parse(process.argv[2] ?? '{}'))
const {ledger, faults} = sui

// GC pauses by kind, for usage(): a server holding gigabytes of checkpoints pays for every major
// GC in proportion to its heap, which a benchmark must be able to see.
const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-sweep-compact',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
}
const gcMs: Record<string, number> = {}
let gcCount = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = GC_KINDS[((entry as {detail?: unknown}).detail as {kind?: number} | undefined)?.kind ?? -1] ?? 'other'
    gcMs[kind] = (gcMs[kind] ?? 0) + entry.duration
    gcCount += 1
  }
}).observe({entryTypes: ['gc']})

function usage(): ServerUsage {
  const cpu = process.cpuUsage()
  const memory = process.memoryUsage()
  return {
    cpuMs: (cpu.user + cpu.system) / 1000,
    gcMs: {...gcMs},
    gcCount,
    heapUsedMb: memory.heapUsed / 2 ** 20,
    externalMb: (memory.external + memory.arrayBuffers) / 2 ** 20,
    rssMb: memory.rss / 2 ** 20,
  }
}

let profiler: Session | undefined

// Typed per method at the IPC boundary: arguments arrive as the parent sent them.
/* eslint-disable @typescript-eslint/no-explicit-any */
const handlers: Record<ControlRequest['method'], (...args: any[]) => unknown> = {
  generateTraffic: (opts) => ledger.generateTraffic(opts),
  produceCheckpoint: () => ledger.produceCheckpoint(),
  startProducing: (rate, traffic) => ledger.startProducing(rate, traffic),
  stopProducing: () => ledger.stopProducing(),
  setFaults: (settings) => void faults.set(settings),
  resetFaults: () => faults.reset(),
  callCounts: () => faults.callCounts(),
  callTimes: () => faults.callTimes(),
  serviceInfo: () => ledger.serviceInfo(),
  createAddress: (label) => ledger.createAddress(label),
  mint: (owner, coinType, amount, opts) => ledger.mint(owner, coinType, amount, opts).digest,
  transfer: (opts) => ledger.transfer(opts).digest,
  prune: (below) => ledger.prune(below),
  warmReadMask: (paths) => sui.warmReadMask(paths),
  warmTransactions: (digests, paths) => sui.warmTransactions(digests, paths),
  usage: () => usage(),
  collectGarbage: async () => {
    const session = new Session()
    session.connect()
    try {
      await session.post('HeapProfiler.collectGarbage')
    } finally {
      session.disconnect()
    }
  },
  startCpuProfile: async () => {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.start')
  },
  stopCpuProfile: async (path: string) => {
    if (!profiler) throw new Error('no CPU profile running')
    const {profile} = await profiler.post('Profiler.stop')
    writeFileSync(path, JSON.stringify(profile))
    profiler.disconnect()
    profiler = undefined
  },
  close: async () => {
    await sui.close()
    setImmediate(() => process.exit(0))
  },
}
/* eslint-enable @typescript-eslint/no-explicit-any */

process.on('message', (request: ControlRequest) => {
  void (async () => {
    let reply: ControlReply
    try {
      reply = {id: request.id, result: await handlers[request.method](...request.args)}
    } catch (error) {
      reply = {id: request.id, error: error instanceof Error ? error.message : String(error)}
    }
    process.send?.(reply)
  })()
})
// The parent going away takes the server with it.
process.on('disconnect', () => void sui.close().then(() => process.exit(0)))

process.send?.({ready: {port: sui.port, url: sui.url}} satisfies ControlReply)
