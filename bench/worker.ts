// bench/worker: end-to-end jobs/s of `confio worker --drain` (the real CLI in a child process:
// bee-queue, the job's PostgreSQL transaction, Redis invalidation) over JOBS queued cUSD transfer
// transactions between monitored accounts, at concurrency 1, 8 and 32, printed beside bee-queue's
// own rate with an empty handler in the same run. The worker's rate is the one it reports: from
// the queue being ready to the last job finished (process start excluded). Goal: >= 2,000 jobs/s
// at the best concurrency. Run: npm run bench:worker   (JOBS=5000 CONCURRENCY=8 for a short run;
// WRAP=1 runs the worker under /usr/bin/time to print its CPU time; ANCHORED=1 gives every balance
// a base first, so jobs keep them exact and write them through to Redis).
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {fileURLToPath} from 'node:url'
import BeeQueue from 'bee-queue'
import type {TransactionDetails} from '../src/chain/index.ts'
import {insertRawEvents, type RawEventInput} from '../src/ingest/raw-event-repository.ts'
import {TransactionQueue} from '../src/queue/transaction-queue.ts'
import {createDatabase, type Database} from '../src/store/database.ts'
import {migrateLatest} from '../src/store/migrator.ts'
import {SUI_COIN_TYPE} from '../src/sui/identifiers.ts'
import {deleteKeysWithPrefix} from '../test/support/redis-keys.ts'

const JOBS = Number(process.env.JOBS ?? 50_000)
const ACCOUNTS = Number(process.env.ACCOUNTS ?? 2_000)
const CONCURRENCIES = (process.env.CONCURRENCY ?? '1,8,32').split(',').map(Number)
const PG = process.env.CONFIO_TEST_PG ?? 'postgres://root@127.0.0.1:5432'
const REDIS_URL = process.env.CONFIO_TEST_REDIS ?? 'redis://127.0.0.1:6379/0'
const runId = randomBytes(4).toString('hex')
const database = `confio_bench_worker_${runId}`
const prefix = `confio-bench-${runId}:`
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const hex = () => `0x${randomBytes(32).toString('hex')}`
const CUSD_PACKAGE = hex()
const CUSD = `${CUSD_PACKAGE}::cusd::CUSD`
const GAS = 1_747_880n

function transfer(i: number, addresses: string[]): TransactionDetails {
  const from = addresses[i % addresses.length]!
  const to = addresses[(i * 7 + 1) % addresses.length]!
  const amount = BigInt(1 + (i % 1_000_000))
  return {
    digest: `bench${runId}${i.toString().padStart(8, '0')}`,
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
  return Array.from({length: JOBS}, (_, i) => transfer(i, addresses).digest)
}

async function reset(db: Database): Promise<void> {
  await db.raw('TRUNCATE account_transactions, transaction_processing_log, contract_events, balances, balance_cache_outbox')
  await db('raw_blockchain_events').update({processed_at: null})
  // ANCHORED=1: every balance has a base before the run (as after a reconcile), so each job adds
  // its changes and writes them through to Redis; by default they have none and are marked stale.
  if (process.env.ANCHORED) {
    await db.raw(`INSERT INTO balances (account_id, token, amount, base_checkpoint, is_stale)
                  SELECT a.id, t.token, 1000000000000000, 0, false FROM accounts a CROSS JOIN (VALUES ('CUSD'), ('SUI')) AS t(token)`)
  }
  await db.raw('VACUUM ANALYZE')
  await deleteKeysWithPrefix(REDIS_URL, prefix)
}

async function queueAll(digests: string[]): Promise<void> {
  const queue = new TransactionQueue({redisUrl: REDIS_URL, redisPrefix: prefix, timeoutMs: 30_000})
  await queue.ready()
  for (let i = 0; i < digests.length; i += 5_000) {
    const {failed} = await queue.enqueue(digests.slice(i, i + 5_000))
    if (failed.length) throw new Error(`enqueue failed: ${failed[0]!.error}`)
  }
  await queue.close()
}

function runWorker(concurrency: number): Promise<{jobsPerSecond: number; completed: number; batches: number; durationMs: number; wallMs: number}> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.WRAP ? '/usr/bin/time' : process.execPath, [...(process.env.WRAP ? ['-f', 'worker cpu user %U s sys %S s wall %e s', process.execPath] : []), bin, 'worker', '--drain', '--json', '--concurrency', String(concurrency)], {
      env: {...process.env, DATABASE_URL: `${PG}/${database}`, REDIS_URL, REDIS_PREFIX: prefix, CUSD_ADDRESS: CUSD_PACKAGE, LOG_LEVEL: 'warn', CONFIO_CONFIG: ''},
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`worker exited ${code}: ${stdout}`))
      resolve({...(JSON.parse(stdout) as {jobsPerSecond: number; completed: number; batches: number; durationMs: number}), wallMs: performance.now() - started})
    })
  })
}

