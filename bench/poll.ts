// bench/poll: `confio poll` end to end, against the goals of the poller issue.
//
//  1. catch-up: the real `confio poll --once` (a child process, resuming from the cursor) over
//     CHECKPOINTS mainnet-shaped checkpoints (60 transactions, 100,000 monitored accounts) into
//     PostgreSQL and the queue, once per share of relevant transactions (RELEVANT_SHARES, 1% and
//     10%: a wallet whose own tokens move a lot keeps far more than 1%), each over a range of its
//     own. End to end (process start to exit) against the goal of ≥ 400/s (100 × mainnet); and
//     without start-up (from its "monitored accounts loaded" line, when its reader starts, to its
//     last commit line) against the floor. The poller's first start (it records every account's coverage: seconds
//     with 100,000 accounts, once per install) is paid in setup, so every share is a restart.
//  2. the floor, the same range from the same server, in this process: the chain layer's screened
//     range read with the poller's own screen (RelevanceScreen over every monitored address and the
//     configured packages), storing nothing: the cheapest read that still looks at every
//     transaction. Goal: catch-up ≥ 0.8 of it at 1% relevant, ≥ 0.6 at 10%. Beside it the physical
//     limit, ListCheckpoints frames received with nothing decoded, and (for reference) the range
//     read that decodes every transaction. The floor and the stream are the median of BARE_REPEATS
//     reads. Every catch-up and every read starts right after a full garbage collection in the
//     server, once its sweeping is over: its heap holds every checkpoint, and one major collection
//     inside a 1–2 s read moved that read's rate by up to half.
//  3. live: the server seals 4 checkpoints/s (mainnet's rate) with relevant traffic while
//     `confio poll --mode stream` follows; latency per relevant transaction is
//     its job's creation time (bee-queue's timestamp) − timestamp_ms (one machine, one clock); goal p99 ≤ 100 ms.
//     Its peak RSS (VmHWM) against the same 300 MB as (4): a catch-up must not pile up frames or garbage.
//  4. memory: `confio poll` with RSS_ACCOUNTS monitored accounts, following until it has loaded
//     them and committed a batch, and a few seconds more; its peak RSS (VmHWM: the kernel's record
//     of the process's highest, not a sample); goal ≤ 300 MB.
//
// The Sui server is the local test server in its own process (spawnSuiServer), serving
// checkpoints it encoded when it sealed them, and the relevant transactions' details encoded in
// setup (warmTransactions), so the figures are confio's. Everything runs on a
// scratch database (dropped at the end) and a Redis prefix of its own (deleted at the end).
// A measurement, not a test: it prints figures and "met" / "NOT met" (reportFigures: with
// `npm run bench` they go to bench/results/latest.json), and fails only when a run turns out broken
// (missing rows, a cursor in the wrong place, a read that saw fewer transactions), since such figures
// would be worthless.
//
//   npm run bench:poll
//   CHECKPOINTS=2000 LIVE_SECONDS=20 npm run bench:poll     (a quicker run)
//   CPU_PROF=1 npm run bench:poll                            (profiles the catch-up child, and the Sui server
//                                                              during the catch-up and the range read, into bench/out/,
//                                                              and prints where the poller's main thread spent each
//                                                              catch-up: bench/poller-profile.ts)
//
// Environment: CHECKPOINTS (10000 per share), TX_PER_CHECKPOINT (60), RELEVANT_SHARES (0.01,0.10: the
// catch-ups), RELEVANT_SHARE (0.01: the live and memory phases), ACCOUNTS
// (100000), RELEVANT_ADDRESSES (1000: how many of the accounts the relevant traffic touches),
// CHUNK (250: checkpoints generated per request), LIVE_SECONDS (45; 0 skips), LIVE_RATE (4),
// RSS_ACCOUNTS (1000000; 0 skips), RSS_SECONDS (5: following after the first commit), BARE_REPEATS (3: floor and stream reads per share, the median kept), CPU_PROF,
// POLLER_NODE_OPTIONS (for the catch-up child), CONFIO_TEST_PG,
// CONFIO_TEST_REDIS; and the pollers' own settings, e.g. POLL_READING_THREAD=on (read on a thread
// of its own).
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {availableParallelism, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {openChainReader} from '../src/chain/index.ts'
import {createSuiClient} from '../src/chain/transport/grpc-client-factory.ts'
import {CheckpointMethods} from '../src/chain/wire/checkpoint-methods.ts'
import {CHECKPOINT_READ_MASK, EVENT_CONTENTS_READ_MASK, fieldMask} from '../src/chain/wire/read-masks.ts'
import {loadConfig} from '../src/config/config.ts'
import {AddressSet} from '../src/ingest/address-set.ts'
import {RelevanceScreen} from '../src/ingest/relevance-screen.ts'
import {POLLER_CURSOR} from '../src/ingest/poller-cursor.ts'
import type {Database} from '../src/store/database.ts'
import {nearestRank} from '../src/support/percentiles.ts'
import {sleep} from '../src/support/sleep.ts'
import {
  type FigureInput, confioEnv, cpuMsOf, createScratchDatabase, fmt, insertAccounts, jobCreatedAt, num, procStatus, queueCounts, releaseScratch, reportFigures, scratchFor, seconds, untilQuiet,
} from './bench-support.ts'
import {localChainOptions, unlimitedDeps} from './local-chain.ts'
import {pollerStages} from './poller-profile.ts'
import {type ServerUsage, type SpawnedSuiServer, spawnSuiServer} from '../sui-server/index.ts'
import {externalMemoryFlags} from '../bin/heap-limit.js'

// The floor is read in this process: it runs with the V8 setting the poller's reading gains from
// (bin/heap-limit.js counts external memory in the global heap limit), or it would stop being the
// cheapest read. Re-executed in place before anything is measured.
const missingFlags = externalMemoryFlags().filter((flag) => !process.execArgv.includes(flag))
if (missingFlags.length > 0) process.execve?.(process.execPath, [process.execPath, ...process.execArgv, ...missingFlags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], process.env)

const CHECKPOINTS = num('CHECKPOINTS', 10_000)
const TX_PER_CHECKPOINT = num('TX_PER_CHECKPOINT', 60)
/** The live and memory phases' share of relevant transactions. */
const RELEVANT_SHARE = num('RELEVANT_SHARE', 0.01)
/** A catch-up per share, each over CHECKPOINTS checkpoints of its own. */
const RELEVANT_SHARES = shareList('RELEVANT_SHARES', [0.01, 0.1])
const ACCOUNTS = num('ACCOUNTS', 100_000)
const RELEVANT_ADDRESSES = num('RELEVANT_ADDRESSES', 1_000)
const CHUNK = Math.max(1, num('CHUNK', 250))
const LIVE_SECONDS = num('LIVE_SECONDS', 45)
const LIVE_RATE = num('LIVE_RATE', 4)
const RSS_ACCOUNTS = num('RSS_ACCOUNTS', 1_000_000)
const RSS_SECONDS = num('RSS_SECONDS', 5)
const CPU_PROF = Boolean(process.env.CPU_PROF)
/** Node options for the catch-up child only (e.g. a heap limit), space-separated. */
const POLLER_NODE_OPTIONS = (process.env.POLLER_NODE_OPTIONS ?? '').split(' ').filter(Boolean)
const BARE_REPEATS = Math.max(1, num('BARE_REPEATS', 3))

const GOAL_CATCH_UP_CPS = 400
/** Catch-up as a share of the bare range read: at every share of relevant transactions, and at 1% (issue 15). */
const GOAL_OF_SCREENED = 0.6
const GOAL_OF_SCREENED_AT_1_PERCENT = 0.8
const GOAL_P99_MS = 100
const GOAL_RSS_MB = 300

const SCRATCH = scratchFor('poll')
const {runId: RUN_ID, database: DATABASE, redisPrefix: REDIS_PREFIX} = SCRATCH
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const PROFILE_DIR = fileURLToPath(new URL('./out/', import.meta.url))

function shareList(name: string, fallback: number[]): number[] {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const shares = raw.split(',').map(Number)
  if (shares.some((s) => !Number.isFinite(s) || s < 0 || s > 1)) throw new Error(`${name}=${raw} is not a comma-separated list of shares between 0 and 1`)
  return shares
}


// ---- CPU time of PostgreSQL and Redis ----

/**
 * CPU time of every process with one of these command names (PostgreSQL backends, redis-server)
 * while it runs: backends exit with their connections, so /proc is sampled during the run and
 * each process's last reading kept.
 */
class CpuByName {
  private readonly names: string[]
  private readonly first = new Map<number, number>()
  private readonly last = new Map<number, {name: string; ms: number}>()
  private readonly timer: NodeJS.Timeout

  constructor(names: string[]) {
    this.names = names
    this.scan(true)
    this.timer = setInterval(() => this.scan(false), 250)
  }

  stop(): Record<string, number> {
    clearInterval(this.timer)
    return this.sofar()
  }

  /** CPU ms by name from the start to now. */
  sofar(): Record<string, number> {
    this.scan(false)
    const total: Record<string, number> = Object.fromEntries(this.names.map((n) => [n, 0]))
    for (const [pid, {name, ms}] of this.last) total[name]! += ms - (this.first.get(pid) ?? 0)
    return total
  }

  private scan(initial: boolean): void {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      const pid = Number(entry)
      let comm: string
      try {
        comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim()
      } catch {
        continue
      }
      const name = this.names.find((n) => comm.startsWith(n))
      const ms = name ? cpuMsOf(pid) : undefined
      if (!name || ms === undefined) continue
      if (initial) this.first.set(pid, ms)
      this.last.set(pid, {name, ms})
    }
  }
}

