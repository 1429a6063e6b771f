// bench/worker: jobs/s of `confio worker --drain` (the real CLI in a child process: bee-queue, the
// batch's PostgreSQL transaction, the cache relay writing through to Redis) over JOBS queued cUSD
// transfer transactions between ACCOUNTS monitored accounts, at CONCURRENCY (the worker's default, 64), with one worker
// process and with two draining the same queue, in the same run. The worker's rate is the one it
// reports: from the queue being ready to the last job finished (process start excluded); with two,
// every job over the longer of the two.
//
// The steady state by default: every balance anchored first (a base, not stale, as after a
// reconcile), so each job adds its changes, gives the row a new version and an outbox row, and the
// relay writes it through to Redis. ANCHORED=0 runs the cheap path instead (no base: each job only
// marks its balances stale and nothing is written through).
//
// The floor: the worker's own batch messages, recorded as the one-process run sent them
// (bench/statement-recorder.ts), replayed directly on the same rows (reset to the same state) at
// the same batch sizes, on as many connections as the worker runs batches at once: PostgreSQL's
// share of the work with no queue, no decoding, no routing and no Redis. The ratio says how close the
// worker comes to what PostgreSQL allows here. The queue alone (the worker's intake with an empty
// handler) is printed beside.
// Goals: ≥ 2,500 jobs/s with one process, and ≥ 0.6 of the floor.
//
// Checks (a run that fails one is broken, its figures worthless): every job completed, 3 history
// rows a job, every balance equal to its base plus the transfers' changes (anchored) and not stale,
// the outbox empty once the worker is done (every change written through), and the replay's
// balances and history identical to the worker's.
//
//   npm run bench:worker
//   JOBS=5000 npm run bench:worker          (a short run)
//   CPU_PROF=1 npm run bench:worker          (profiles the one-process worker into bench/out/)
//
// Environment: JOBS (20000), ACCOUNTS (2000), CONCURRENCY (64), ANCHORED (1), WRAP (1: the worker
// under /usr/bin/time), CPU_PROF, CONFIO_TEST_PG, CONFIO_TEST_REDIS.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type pg from 'pg'
import type {TransactionDetails} from '../src/chain/index.ts'
import {insertRawEvents, type RawEventInput} from '../src/ingest/raw-event-repository.ts'
import {DEFAULT_WORKER_CONCURRENCY, PARALLEL_BATCHES} from '../src/processes/worker-process.ts'
import {TransactionConsumer} from '../src/queue/transaction-consumer.ts'
import {TransactionQueue} from '../src/queue/transaction-queue.ts'
import type {Database} from '../src/store/database.ts'
import {SUI_COIN_TYPE} from '../src/sui/identifiers.ts'
import {REDIS, createScratchDatabase, deleteScratchKeys, dropScratchDatabase, fmt, num, peakMbOf, reportFigures, scratchFor, seconds} from './bench-support.ts'
import type {RecordedMessage} from './statement-recorder.ts'

const JOBS = num('JOBS', 20_000)
const ACCOUNTS = num('ACCOUNTS', 2_000)
const CONCURRENCY = num('CONCURRENCY', DEFAULT_WORKER_CONCURRENCY)
const ANCHORED = process.env.ANCHORED !== '0'
const CPU_PROF = Boolean(process.env.CPU_PROF)
const GOAL_JOBS_PER_SECOND = 2_500
const GOAL_OF_FLOOR = 0.6
/** The base every anchored balance starts from. */
const BASE = 1_000_000_000_000_000n

const SCRATCH = scratchFor('worker')
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const RECORDER = fileURLToPath(new URL('./statement-recorder.ts', import.meta.url))
const PROFILE_DIR = fileURLToPath(new URL('./out/', import.meta.url))
const hex = () => `0x${randomBytes(32).toString('hex')}`
const CUSD_PACKAGE = hex()
const CUSD = `${CUSD_PACKAGE}::cusd::CUSD`
const GAS = 1_747_880n

function transfer(i: number, addresses: string[]): TransactionDetails {
  const from = addresses[i % addresses.length]!
  const to = addresses[(i * 7 + 1) % addresses.length]!
  const amount = BigInt(1 + (i % 1_000_000))
  return {
    digest: `bench${SCRATCH.runId}${i.toString().padStart(8, '0')}`,
    index: i % 50,
    checkpoint: BigInt(1_000 + Math.floor(i / 50)),
    timestampMs: 1_764_300_000_000 + i,
    sender: from,
    gasOwner: from,
    moveCalls: [],
    events: [],
    balanceChanges: [
      {address: from, coinType: CUSD, amount: -amount},
      {address: to, coinType: CUSD, amount},
      {address: from, coinType: SUI_COIN_TYPE, amount: -GAS},
    ],
    status: {success: true},
    gasUsed: GAS,
  }
}