/** bee-queue alone: the same number of jobs through an empty handler at this concurrency. */
async function emptyHandler(concurrency: number): Promise<number> {
  const options = {prefix: `${prefix}empty`, redis: {url: REDIS_URL}, getEvents: false, sendEvents: false, storeJobs: false, removeOnSuccess: true}
  const producer = new BeeQueue('empty', {...options, isWorker: false})
  await producer.ready()
  for (let i = 0; i < JOBS; i += 5_000) {
    await producer.saveAll(Array.from({length: Math.min(5_000, JOBS - i)}, (_, j) => producer.createJob({digest: String(i + j)}).setId(String(i + j))))
  }
  await producer.close()
  const consumer = new BeeQueue('empty', {...options, isWorker: true})
  await consumer.ready()
  let done = 0
  const started = performance.now()
  const rate = await new Promise<number>((resolve) => {
    consumer.on('succeeded', () => {
      done += 1
      if (done === JOBS) resolve((JOBS * 1000) / (performance.now() - started))
    })
    consumer.process(concurrency, async () => undefined)
  })
  await consumer.close()
  return rate
}

const admin = createDatabase({url: `${PG}/postgres`})
await admin.raw(`CREATE DATABASE ${database}`)
const db = createDatabase({url: `${PG}/${database}`})
try {
  await migrateLatest(db)
  const seeding = performance.now()
  const digests = await seed(db)
  console.log(`confio worker, ${JOBS} queued cUSD transfers between ${ACCOUNTS} accounts (node ${process.version}; seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s)`)
  console.log('concurrency | confio worker jobs/s | bee-queue empty handler jobs/s | jobs per batch | worker wall time (incl. process start)')
  let best = 0
  for (const concurrency of CONCURRENCIES) {
    await reset(db)
    await queueAll(digests)
    const run = await runWorker(concurrency)
    if (run.completed !== JOBS) throw new Error(`expected ${JOBS} completed, got ${run.completed}`)
    const rows = await db('account_transactions').count({n: '*'}).first()
    if (Number(rows?.n) !== JOBS * 3) throw new Error(`expected ${JOBS * 3} history rows, got ${rows?.n}`)
    await reset(db)
    const empty = await emptyHandler(concurrency)
    best = Math.max(best, run.jobsPerSecond)
    console.log(`${String(concurrency).padStart(11)} | ${String(run.jobsPerSecond).padStart(20)} | ${String(Math.round(empty)).padStart(30)} | ${(run.completed / run.batches).toFixed(1).padStart(14)} | ${(run.wallMs / 1000).toFixed(1)} s`)
  }
  console.log(`best: ${best} jobs/s; goal >= 2000 jobs/s: ${best >= 2_000 ? 'met' : 'NOT met'}`)
} finally {
  await reset(db).catch(() => undefined)
  await db.destroy()
  await admin.raw(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.destroy()
}