/** What the Sui server spent between two usage() readings: CPU (all threads), GC pauses, heap. */
function serverSpent(before: ServerUsage, after: ServerUsage): string {
  const gc = Object.entries(after.gcMs)
    .map(([kind, ms]) => [kind, ms - (before.gcMs[kind] ?? 0)] as const)
    .filter(([, ms]) => ms >= 1)
    .map(([kind, ms]) => `${kind} ${seconds(ms)}`)
  return `Sui server CPU ${seconds(after.cpuMs - before.cpuMs)}, GC pauses ${after.gcCount - before.gcCount} (${gc.join(', ') || 'none'}), heap ${fmt(after.heapUsedMb)} MB + external ${fmt(after.externalMb)} MB`
}

/**
 * A full GC of the Sui server's heap (every checkpoint it holds), and the sweeping that follows it
 * on the server's other threads, over before a measured phase starts: that sweeping took 0.2 to
 * 0.4 s of CPU on the machine's two cores, at the start of whichever phase came next.
 */
async function collectServerGarbage(server: SpawnedSuiServer): Promise<void> {
  await server.collectGarbage()
  await untilQuiet(server.pid)
}

/** Runs `phase` with the Sui server's CPU profiled (CPU_PROF) and its usage reported. */
async function withServerUsage<T>(server: SpawnedSuiServer, name: string, phase: () => Promise<T>, profile = CPU_PROF): Promise<{result: T; spent: string}> {
  if (profile) await server.startCpuProfile()
  const before = await server.usage()
  const result = await phase()
  const after = await server.usage()
  if (profile) {
    const path = join(PROFILE_DIR, `sui-server-${name}-${RUN_ID}.cpuprofile`)
    await server.stopCpuProfile(path)
    console.log(`  CPU profile of the Sui server (${name}): ${path}`)
  }
  return {result, spent: serverSpent(before, after)}
}

// ---- a `confio poll` child process whose log lines are parsed as they arrive ----

interface LogLine {
  msg: string
  time: string
  /** When this process read the line (performance.now()). */
  seenAt: number
  [field: string]: unknown
}

class PollProcess {
  readonly child: ChildProcess
  readonly lines: LogLine[] = []
  readonly exited: Promise<number | null>
  readonly startedAt = performance.now()
  exitedAt = 0
  stderrTail = ''
  stdout = ''
  peakRssKb = 0
  /** The highest VmHWM read: the process's own peak (the kernel's), up to the last reading before it exits. */
  peakHwmKb = 0
  lastCpuMs = 0
  private readonly sampler: NodeJS.Timeout