/** What every balance must hold once each job has added its changes to the base: `address token` → amount. */
function expectedBalances(addresses: string[]): Map<string, bigint> {
  const expected = new Map<string, bigint>()
  for (const address of addresses) for (const token of ['CUSD', 'SUI']) expected.set(`${address} ${token}`, BASE)
  for (let i = 0; i < JOBS; i++) {
    for (const change of transfer(i, addresses).balanceChanges) {
      const key = `${change.address} ${change.coinType === CUSD ? 'CUSD' : 'SUI'}`
      expected.set(key, expected.get(key)! + change.amount)
    }
  }
  return expected
}

async function seed(db: Database): Promise<string[]> {
  const addresses = Array.from({length: ACCOUNTS}, hex)
  for (let i = 0; i < addresses.length; i += 1_000) {
    await db('accounts').insert(addresses.slice(i, i + 1_000).map((a, j) => ({email: `u${i + j}@bench.example`, sui_address: a})))
  }
  for (let i = 0; i < JOBS; i += 1_000) {
    const rows: RawEventInput[] = []
    for (let j = i; j < Math.min(JOBS, i + 1_000); j++) rows.push({tx: transfer(j, addresses), reasons: ['account-balance']})
    await db.transaction((trx) => insertRawEvents(trx, rows))
  }
  await db.raw('VACUUM ANALYZE')
  return addresses
}

/** The state before each run: nothing processed; anchored, every balance with a base (as after a reconcile). */
async function reset(db: Database): Promise<void> {
  await db.raw('TRUNCATE account_transactions, transaction_processing_log, contract_events, balances, balance_cache_outbox')
  await db('raw_blockchain_events').update({processed_at: null})
  if (ANCHORED) {
    await db.raw(`INSERT INTO balances (account_id, token, amount, base_checkpoint, is_stale)
                  SELECT a.id, t.token, ?, 0, false FROM accounts a CROSS JOIN (VALUES ('CUSD'), ('SUI')) AS t(token)`, [BASE.toString()])
  }
  await db.raw('VACUUM ANALYZE')
  await deleteScratchKeys(SCRATCH)
}

async function queueAll(digests: string[]): Promise<void> {
  const queue = new TransactionQueue({redisUrl: REDIS, redisPrefix: SCRATCH.redisPrefix, timeoutMs: 30_000})
  await queue.ready()
  for (let i = 0; i < digests.length; i += 5_000) {
    const {failed} = await queue.enqueue(digests.slice(i, i + 5_000))
    if (failed.length) throw new Error(`enqueue failed: ${failed[0]!.error}`)
  }
  await queue.close()
}

interface WorkerRun {
  jobsPerSecond: number
  completed: number
  batches: number
  durationMs: number
  wallMs: number
  peakMb: number
}