  /** Called once per message, as its first line is read (catch-up: the machine's CPU when the reading starts). */
  onFirstLine: ((msg: string) => void) | undefined
  readonly #messages = new Set<string>()

  constructor(args: string[], env: Record<string, string>, nodeOptions: string[] = []) {
    this.child = spawn(process.execPath, [...nodeOptions, BIN, 'poll', ...args], {
      cwd: mkdtempSync(join(tmpdir(), 'confio-bench-poll-')),
      env: {...process.env, ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let partial = ''
    this.child.stderr?.on('data', (chunk: Buffer) => {
      const seenAt = performance.now()
      const text = partial + chunk.toString()
      const parts = text.split('\n')
      partial = parts.pop() ?? ''
      for (const part of parts) {
        this.stderrTail = (this.stderrTail + part + '\n').slice(-4000)
        try {
          const line = {...(JSON.parse(part) as LogLine), seenAt}
          if (!this.#messages.has(line.msg)) {
            this.#messages.add(line.msg)
            this.onFirstLine?.(line.msg)
          }
          this.lines.push(line)
        } catch {
          // not a log line (a warning from node): kept in stderrTail only
        }
      }
    })
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()))
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code) => {
        this.exitedAt = performance.now()
        resolve(code)
      }),
    )
    // Memory and CPU, sampled while it runs (the last sample is close to its end).
    this.sampler = setInterval(() => this.sample(), 100)
    this.exited.finally(() => clearInterval(this.sampler))
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  sample(): {rssKb: number; hwmKb: number} | undefined {
    const status = procStatus(this.pid)
    const cpu = cpuMsOf(this.pid)
    if (cpu !== undefined) this.lastCpuMs = cpu
    if (status) {
      this.peakRssKb = Math.max(this.peakRssKb, status.rssKb)
      this.peakHwmKb = Math.max(this.peakHwmKb, status.hwmKb)
    }
    return status
  }

  /** "<message> <seconds after spawn>" for the first line of each message, in that order. */
  milestones(messages: string[]): string {
    return messages
      .map((msg) => {
        const line = this.lines.find((l) => l.msg === msg)
        return `${msg} ${line ? seconds(line.seenAt - this.startedAt) : '—'}`
      })
      .join(', ')
  }

  commits(): LogLine[] {
    return this.lines.filter((l) => l.msg === 'checkpoints committed')
  }

  async waitFor(what: string, test: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const found = this.lines.find(test)
      if (found) return found
      if (this.child.exitCode !== null) throw new Error(`confio poll exited (${this.child.exitCode}) before ${what}:\n${this.stderrTail}`)
      if (performance.now() > deadline) throw new Error(`confio poll: no ${what} within ${timeoutMs} ms:\n${this.stderrTail}`)
      await sleep(50)
    }
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}

// ---- set-up ----

function pollEnv(server: SpawnedSuiServer): Record<string, string> {
  // info, not warn: the per-batch "checkpoints committed" lines (a few dozen in a catch-up) time
  // the run without process start-up, and "monitored accounts loaded" marks the memory reading.
  return confioEnv(SCRATCH, server.url, 'info')
}

async function cursorOf(db: Database): Promise<bigint | undefined> {
  const row = (await db('ingest_cursors').where({name: POLLER_CURSOR}).first()) as {checkpoint: string} | undefined
  return row ? BigInt(row.checkpoint) : undefined
}

// ---- phases ----

interface CatchUp {
  checkpoints: number
  wallMs: number
  /** From the accounts-loaded line to the last commit line: no process start, module loading, connecting or account loading. */
  workMs: number
  /** From the first commit log line to the last (the first batch's checkpoints excluded). */
  steadyCps: number
  firstCommitAfterMs: number
  /** When the start's milestones were logged, ms after spawn: what a start-up spends its time on. */
  startUp: string
  childCpuMs: number
  /** The poller's CPU from its accounts-loaded line to its exit (sampled every 100 ms). */
  workCpuMs: number
  peakHwmKb: number
  profile?: string
}

/** The line after which a catch-up's own work begins (checkpoint-reader.ts reads from then on). */
const ACCOUNTS_LOADED = 'monitored accounts loaded'

async function catchUp(server: SpawnedSuiServer, first: bigint, last: bigint, share: number, onLoaded: () => void): Promise<CatchUp> {
  const profileName = `poll-catch-up-${share}-${RUN_ID}.cpuprofile`
  const nodeOptions = [...POLLER_NODE_OPTIONS, ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${profileName}`] : [])]
  if (CPU_PROF) mkdirSync(PROFILE_DIR, {recursive: true})
  // It resumes from the cursor the previous range left, right before `first`.
  const poll = new PollProcess(['--once', '--json'], pollEnv(server), nodeOptions)
  let loadedCpuMs = Number.NaN
  poll.onFirstLine = (msg) => {
    if (msg !== ACCOUNTS_LOADED) return
    loadedCpuMs = cpuMsOf(poll.pid) ?? Number.NaN
    onLoaded()
  }
  const code = await poll.exited
  const wallMs = poll.exitedAt - poll.startedAt
  if (code !== 0) throw new Error(`confio poll --once exited with ${code}:\n${poll.stdout.slice(-2000)}\n${poll.stderrTail}`)
  const result = JSON.parse(poll.stdout) as {cursor: string; checkpoints: number; relevant: number}
  if (BigInt(result.cursor) !== last) throw new Error(`confio poll --once stopped at ${result.cursor}, expected ${last}`)
  const commits = poll.commits()
  const firstCommit = commits[0]
  const lastCommit = commits[commits.length - 1]
  // From the accounts loaded (the reader starts then: checkpoint-reader.ts) to the last commit: the
  // catch-up's own work, like for like with a read in this process that has its screen built,
  // whatever the range's length. Process start, modules, connections and the loading are start-up.
  const loaded = poll.lines.find((l) => l.msg === ACCOUNTS_LOADED)
  if (!loaded || !lastCommit) throw new Error(`confio poll --once logged no accounts loaded or no commit:\n${poll.stderrTail}`)
  const workMs = Math.max(1, Date.parse(lastCommit.time) - Date.parse(loaded.time))
  let steadyCps = Number.NaN
  if (firstCommit && lastCommit && lastCommit !== firstCommit) {
    const ms = Date.parse(lastCommit.time) - Date.parse(firstCommit.time)
    steadyCps = (Number(BigInt(lastCommit.cursor as string) - BigInt(firstCommit.cursor as string)) / ms) * 1000
  }
  return {
    checkpoints: result.checkpoints,
    wallMs,
    workMs,
    steadyCps,
    firstCommitAfterMs: firstCommit ? firstCommit.seenAt - poll.startedAt : Number.NaN,
    startUp: poll.milestones(['holding the poller lease', ACCOUNTS_LOADED, 'checkpoints committed']),
    childCpuMs: poll.lastCpuMs,
    workCpuMs: poll.lastCpuMs - loadedCpuMs,
    peakHwmKb: poll.peakHwmKb,
    ...(CPU_PROF ? {profile: join(PROFILE_DIR, profileName)} : {}),
  }
}

interface ReadRate {
  name: string
  cps: number
  /** Transactions the read saw (screened or decoded): every one of the range's. */
  transactions: number
  cpuShare: number
  /** CPU of the read, this process's and the Sui server's: the machine's cost of the read. */
  machineCpuMs: number
}

/** The reads of a range the catch-up is judged against, each in this process, with no process start. */
interface RangeReads {
  /** The floor: the chain layer's screened range read with the poller's screen and accounts, storing nothing. */
  screened: ReadRate
  /** The physical limit: ListCheckpoints frames received, nothing decoded. */
  stream: ReadRate
  /** For reference: the chain layer's range read decoding every transaction (the old "bare read"). */
  decoded: ReadRate
}

/**
 * The poller's own screen over the same accounts and packages (RelevanceScreen over an AddressSet
 * of every monitored address, the packages its configuration names): what the floor read screens with.
 */
async function pollerScreen(db: Database, server: SpawnedSuiServer): Promise<RelevanceScreen> {
  const addresses = (await db('accounts').pluck('sui_address')) as string[]
  const accounts = new AddressSet(addresses.length)
  for (const address of addresses) accounts.add(address)
  const packages = loadConfig({env: pollEnv(server), cwd: tmpdir()}).contracts.monitored
  return new RelevanceScreen(packages, accounts)
}

async function rangeReads(db: Database, server: SpawnedSuiServer, from: bigint, to: bigint): Promise<RangeReads> {
  const count = Number(to - from + 1n)
  const layer = openChainReader(localChainOptions(server.url), unlimitedDeps())
  const screen = await pollerScreen(db, server)
  // The chain layer's own client and transport (createSuiClient), so the stream differs from the
  // floor only in what is done with each frame: here, nothing.
  const bare = createSuiClient(localChainOptions(server.url))
  const frames = new CheckpointMethods(bare.sui, {unknownContent: () => undefined})
  const mask = fieldMask(CHECKPOINT_READ_MASK)
  /** ListCheckpoints in streams of the server's most (1,000 frames, a checkpoint each), frames counted, none decoded. */
  const streamed = async (): Promise<number> => {
    let received = 0 // frames
    for (let start = from; start <= to; start += 1_000n) {
      const end = start + 1_000n > to + 1n ? to + 1n : start + 1_000n
      const call = frames.listCheckpoints({readMask: mask, startCheckpoint: start, endCheckpoint: end, options: {limit: 1_000}}, {})
      for await (const _ of call.responses) received += 1
    }
    return received
  }
  const measure = async (name: string, run: () => Promise<number>, profiled: boolean): Promise<ReadRate> => {
    await collectServerGarbage(server)
    const cpu = process.cpuUsage()
    const serverCpu = cpuMsOf(server.pid) ?? 0
    const started = performance.now()
    const {result: transactions, spent} = await withServerUsage(server, 'range-read', run, profiled)
    const ms = performance.now() - started
    const used = process.cpuUsage(cpu)
    const machineCpuMs = (used.user + used.system) / 1000 + (cpuMsOf(server.pid) ?? 0) - serverCpu
    console.log(`  ${name}: ${fmt((count / ms) * 1000)} checkpoints/s (reader CPU ${seconds((used.user + used.system) / 1000)}; ${spent})`)
    return {name, cps: (count / ms) * 1000, transactions, cpuShare: (used.user + used.system) / 1000 / ms, machineCpuMs}
  }
  /** The median of BARE_REPEATS reads: one read is short enough for a pause of the server's GC to move it by a third. */
  const median = async (name: string, run: () => Promise<number>): Promise<ReadRate> => {
    const repeats: ReadRate[] = []
    for (let i = 0; i < BARE_REPEATS; i++) repeats.push(await measure(`${name}, read ${i + 1} of ${BARE_REPEATS}`, run, CPU_PROF && i === 0))
    const sorted = [...repeats].sort((a, b) => a.cps - b.cps)
    const middle = sorted[Math.floor(sorted.length / 2)]!
    if (BARE_REPEATS > 1) console.log(`  median of the ${BARE_REPEATS}: ${fmt(middle.cps)} checkpoints/s (${fmt(sorted[0]!.cps)}–${fmt(sorted[sorted.length - 1]!.cps)})`)
    return {...middle, name, transactions: repeats.every((r) => r.transactions === middle.transactions) ? middle.transactions : -1}
  }
  try {
    // Warm up the connections and the JIT on a slice of the range first.
    const warm = from + BigInt(Math.min(count, 200)) - 1n
    for await (const _ of layer.screenedCheckpoints(from, warm, screen)) void _
    for await (const _ of layer.checkpoints(from, warm)) void _
    const screened = await median("chain layer's screened range read (the poller's screen and accounts, nothing stored)", async () => {
      let transactions = 0
      for await (const cp of layer.screenedCheckpoints(from, to, screen)) transactions += cp.screened ? cp.transactionCount : cp.transactions.length
      return transactions
    })
    const stream = await median('ListCheckpoints frames received, nothing decoded', streamed)
    const decoded = await measure('chain layer range read decoding every transaction (for reference)', async () => {
      let transactions = 0
      for await (const cp of layer.checkpoints(from, to)) transactions += cp.transactions.length
      return transactions
    }, false)
    // The stream read counts frames: one a checkpoint, and a stream that ends before its limit may
    // end with a frame of its own (QueryEnd).
    const streams = Math.ceil(count / 1_000)
    if (stream.transactions < count || stream.transactions > count + streams) throw new Error(`the stream read received ${stream.transactions} frames for ${count} checkpoints`)
    return {screened, stream, decoded}
  } finally {
    layer.close()
    bare.close()
  }
}

interface Live {
  seconds: number
  checkpoints: number
  samples: number
  unqueued: number
  p50: number
  p99: number
  max: number
  storedP50: number
  storedP99: number
  /** The three slowest transactions, and when in the run their checkpoint was sealed. */
  slowest: string
  /** The follower's peak RSS (VmHWM). */
  peakHwmKb: number
}

async function liveStream(db: Database, server: SpawnedSuiServer, relevantAddresses: string[]): Promise<Live> {
  const before = await cursorOf(db)
  if (before === undefined) throw new Error('live: no cursor after the catch-up')
  const poll = new PollProcess(['--mode', 'stream'], pollEnv(server))
  try {
    await poll.waitFor('"monitored accounts loaded"', (l) => l.msg === 'monitored accounts loaded', 60_000)
    // Let it reach the tip and open its subscription before the chain starts moving; and collect
    // the server's garbage from the reads before (gigabytes of heap by now), so that its major GC
    // does not stall the live checkpoints it seals.
    await Promise.all([sleep(2_000), collectServerGarbage(server)])
    await server.startProducing(LIVE_RATE, {txPerCheckpoint: [TX_PER_CHECKPOINT, TX_PER_CHECKPOINT], relevantShare: RELEVANT_SHARE, relevantAddresses})
    const producingFrom = performance.now()
    await sleep(LIVE_SECONDS * 1000)
    await server.stopProducing()
    const tip = (await server.serviceInfo()).checkpointHeight
    const liveSeconds = (performance.now() - producingFrom) / 1000
    // The last checkpoints: wait until the cursor reaches the tip, then stop.
    const deadline = performance.now() + 30_000
    while ((await cursorOf(db)) !== tip) {
      if (performance.now() > deadline) throw new Error(`live: cursor ${await cursorOf(db)} did not reach the tip ${tip}:\n${poll.stderrTail}`)
      if (poll.child.exitCode !== null) throw new Error(`live: confio poll exited (${poll.child.exitCode}):\n${poll.stderrTail}`)
      await sleep(100)
    }
    await sleep(500) // the last batch's jobs are queued after its commit
    const code = await poll.stop()
    if (code !== 0) throw new Error(`live: confio poll exited with ${code} on SIGTERM:\n${poll.stderrTail}`)
    const streamFailures = poll.lines.filter((l) => /stream failed/.test(l.msg)).length
    if (streamFailures > 0) console.log(`  note: the poller logged ${streamFailures} stream failure(s)`)
    const {rows} = await db.raw<{rows: {tx_digest: string; checkpoint: string; timestamp_ms: string; created_ms: number}[]}>(
      `SELECT tx_digest, checkpoint, timestamp_ms, extract(epoch FROM created_at) * 1000 AS created_ms FROM raw_blockchain_events WHERE checkpoint > ?`,
      [before.toString()],
    )
    const queuedAt = await jobCreatedAt(SCRATCH, rows.map((row) => row.tx_digest))
    const firstSealed = rows.reduce((min, row) => Math.min(min, Number(row.timestamp_ms)), Number.POSITIVE_INFINITY)
    const samples = rows.flatMap((row) => {
      const queued = queuedAt.get(row.tx_digest)
      return queued === undefined ? [] : [{checkpoint: row.checkpoint, latency: queued - Number(row.timestamp_ms), at: Number(row.timestamp_ms) - firstSealed}]
    })
    const latencies = samples.map((sample) => sample.latency).sort((a, b) => a - b)
    const stored = rows.map((row) => Number(row.created_ms) - Number(row.timestamp_ms)).sort((a, b) => a - b)
    // Where the slowest were: a stall at start (the poller still busy starting) reads differently
    // from one in the middle (a pause, a reconnect).
    const slowest = [...samples].sort((a, b) => b.latency - a.latency).slice(0, 3)
    return {
      slowest: slowest.map((s) => `checkpoint ${s.checkpoint} ${fmt(s.latency)} ms (sealed ${seconds(s.at)} into the run)`).join(', '),
      seconds: liveSeconds,
      checkpoints: Number(tip - before),
      samples: samples.length,
      unqueued: rows.length - samples.length,
      p50: nearestRank(latencies, 50),
      p99: nearestRank(latencies, 99),
      max: latencies[latencies.length - 1] ?? 0,
      storedP50: nearestRank(stored, 50),
      storedP99: nearestRank(stored, 99),
      peakHwmKb: poll.peakHwmKb,
    }
  } finally {
    await server.stopProducing()
    if (poll.child.exitCode === null) await poll.stop()
  }
}

interface Memory {
  accounts: number
  loadMs: number
  rssKb: number
  peakRssKb: number
  hwmKb: number
}

async function memory(server: SpawnedSuiServer, relevantAddresses: string[]): Promise<Memory> {
  await server.startProducing(LIVE_RATE, {txPerCheckpoint: [TX_PER_CHECKPOINT, TX_PER_CHECKPOINT], relevantShare: RELEVANT_SHARE, relevantAddresses})
  const poll = new PollProcess([], pollEnv(server))
  try {
    const loaded = await poll.waitFor('"monitored accounts loaded"', (l) => l.msg === 'monitored accounts loaded', 120_000)
    const holding = poll.lines.find((l) => l.msg === 'holding the poller lease')
    await poll.waitFor('a batch commit', (l) => l.msg === 'checkpoints committed' && l.seenAt > loaded.seenAt, 60_000)
    // RSS_SECONDS more of following, sampled; the figure is the peak (VmHWM), the last reading beside it.
    let last: {rssKb: number; hwmKb: number} | undefined
    for (let i = 0; i < Math.max(1, Math.round(RSS_SECONDS * 4)); i++) {
      last = poll.sample() ?? last
      await sleep(250)
    }
    if (!last) throw new Error('memory: could not read /proc status of the poller')
    return {
      accounts: Number(loaded.accounts),
      loadMs: holding ? Date.parse(loaded.time) - Date.parse(holding.time) : Number.NaN,
      rssKb: last.rssKb,
      peakRssKb: poll.peakRssKb,
      hwmKb: poll.peakHwmKb,
    }
  } finally {
    await server.stopProducing()
    await poll.stop()
  }
}

/**
 * One share's figures: the catch-up without process start-up against the screened read (the
 * floor, goal per share) and against the raw stream (the physical limit); end to end, process start
 * included, against the 400/s goal.
 */
function shareFigures({share, run, wallCps, netCps, machineCpuMs, reads}: ShareRun): FigureInput[] {
  const at = `at ${share * 100}% relevant`
  const ofScreened = share <= 0.01 ? GOAL_OF_SCREENED_AT_1_PERCENT : GOAL_OF_SCREENED
  return [
    {name: `catch-up ${at}, without process start-up, against the screened range read`, unit: 'checkpoints/s', measured: netCps, floor: reads.screened.cps, goal: {on: 'ratio', value: ofScreened}},
    {name: `catch-up ${at}, without process start-up, against the raw stream (nothing decoded)`, unit: 'checkpoints/s', measured: netCps, floor: reads.stream.cps},
    // What the CPU allows: a ratio goal above the second figure's ratio cannot be met on this machine without less CPU a checkpoint.
    {name: `catch-up ${at}, CPU a checkpoint of the whole machine (poller after start-up, Sui server, PostgreSQL, Redis), against the screened read's (reader and server)`, unit: 'µs', measured: (machineCpuMs * 1000) / run.checkpoints, floor: (reads.screened.machineCpuMs * 1000) / run.checkpoints, higher: false},
    {name: `catch-up ${at}, the most that CPU a checkpoint allows on ${CORES} CPUs, against the screened range read`, unit: 'checkpoints/s', measured: cpuBound(machineCpuMs, run.checkpoints), floor: reads.screened.cps},
    {name: `catch-up ${at}, end to end (process start included)`, unit: 'checkpoints/s', measured: wallCps, goal: {on: 'measured', value: GOAL_CATCH_UP_CPS}},
    {name: `catch-up ${at}, poller peak RSS (VmHWM)`, unit: 'MB', measured: run.peakHwmKb / 1024, higher: false, goal: {on: 'measured', value: GOAL_RSS_MB}},
  ]
}