function runWorker(options: {record?: string; profile?: string} = {}): Promise<WorkerRun> {
  const started = performance.now()
  const nodeArgs = [
    ...(options.record ? ['--import', RECORDER] : []),
    ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${options.profile}`] : []),
    BIN, 'worker', '--drain', '--json', '--concurrency', String(CONCURRENCY),
  ]
  const wrap = Boolean(process.env.WRAP)
  return new Promise((resolve, reject) => {
    const child = spawn(wrap ? '/usr/bin/time' : process.execPath, wrap ? ['-f', 'worker cpu user %U s sys %S s wall %e s', process.execPath, ...nodeArgs] : nodeArgs, {
      env: {
        ...process.env,
        DATABASE_URL: SCRATCH.databaseUrl, REDIS_URL: REDIS, REDIS_PREFIX: SCRATCH.redisPrefix, CUSD_ADDRESS: CUSD_PACKAGE, LOG_LEVEL: 'warn', CONFIO_CONFIG: '',
        ...(options.record ? {BENCH_RECORD_STATEMENTS: options.record} : {}),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    let peakMb = 0
    // VmHWM is the process's own peak: read until it exits (wrapped, it is /usr/bin/time's).
    const sampler = setInterval(() => (peakMb = Math.max(peakMb, peakMbOf(child.pid ?? -1) ?? 0)), 100)
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      clearInterval(sampler)
      if (code !== 0) return reject(new Error(`worker exited ${code}: ${stdout}`))
      resolve({...(JSON.parse(stdout) as {jobsPerSecond: number; completed: number; batches: number; durationMs: number}), wallMs: performance.now() - started, peakMb})
    })
  })
}

/** The run's rows, for checks and for comparing the replay with the worker. */
async function rowsOf(db: Database): Promise<{history: number; balances: string; stale: number; outbox: number}> {
  const {rows} = await db.raw<{rows: [{history: string; balances: string; stale: string; outbox: string}]}>(`
    SELECT (SELECT count(*) FROM account_transactions) AS history,
           (SELECT md5(string_agg(account_id || ' ' || token || ' ' || amount || ' ' || is_stale, ',' ORDER BY account_id, token)) FROM balances) AS balances,
           (SELECT count(*) FROM balances WHERE is_stale) AS stale,
           (SELECT count(*) FROM balance_cache_outbox) AS outbox`)
  return {history: Number(rows[0].history), balances: rows[0].balances, stale: Number(rows[0].stale), outbox: Number(rows[0].outbox)}
}

/** The checks every worker run must pass, or its figure means nothing; the rows it read. */
async function checkRun(db: Database, run: {completed: number}, expected: Map<string, bigint>, label: string): Promise<Awaited<ReturnType<typeof rowsOf>>> {
  const problems: string[] = []
  if (run.completed !== JOBS) problems.push(`${run.completed} of ${JOBS} jobs completed`)
  const rows = await rowsOf(db)
  if (rows.history !== JOBS * 3) problems.push(`${rows.history} history rows, expected ${JOBS * 3}`)
  if (ANCHORED) {
    if (rows.stale > 0) problems.push(`${rows.stale} balances stale`)
    if (rows.outbox > 0) problems.push(`${rows.outbox} outbox rows left: not every change was written through`)
    const {rows: balances} = await db.raw<{rows: {sui_address: string; token: string; amount: string}[]}>('SELECT a.sui_address, b.token, b.amount::text FROM balances b JOIN accounts a ON a.id = b.account_id')
    const wrong = balances.filter((b) => expected.get(`${b.sui_address} ${b.token}`) !== BigInt(b.amount))
    if (balances.length !== expected.size) problems.push(`${balances.length} balances, expected ${expected.size}`)
    if (wrong.length > 0) problems.push(`${wrong.length} balances differ from base + changes`)
  }
  if (problems.length) throw new Error(`${label}: the run is broken, its figures mean nothing: ${problems.join('; ')}`)
  return rows
}

/** Start/finish message pairs, in the order the worker sent them (each start is followed by its finish on the same connection). */
function batchesOf(recorded: RecordedMessage[]): {start: string; finish: string}[] {
  const open = new Map<number, string>()
  const batches: {start: string; finish: string}[] = []
  for (const {connection, text} of recorded) {
    if (text.startsWith('BEGIN')) {
      if (open.has(connection)) throw new Error('recorded a start without its finish: a batch failed, the replay would not be the same work')
      open.set(connection, text)
    } else {
      const start = open.get(connection)
      if (start === undefined) throw new Error('recorded a finish without its start')
      batches.push({start, finish: text})
      open.delete(connection)
    }
  }
  if (open.size > 0) throw new Error(`${open.size} recorded starts without a finish`)
  return batches
}

/** The recorded batches on `connections` connections, each taking the next batch in order; jobs/s. */
async function replay(db: Database, batches: {start: string; finish: string}[], connections: number): Promise<number> {
  const clients = (await Promise.all(Array.from({length: connections}, () => db.client.acquireConnection()))) as pg.Client[]
  let next = 0
  const started = performance.now()
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (next < batches.length) {
          const batch = batches[next++]!
          await client.query(batch.start)
          await client.query(batch.finish)
        }
      }),
    )
    return (JOBS * 1000) / (performance.now() - started)
  } finally {
    for (const client of clients) await db.client.releaseConnection(client)
  }
}

/** The queue alone: the same number of jobs through the worker's intake (TransactionConsumer) with an empty handler, at this concurrency. */
async function emptyHandler(): Promise<number> {
  const options = {redisUrl: REDIS, redisPrefix: `${SCRATCH.redisPrefix}empty:`}
  const producer = new TransactionQueue(options)
  await producer.enqueue(Array.from({length: JOBS}, (_, i) => `empty${i}`))
  await producer.close()
  const consumer = new TransactionConsumer(options)
  await consumer.ready()
  let done = 0
  const started = performance.now()
  const rate = await new Promise<number>((resolve) => {
    consumer.consume({concurrency: CONCURRENCY, parallel: PARALLEL_BATCHES}, async (jobs) => {
      done += jobs.length
      if (done === JOBS) setImmediate(() => resolve((JOBS * 1000) / (performance.now() - started)))
      return jobs.map(() => undefined)
    })
  })
  await consumer.close()
  return rate
}

async function main(): Promise<void> {
  const db = await createScratchDatabase(SCRATCH)
  const work = mkdtempSync(join(tmpdir(), 'confio-bench-worker-'))
  try {
    const seeding = performance.now()
    const addresses = await seed(db)
    const digests = Array.from({length: JOBS}, (_, i) => transfer(i, addresses).digest)
    const expected = expectedBalances(addresses)
    console.log(`bench:worker — confio worker --drain --concurrency ${CONCURRENCY}, ${fmt(JOBS)} queued cUSD transfers between ${fmt(ACCOUNTS)} accounts, ${ANCHORED ? 'every balance anchored (the steady state)' : 'no balance anchored (ANCHORED=0: marked stale, nothing written through)'} (node ${process.version}; seeded in ${seconds(performance.now() - seeding)})`)

    // -- one process, its batch messages recorded --
    await reset(db)
    await queueAll(digests)
    const record = join(work, 'statements.json')
    if (CPU_PROF) mkdirSync(PROFILE_DIR, {recursive: true})
    const profile = CPU_PROF ? `worker-${SCRATCH.runId}.cpuprofile` : undefined
    const one = await runWorker({record, ...(profile ? {profile} : {})})
    const workerRows = await checkRun(db, one, expected, 'one worker')
    console.log(`one worker: ${fmt(one.jobsPerSecond)} jobs/s (${fmt(one.completed / one.batches, 1)} jobs a batch, ${seconds(one.wallMs)} with process start, peak RSS ${fmt(one.peakMb)} MB)`)
    if (profile) console.log(`  CPU profile: ${join(PROFILE_DIR, profile)}`)

    // -- the floor: the same messages replayed on the same rows --
    const batches = batchesOf(JSON.parse(readFileSync(record, 'utf8')) as RecordedMessage[])
    await reset(db)
    const floor = await replay(db, batches, PARALLEL_BATCHES)
    const replayRows = await rowsOf(db)
    if (replayRows.balances !== workerRows.balances || replayRows.history !== workerRows.history) {
      throw new Error(`the replay's rows differ from the worker's (history ${replayRows.history} vs ${workerRows.history}): the floor is not the same work`)
    }
    console.log(`floor: the worker's ${fmt(batches.length)} batch messages replayed on ${PARALLEL_BATCHES} connections: ${fmt(floor)} jobs/s (balances and history identical to the worker's)`)

    // -- two processes on one queue --
    await reset(db)
    await queueAll(digests)
    const two = await Promise.all([runWorker(), runWorker()])
    await checkRun(db, {completed: two[0].completed + two[1].completed}, expected, 'two workers')
    const twoRate = (JOBS * 1000) / Math.max(two[0].durationMs, two[1].durationMs)
    console.log(`two workers: ${fmt(twoRate)} jobs/s together (${two.map((r) => `${fmt(r.completed)} jobs at ${fmt(r.jobsPerSecond)}/s`).join(', ')})`)

    await reset(db)
    const empty = await emptyHandler()
    console.log(`the queue alone (the worker's intake), an empty handler at concurrency ${CONCURRENCY}: ${fmt(empty)} jobs/s`)

    const state = ANCHORED ? 'anchored' : 'not anchored'
    reportFigures('worker', [
      {name: `one worker, ${state}, against its batch messages replayed`, unit: 'jobs/s', measured: one.jobsPerSecond, floor, goal: {on: 'ratio', value: GOAL_OF_FLOOR}},
      {name: `one worker, ${state}`, unit: 'jobs/s', measured: one.jobsPerSecond, goal: {on: 'measured', value: GOAL_JOBS_PER_SECOND}},
      {name: `two workers, ${state}, against one worker's batch messages replayed`, unit: 'jobs/s', measured: twoRate, floor},
      {name: 'one worker peak RSS (VmHWM)', unit: 'MB', measured: one.peakMb, higher: false},
      {name: `the queue alone (the worker's intake), empty handler, concurrency ${CONCURRENCY}`, unit: 'jobs/s', measured: empty},
    ])
  } finally {
    rmSync(work, {recursive: true, force: true})
    await db.destroy()
    await dropScratchDatabase(SCRATCH)
    await deleteScratchKeys(SCRATCH)
  }
}

await main()