// ---- the run ----

interface GeneratedRange {
  first: bigint
  last: bigint
  transactions: number
  relevantDigests: string[]
}

/** CHECKPOINTS new checkpoints at `share` relevant, generated and encoded by the server in chunks. */
async function generateRange(server: SpawnedSuiServer, share: number, relevantAddresses: string[], seed: number): Promise<GeneratedRange> {
  const t = performance.now()
  let first: bigint | undefined
  let last = 0n
  let transactions = 0
  const relevantDigests: string[] = []
  for (let done = 0; done < CHECKPOINTS; done += CHUNK) {
    const n = Math.min(CHUNK, CHECKPOINTS - done)
    const chunk = await server.generateTraffic({checkpoints: n, txPerCheckpoint: [TX_PER_CHECKPOINT, TX_PER_CHECKPOINT], relevantShare: share, relevantAddresses, seed: seed + done})
    first ??= chunk.firstCheckpoint
    last = chunk.lastCheckpoint
    transactions += chunk.transactions
    relevantDigests.push(...chunk.relevantDigests)
    const elapsed = performance.now() - t
    const eta = (elapsed / (done + n)) * (CHECKPOINTS - done - n)
    process.stdout.write(`\rsetup: generating checkpoints ${fmt(done + n)}/${fmt(CHECKPOINTS)} (${fmt(((done + n) / elapsed) * 1000)}/s, ${seconds(eta)} left)   `)
  }
  if (first === undefined) throw new Error('no checkpoints generated')
  // The relevant transactions' replies too are encoded ahead, as the checkpoints are: the server
  // shares the machine's cores with the poller, and a real node's encoding is not confio's cost.
  for (let i = 0; i < relevantDigests.length; i += 10_000) await server.warmTransactions(relevantDigests.slice(i, i + 10_000), [...EVENT_CONTENTS_READ_MASK])
  console.log(
    `\rsetup: ${fmt(CHECKPOINTS)} checkpoints ${first}..${last} generated and encoded in ${seconds(performance.now() - t)}: ${fmt(transactions)} transactions, ${fmt(relevantDigests.length)} relevant (${((relevantDigests.length / transactions) * 100).toFixed(2)}%, their details encoded too)`,
  )
  return {first, last, transactions, relevantDigests}
}

const CORES = availableParallelism()

/**
 * The fastest a catch-up could go on this machine's CPUs at the CPU it used a checkpoint, were
 * every core busy with it all the time: what no pipelining can beat, only less CPU.
 */
function cpuBound(machineCpuMs: number, checkpoints: number): number {
  return (CORES * 1000 * checkpoints) / machineCpuMs
}

/** One share's catch-up and the bare read of the same range. */
interface ShareRun {
  share: number
  run: CatchUp
  wallCps: number
  netCps: number
  /** The machine's CPU for the catch-up's own work: the poller's after its start-up, the Sui server's, PostgreSQL's and Redis's from then on. */
  machineCpuMs: number
  reads: RangeReads
}

/**
 * The catch-up of one generated range by `confio poll --once` (resuming from the cursor the
 * previous range left), checked for completeness, then the bare read rate of the same range.
 */
async function measureShare(db: Database, server: SpawnedSuiServer, share: number, range: GeneratedRange): Promise<ShareRun> {
  const {first, last, relevantDigests} = range
  console.log(`catch-up at ${share * 100}% relevant: confio poll --once, checkpoints ${first}..${last} ...`)
  const jobsBefore = (await queueCounts(SCRATCH)).jobs
  // Each measured phase starts with the server's heap just collected (collectServerGarbage), so a
  // major collection of its gigabyte of checkpoints is not counted against one read at random.
  await collectServerGarbage(server)
  const infraCpu = new CpuByName(['postgres', 'redis-server'])
  const othersCpu = () => {
    const {postgres = 0, 'redis-server': redis = 0} = infraCpu.sofar()
    return (cpuMsOf(server.pid) ?? 0) + postgres + redis
  }
  const serverCpuBefore = cpuMsOf(server.pid) ?? 0
  let othersAtLoaded = Number.NaN
  const {result: run, spent: serverSpentCatchUp} = await withServerUsage(server, `catch-up-${share}`, () => catchUp(server, first, last, share, () => (othersAtLoaded = othersCpu())))
  const machineCpuMs = run.workCpuMs + othersCpu() - othersAtLoaded
  const infra = infraCpu.stop()
  const serverCpuMs = (cpuMsOf(server.pid) ?? 0) - serverCpuBefore
  const wallCps = (run.checkpoints / run.wallMs) * 1000
  const netCps = (run.checkpoints / run.workMs) * 1000
  console.log(`  ${fmt(run.checkpoints)} checkpoints in ${seconds(run.wallMs)} (process start to exit): ${fmt(wallCps)} checkpoints/s`)
  console.log(`  from the accounts loaded to the last commit (the figure without start-up): ${seconds(run.workMs)}, ${fmt(netCps)} checkpoints/s`)
  console.log(`  from the first commit log line to the last: ${fmt(run.steadyCps)} checkpoints/s (first commit ${seconds(run.firstCommitAfterMs)} after spawn)`)
  console.log(`  start-up, after spawn (the first line is logged once its modules are loaded): ${run.startUp}`)
  console.log(
    `  CPU over the run: poller ${seconds(run.childCpuMs)} (${fmt((run.childCpuMs / run.wallMs) * 100)}% of a core), Sui server ${seconds(serverCpuMs)}, PostgreSQL ${seconds(infra.postgres ?? 0)}, Redis ${seconds(infra['redis-server'] ?? 0)}; poller peak RSS ${fmt(run.peakHwmKb / 1024)} MB (VmHWM)`,
  )
  console.log(`  server side: ${serverSpentCatchUp}`)
  console.log(
    `  CPU of the catch-up's own work (from the accounts loaded): poller ${seconds(run.workCpuMs)}, the whole machine ${seconds(machineCpuMs)} (${fmt((machineCpuMs * 1000) / run.checkpoints)} µs a checkpoint${CPU_PROF ? '; with the profilers\' own' : ''})`,
  )
  if (run.profile) {
    const stages = pollerStages(run.profile)
    const total = stages.reduce((sum, s) => sum + s.ms, 0)
    console.log(`  CPU profile of the poller: ${run.profile}; its main thread's ${seconds(total)}: ${stages.map((s) => `${s.stage} ${fmt((s.ms / total) * 100)}%`).join(', ')}`)
  }

  // -- was it a correct run? --
  // tx_digest is unique: the range's digests are its rows.
  const storedSet = new Set((await db('raw_blockchain_events').whereBetween('checkpoint', [first.toString(), last.toString()]).pluck('tx_digest')) as string[])
  const stored = storedSet.size
  const missing = relevantDigests.filter((d) => !storedSet.has(d)).length
  const queued = await jobCreatedAt(SCRATCH, [...storedSet])
  const unqueued = storedSet.size - queued.size
  const cursor = await cursorOf(db)
  const jobs = (await queueCounts(SCRATCH)).jobs - jobsBefore
  console.log(`  check: ${fmt(stored)} raw events stored (server: ${fmt(relevantDigests.length)} relevant, ${missing} missing), ${unqueued} without a job, ${fmt(jobs)} new jobs in the queue, cursor ${cursor} (last ${last})`)
  const problems = [
    stored !== relevantDigests.length && `stored ${stored} raw events, the server counted ${relevantDigests.length} relevant transactions`,
    missing > 0 && `${missing} relevant transactions not stored`,
    unqueued > 0 && `${unqueued} raw events never queued`,
    jobs !== stored && `${jobs} new jobs in Redis for ${stored} raw events`,
    cursor !== last && `cursor at ${cursor}, expected ${last}`,
  ].filter(Boolean)
  if (problems.length) throw new Error(`the catch-up run is broken, its figures mean nothing: ${problems.join('; ')}`)

  // -- the floor and the limit: the same range read from the same server, in this process --
  console.log('  the same range read from the same server, in this process:')
  const reads = await rangeReads(db, server, first, last)
  for (const r of [reads.screened, reads.decoded]) {
    if (r.transactions !== range.transactions) throw new Error(`${r.name} saw ${r.transactions} transactions, expected ${range.transactions}`)
  }
  console.log(`  catch-up without process start-up: ${((netCps / reads.screened.cps) * 100).toFixed(1)}% of the screened read, ${((netCps / reads.stream.cps) * 100).toFixed(1)}% of the raw stream, ${((netCps / reads.decoded.cps) * 100).toFixed(1)}% of the full decode`)
  const bound = cpuBound(machineCpuMs, run.checkpoints)
  console.log(
    `  CPU a checkpoint, the whole machine: the catch-up ${fmt((machineCpuMs * 1000) / run.checkpoints)} µs, the screened read (this process and the server) ${fmt((reads.screened.machineCpuMs * 1000) / run.checkpoints)} µs; on ${CORES} CPUs the catch-up's allows at most ${fmt(bound)} checkpoints/s, ${((bound / reads.screened.cps) * 100).toFixed(0)}% of the screened read`,
  )
  console.log('')
  return {share, run, wallCps, netCps, machineCpuMs, reads}
}

/**
 * The poller's first start ever, on one checkpoint: it records every account's coverage (an
 * UPDATE of all of them, seconds with 100,000) and creates the cursor. A one-off of an install,
 * paid here so that every share's catch-up is a restart from the cursor, measured alike.
 */
async function firstStart(server: SpawnedSuiServer, relevantAddresses: string[]): Promise<void> {
  const t = performance.now()
  const chunk = await server.generateTraffic({checkpoints: 1, txPerCheckpoint: [TX_PER_CHECKPOINT, TX_PER_CHECKPOINT], relevantShare: 0, relevantAddresses, seed: 0})
  const poll = new PollProcess(['--once', '--from-checkpoint', chunk.firstCheckpoint.toString(), '--json'], pollEnv(server))
  const code = await poll.exited
  if (code !== 0) throw new Error(`first confio poll --once exited with ${code}:\n${poll.stderrTail}`)
  console.log(`setup: the poller's first start (every account's coverage recorded, the cursor created at ${chunk.lastCheckpoint}) took ${seconds(performance.now() - t)}`)
}

async function main(): Promise<void> {
  const runStarted = performance.now()
  console.log(`bench:poll — ${fmt(CHECKPOINTS)} checkpoints × ${TX_PER_CHECKPOINT} transactions per share, at ${RELEVANT_SHARES.map((s) => `${s * 100}%`).join(' and ')} relevant, ${fmt(ACCOUNTS)} monitored accounts (node ${process.version}, ${DATABASE}, Redis prefix ${REDIS_PREFIX})`)
  const db = await createScratchDatabase(SCRATCH)
  const server = await spawnSuiServer()
  try {
    // -- set-up: accounts, then the chain --
    let t = performance.now()
    await insertAccounts(db, ACCOUNTS, 1)
    const accounts = Number(((await db('accounts').count('* as n')) as [{n: string}])[0].n)
    const relevantAddresses = ((await db.raw<{rows: {sui_address: string}[]}>('SELECT sui_address FROM accounts ORDER BY random() LIMIT ?', [RELEVANT_ADDRESSES])).rows).map((r) => r.sui_address)
    console.log(`setup: ${fmt(accounts)} accounts inserted in ${seconds(performance.now() - t)}; traffic touches ${relevantAddresses.length} of them`)
    await server.warmReadMask([...CHECKPOINT_READ_MASK])
    await firstStart(server, relevantAddresses)
    const setupMs = performance.now() - runStarted
    console.log(`setup total: ${seconds(setupMs)}`)
    console.log('')

    // -- per share: a range of its own (generated after the previous catch-up, so each --once stops at its end) --
    let sharesMs = 0
    const shares: ShareRun[] = []
    for (const [i, share] of RELEVANT_SHARES.entries()) {
      const range = await generateRange(server, share, relevantAddresses, 1 + i * 1_000_000)
      const serverMem = procStatus(server.pid)
      if (serverMem) console.log(`setup: the Sui server process holds ${fmt(serverMem.rssKb / 1024)} MB (VmRSS) with these checkpoints and their encodings`)
      const started = performance.now()
      shares.push(await measureShare(db, server, share, range))
      sharesMs += performance.now() - started
    }
    // The ranges' generation is setup, not measurement.
    const measureStarted = performance.now() - sharesMs

    // -- live stream --
    let live: Live | undefined
    if (LIVE_SECONDS > 0) {
      console.log(`live: the server seals ${LIVE_RATE} checkpoints/s (${RELEVANT_SHARE * 100}% relevant) for ${LIVE_SECONDS} s while confio poll --mode stream follows ...`)
      live = await liveStream(db, server, relevantAddresses)
      console.log(`  ${live.checkpoints} checkpoints in ${live.seconds.toFixed(1)} s, ${live.samples} relevant transactions queued (${live.unqueued} not)`)
      console.log(`  produced → enqueued (the job's creation − timestamp_ms): p50 ${fmt(live.p50)} ms, p99 ${fmt(live.p99)} ms, max ${fmt(live.max)} ms`)
      console.log(`  produced → stored (commit began, created_at − timestamp_ms): p50 ${fmt(live.storedP50)} ms, p99 ${fmt(live.storedP99)} ms`)
      console.log(`  slowest: ${live.slowest}`)
      console.log('')
    }

    // -- memory with 1,000,000 monitored accounts --
    let mem: Memory | undefined
    if (RSS_ACCOUNTS > 0) {
      t = performance.now()
      await insertAccounts(db, Math.max(0, RSS_ACCOUNTS - accounts), ACCOUNTS + 1)
      const total = Number(((await db('accounts').count('* as n')) as [{n: string}])[0].n)
      console.log(`memory: ${fmt(total)} accounts (${fmt(total - accounts)} more inserted in ${seconds(performance.now() - t)}); confio poll following ${LIVE_RATE} checkpoints/s ...`)
      mem = await memory(server, relevantAddresses)
      console.log(`  loaded ${fmt(mem.accounts)} accounts in ${seconds(mem.loadMs)}; after a batch commit VmRSS ${fmt(mem.rssKb / 1024)} MB (sampled peak ${fmt(mem.peakRssKb / 1024)} MB, VmHWM ${fmt(mem.hwmKb / 1024)} MB)`)
      console.log('')
    }
    const measureMs = performance.now() - measureStarted

    // -- summary --
    const figures: FigureInput[] = [...shares.flatMap(shareFigures)]
    if (live) {
      figures.push(
        {name: `live stream p99 produced → enqueued (n=${live.samples}${live.unqueued > 0 ? `, ${live.unqueued} never queued` : ''})`, unit: 'ms', measured: live.p99, higher: false, goal: {on: 'measured', value: GOAL_P99_MS}},
        {name: 'live stream, poller peak RSS (VmHWM)', unit: 'MB', measured: live.peakHwmKb / 1024, higher: false, goal: {on: 'measured', value: GOAL_RSS_MB}},
      )
    }
    if (mem) figures.push({name: `poller peak RSS (VmHWM) with ${fmt(mem.accounts)} monitored accounts`, unit: 'MB', measured: mem.hwmKb / 1024, higher: false, goal: {on: 'measured', value: GOAL_RSS_MB}})
    reportFigures('poll', figures)
    console.log('')
    console.log(`setup ${seconds(setupMs)}, measurement ${seconds(measureMs)}, total ${seconds(performance.now() - runStarted)}`)
  } finally {
    await releaseScratch(SCRATCH, db, server)
  }
}

await main()
