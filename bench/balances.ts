// bench/balances: balances kept exact by the pipeline, then read from each cache level.
//
//  1. exactness: ACCOUNTS monitored accounts on the local Sui server (its own process), funded,
//     then anchored: one chain read each (getAllBalances: one ListBalances). Then TRANSFERS cUSD
//     and SUI transfers among them (TRANSFERS_PER_CHECKPOINT to a checkpoint), the real
//     `confio poll --once` and `confio worker --drain` (child processes), and every monitored
//     balance read through a fresh BalanceService with memory off, once with Redis on and once
//     with Redis off (PostgreSQL): no chain call may be made, and each must equal the server's.
//  2. speed: the real `confio test-balance --benchmark --json` over the first BENCH_ACCOUNTS
//     accounts, ITERATIONS reads per level (its progress lines on stderr).
// From the read-back on, the real `confio poll` runs beside them: its pipeline marker is what
// lets a cached balance be trusted (src/balances/pipeline-marker.ts), and a Redis hit reads it
// with the balance (one MGET), which is what the Redis level's figures measure.
//
// The local server's state replies name a height one above or below their state (STATE_HEIGHTS,
// default 0.3,0.3: a real fullnode's imperfections; 0 turns them off), and the chain moves on two
// empty checkpoints after the funding, the anchors and the transfers, as a live chain does.
//
// Goals: Redis-hit p99 <= 0.5 ms; Redis-hit p50 within 1.5x a bare GET's p50; memory-hit p50
// <= 5 µs; zero chain calls after the transfers; every balance equal to the server's. A
// measurement, not a test: it prints figures and met / NOT met, and fails only when a run turns
// out broken (a child failed, jobs missing), since its figures would then be worthless. Everything
// runs on a scratch database and a Redis prefix of its own, both removed at the end.
//
//   npm run bench:balances
//   ACCOUNTS=50 TRANSFERS=1000 ITERATIONS=500 npm run bench:balances     (a quick run)
//
// Environment: ACCOUNTS (200), TRANSFERS (10000), TRANSFERS_PER_CHECKPOINT (10), BENCH_ACCOUNTS
// (100), ITERATIONS (5000), STATE_HEIGHTS (0.3,0.3), CONFIO_TEST_PG, CONFIO_TEST_REDIS.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {BalanceBenchmarkResult, LatencyFigures} from '../src/balances/balance-benchmark.ts'
import type {BalanceSource} from '../src/balances/balance-service.ts'
import {Redis} from 'ioredis'
import {openBalanceService} from '../src/balances/open-balance-service.ts'
import {isCaughtUp, pipelineMarkerKey} from '../src/balances/pipeline-marker.ts'
import {openChainReader} from '../src/chain/index.ts'
import {loadConfig} from '../src/config/config.ts'
import {POLLER_CURSOR} from '../src/ingest/poller-cursor.ts'
import {createLogger} from '../src/logging/logger.ts'
import {SecretScrubber} from '../src/secrets.ts'
import {createDatabase, type Database} from '../src/store/database.ts'
import {migrateLatest} from '../src/store/migrator.ts'
import {SUI_COIN_TYPE} from '../src/sui/identifiers.ts'
import {formatWait as seconds} from '../src/support/format-wait.ts'
import {sleep} from '../src/support/sleep.ts'
import {deleteKeysWithPrefix} from '../test/support/redis-keys.ts'
import {type SpawnedSuiServer, spawnSuiServer} from '../sui-server/index.ts'
import {formatLatency} from '../cli/render/latency.ts'
import {fmt, reportFigures} from './bench-support.ts'
import {localChainOptions, unlimitedDeps} from './local-chain.ts'

const num = (name: string, fallback: number, min = 1): number => {
  const raw = process.env[name]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} is not a whole number >= ${min}`)
  return value
}
const ACCOUNTS = num('ACCOUNTS', 200, 2)
const TRANSFERS = num('TRANSFERS', 10_000)
// 10, not more: the poller stores a batch's relevant transactions (up to 250 checkpoints) in one
// INSERT, which fails past PostgreSQL's 65,535 bind parameters (about 7,000 rows; poll exits 1).
const TRANSFERS_PER_CHECKPOINT = num('TRANSFERS_PER_CHECKPOINT', 10)
const BENCH_ACCOUNTS = num('BENCH_ACCOUNTS', 100)
const ITERATIONS = num('ITERATIONS', 5_000)
const [HEADER_ABOVE, HEADER_BELOW] = (process.env.STATE_HEIGHTS ?? '0.3,0.3').split(',').map(Number) as [number, number]

const GOAL_REDIS_P99_MS = 0.5
const GOAL_REDIS_VS_GET = 1.5
const GOAL_MEMORY_P50_MS = 0.005

const PG = process.env.CONFIO_TEST_PG ?? 'postgres://root@127.0.0.1:5432'
const REDIS_URL = process.env.CONFIO_TEST_REDIS ?? 'redis://127.0.0.1:6379/0'
const RUN_ID = randomBytes(4).toString('hex')
const DATABASE = `confio_bench_balances_${RUN_ID}`
const DATABASE_URL = `${PG}/${DATABASE}`
const REDIS_PREFIX = `confio-bench-balances-${RUN_ID}:`
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const CUSD_PACKAGE = `0x${randomBytes(32).toString('hex')}`
const CUSD = `${CUSD_PACKAGE}::cusd::CUSD`
/** The same empty folder for every child and for this process's config: no stray .env is read. */
const CWD = mkdtempSync(join(tmpdir(), 'confio-bench-balances-'))

const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})

// ---- confio in child processes ----

interface Run {
  stdout: string
  stderr: string
  ms: number
}

function confio(args: string[], env: Record<string, string>, options: {showStderr?: boolean} = {}): Promise<Run> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {cwd: CWD, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', options.showStderr ? 'inherit' : 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`confio ${args.join(' ')} exited with ${code}:\n${stdout}\n${stderr}`))
      else resolve({stdout, stderr, ms: performance.now() - started})
    })
  })
}

/** `confio poll` in the background, once its pipeline marker says caught up; stop() ends it with SIGTERM. */
async function startPoller(env: Record<string, string>): Promise<{stop(): Promise<void>}> {
  const child = spawn(process.execPath, [BIN, 'poll', '--mode', 'poll', '--interval', '500ms'], {cwd: CWD, env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)))
  const exited = new Promise((resolve) => child.on('close', resolve))
  const stop = async () => {
    child.kill('SIGTERM')
    await exited
  }
  const redis = new Redis(REDIS_URL)
  try {
    const deadline = Date.now() + 30_000
    while (!isCaughtUp(await redis.get(pipelineMarkerKey(REDIS_PREFIX)))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`confio poll wrote no caught-up pipeline marker within 30 s:\n${stderr}`)
      await sleep(100)
    }
  } catch (error) {
    await stop()
    throw error
  } finally {
    redis.disconnect()
  }
  return {stop}
}

function childEnv(server: SpawnedSuiServer): Record<string, string> {
  return {
    DATABASE_URL,
    REDIS_URL,
    REDIS_PREFIX,
    SUI_GRPC_URL: server.url,
    SUI_NETWORK: 'localnet',
    SUI_RPC_RPS: '100000',
    CUSD_ADDRESS: CUSD_PACKAGE,
    CONFIO_CONFIG: '',
    LOG_LEVEL: 'warn',
  }
}

async function chainCalls(server: SpawnedSuiServer): Promise<number> {
  const counts = await server.callCounts()
  return (counts.GetBalance ?? 0) + (counts.ListBalances ?? 0)
}

// ---- phases ----

interface Account {
  id: string
  address: string
}

async function seed(db: Database, server: SpawnedSuiServer): Promise<Account[]> {
  const addresses: string[] = []
  for (let i = 0; i < ACCOUNTS; i++) addresses.push(await server.createAddress(`bench-balances-${i}`))
  const rows: {id: string | number}[] = await db('accounts')
    .insert(addresses.map((address, i) => ({email: `u${i}@bench-balances.example`, sui_address: address, label: `bench ${i}`})))
    .returning('id')
  // Gas for thousands of transfers each, and cUSD in coin objects or the address balance.
  await Promise.all(addresses.flatMap((a, i) => [server.mint(a, SUI_COIN_TYPE, 1_000_000_000_000n), server.mint(a, CUSD, 1_000_000_000_000n, {addressBalance: i % 2 === 1})]))
  return addresses.map((address, i) => ({id: String(rows[i]?.id), address}))
}

/** TRANSFERS transfers among the accounts (4 in 5 cUSD, the rest SUI), sealed in checkpoints. */
async function transfers(server: SpawnedSuiServer, accounts: Account[]): Promise<number> {
  let checkpoints = 0
  for (let done = 0; done < TRANSFERS; done += TRANSFERS_PER_CHECKPOINT) {
    const batch: Promise<string>[] = []
    for (let i = done; i < Math.min(TRANSFERS, done + TRANSFERS_PER_CHECKPOINT); i++) {
      const from = accounts[i % accounts.length] as Account
      const to = accounts[(i * 7 + 1 + Math.floor(i / accounts.length)) % accounts.length] as Account
      const coinType = i % 5 === 4 ? SUI_COIN_TYPE : CUSD
      batch.push(server.transfer({from: from.address, to: to.address === from.address ? (accounts[(i + 1) % accounts.length] as Account).address : to.address, coinType, amount: BigInt(1 + ((i * 7_919) % 1_000_000)), toAddressBalance: i % 3 === 0}))
    }
    await Promise.all(batch)
    await server.produceCheckpoint()
    checkpoints += 1
  }
  return checkpoints
}

interface Exactness {
  balances: number
  chainCalls: number
  serviceChainReads: number
  sources: Partial<Record<BalanceSource, number>>
  unequal: string[]
  stale: number
  ms: number
}

/**
 * Every monitored balance through a fresh BalanceService with memory off, with Redis on and then
 * off, counting chain calls (on the server) and comparing each with the server's (read after).
 */
async function checkExact(server: SpawnedSuiServer, accounts: Account[], env: Record<string, string>): Promise<Exactness> {
  const config = loadConfig({env, cwd: CWD})
  const chain = openChainReader(localChainOptions(server.url), unlimitedDeps())
  const opened = await openBalanceService({databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, redisPrefix: REDIS_PREFIX, chain, tokens: config.tokens, logger: silent})
  const tokens = config.tokens.list()
  try {
    const calls = await chainCalls(server)
    const started = performance.now()
    /** address:token -> the amount read with Redis on, then with it off (PostgreSQL). */
    const read = new Map<string, bigint[]>()
    const sources: Partial<Record<BalanceSource, number>> = {}
    let stale = 0
    for (const levels of [{memory: false, redis: true}, {memory: false, redis: false}]) {
      opened.service.useLevels(levels)
      for (const account of accounts) {
        for (const token of tokens) {
          const balance = await opened.service.getBalance(account.id, token.symbol)
          sources[balance.source] = (sources[balance.source] ?? 0) + 1
          if (balance.isStale) stale += 1
          const key = `${account.address}:${token.symbol}`
          read.set(key, [...(read.get(key) ?? []), balance.amount])
        }
      }
    }
    const ms = performance.now() - started
    const result = {balances: read.size, chainCalls: (await chainCalls(server)) - calls, serviceChainReads: opened.service.chainReads, sources, stale, ms}
    // The server's own balances, read after the count: one ListBalances per account.
    const unequal: string[] = []
    for (const account of accounts) {
      const onChain = new Map((await chain.balances(account.address)).balances.map((r) => [r.coinType, r.total]))
      for (const token of tokens) {
        const expected = onChain.get(token.coinType) ?? 0n
        const [viaRedis, viaPostgres] = read.get(`${account.address}:${token.symbol}`) ?? []
        if (viaRedis !== expected || viaPostgres !== expected) unequal.push(`account ${account.id} ${token.symbol}: chain ${expected}, confio ${viaRedis} (Redis on) / ${viaPostgres} (Redis off)`)
      }
    }
    return {...result, unequal}
  } finally {
    await opened.close()
    chain.close()
  }
}

function goal(name: string, measured: string, met: boolean): string {
  return `  ${name.padEnd(44)} ${measured.padEnd(34)} ${met ? 'met' : 'NOT met'}`
}

function levelRow(name: string, f: LatencyFigures, extra: string): string {
  return `  ${name.padEnd(18)} ${String(f.reads).padStart(6)}  ${formatLatency(f.minMs).padStart(9)}  ${formatLatency(f.p50Ms).padStart(9)}  ${formatLatency(f.p95Ms).padStart(9)}  ${formatLatency(f.p99Ms).padStart(9)}  ${fmt(f.perSecond).padStart(9)}  ${extra}`
}

// ---- the run ----

async function main(): Promise<void> {
  const runStarted = performance.now()
  console.log(`bench:balances — ${fmt(ACCOUNTS)} accounts, ${fmt(TRANSFERS)} transfers (${TRANSFERS_PER_CHECKPOINT} a checkpoint), then test-balance --benchmark over ${BENCH_ACCOUNTS} accounts x ${fmt(ITERATIONS)} reads per level; state replies one above / below their state: ${HEADER_ABOVE} / ${HEADER_BELOW ?? HEADER_ABOVE} (node ${process.version}, ${DATABASE}, Redis prefix ${REDIS_PREFIX})`)
  const admin = createDatabase({url: `${PG}/postgres`})
  await admin.raw(`CREATE DATABASE ${DATABASE}`)
  const db = createDatabase({url: DATABASE_URL})
  const server = await spawnSuiServer({stateHeights: {headerAbove: HEADER_ABOVE, headerBelow: HEADER_BELOW ?? HEADER_ABOVE}})
  /** Two empty checkpoints: a chain value read now has none of the transactions so far in its window. */
  const moveOn = async () => {
    await server.produceCheckpoint()
    return server.produceCheckpoint()
  }
  try {
    await migrateLatest(db)
    const env = childEnv(server)

    let t = performance.now()
    const accounts = await seed(db, server)
    await server.produceCheckpoint()
    const base = await moveOn()
    // The poller starts after the funding checkpoint: the anchors below are read at it.
    await db('ingest_cursors').insert({name: POLLER_CURSOR, checkpoint: base.toString()})
    console.log(`setup: ${accounts.length} accounts funded at checkpoint ${base} in ${seconds(performance.now() - t)}`)

    t = performance.now()
    const config = loadConfig({env, cwd: CWD})
    const anchorChain = openChainReader(localChainOptions(server.url), unlimitedDeps())
    const anchoring = await openBalanceService({databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, redisPrefix: REDIS_PREFIX, chain: anchorChain, tokens: config.tokens, logger: silent})
    try {
      for (const account of accounts) await anchoring.service.getAllBalances(account.id)
    } finally {
      await anchoring.close()
      anchorChain.close()
    }
    console.log(`anchor: ${accounts.length} getAllBalances (one ListBalances each) in ${seconds(performance.now() - t)}`)
    await moveOn()

    t = performance.now()
    const checkpoints = await transfers(server, accounts)
    console.log(`chain: ${fmt(TRANSFERS)} transfers in ${checkpoints} checkpoints in ${seconds(performance.now() - t)}`)

    const poll = await confio(['poll', '--once', '--mode', 'poll', '--json'], env)
    const polled = JSON.parse(poll.stdout) as {checkpoints: number; relevant: number}
    console.log(`confio poll --once: ${polled.checkpoints} checkpoints, ${fmt(polled.relevant)} relevant transactions in ${seconds(poll.ms)}`)
    if (polled.relevant !== TRANSFERS) throw new Error(`the poller kept ${polled.relevant} transactions, expected ${TRANSFERS}`)
    const worker = await confio(['worker', '--drain', '--json'], env)
    const worked = JSON.parse(worker.stdout) as {completed: number; failed: number; jobsPerSecond: number}
    console.log(`confio worker --drain: ${fmt(worked.completed)} jobs completed, ${worked.failed} failed, ${fmt(worked.jobsPerSecond)} jobs/s (${seconds(worker.ms)} with process start)`)
    if (worked.completed !== TRANSFERS) throw new Error(`the worker completed ${worked.completed} jobs, expected ${TRANSFERS}`)
    await moveOn()
    await confio(['poll', '--once', '--mode', 'poll', '--json'], env)

    const poller = await startPoller(env)
    try {
      await readAndBenchmark(server, accounts, env)
    } finally {
      await poller.stop()
    }
    console.log(`\ndone in ${seconds(performance.now() - runStarted)}`)
  } finally {
    await server.close().catch(() => undefined)
    await db.destroy()
    await admin.raw(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
    await admin.destroy()
    await deleteKeysWithPrefix(REDIS_URL, REDIS_PREFIX)
  }
}

/** The read-back and the speed stage, with a poller running; prints both and the goals. */
async function readAndBenchmark(server: SpawnedSuiServer, accounts: Account[], env: Record<string, string>): Promise<void> {
  const exact = await checkExact(server, accounts, env)
  const sourceText = Object.entries(exact.sources).map(([s, n]) => `${fmt(n)} ${s}`).join(', ')
  console.log(`read back: ${fmt(exact.balances)} balances, each with memory off, Redis on then off (${sourceText}) in ${seconds(exact.ms)}: ${exact.chainCalls} chain calls, ${exact.stale} stale, ${exact.unequal.length} unlike the server's`)
  for (const line of exact.unequal.slice(0, 10)) console.log(`  ${line}`)

  console.log(`\nconfio test-balance --benchmark --accounts ${BENCH_ACCOUNTS} --iterations ${ITERATIONS} --json (progress on stderr):`)
  const bench = await confio(['test-balance', '--benchmark', '--accounts', String(BENCH_ACCOUNTS), '--iterations', String(ITERATIONS), '--json'], env, {showStderr: true})
  const r = JSON.parse(bench.stdout) as BalanceBenchmarkResult
  console.log(`\n  ${r.accounts} accounts x ${r.tokens.length} tokens = ${r.balances} balances; ${r.primingChainReads} chain reads to prime`)
  console.log(`  ${'level'.padEnd(18)} ${'reads'.padStart(6)}  ${'min'.padStart(9)}  ${'p50'.padStart(9)}  ${'p95'.padStart(9)}  ${'p99'.padStart(9)}  ${'reads/s'.padStart(9)}  vs chain (p50), mismatches`)
  for (const level of ['memory', 'redis', 'postgres'] as const) console.log(levelRow(level, r.levels[level], `${r.speedups[level].toLocaleString('en-US')}x, ${r.levels[level].mismatches}`))
  console.log(levelRow('chain', r.levels.chain, `1x, ${r.levels.chain.mismatches}`))
  console.log(levelRow('redis GET (floor)', r.floor.redisGet, ''))

  const redis = r.levels.redis
  const ratio = redis.p50Ms / r.floor.redisGet.p50Ms
  console.log('\ngoals:')
  console.log(goal('Redis-hit p99 <= 0.5 ms', formatLatency(redis.p99Ms), redis.p99Ms <= GOAL_REDIS_P99_MS))
  console.log(goal('Redis-hit p50 within 1.5x the bare GET p50', `${formatLatency(redis.p50Ms)} vs ${formatLatency(r.floor.redisGet.p50Ms)} (${ratio.toFixed(2)}x)`, ratio <= GOAL_REDIS_VS_GET))
  console.log(goal('memory-hit p50 <= 5 µs', formatLatency(r.levels.memory.p50Ms), r.levels.memory.p50Ms <= GOAL_MEMORY_P50_MS))
  console.log(goal(`zero chain calls after ${fmt(TRANSFERS)} transfers`, `${exact.chainCalls} (service: ${exact.serviceChainReads})`, exact.chainCalls === 0 && exact.serviceChainReads === 0))
  console.log(goal('every balance equal to the server\'s', `${exact.balances - exact.unequal.length} of ${exact.balances}${exact.stale ? `, ${exact.stale} stale` : ''}`, exact.unequal.length === 0 && exact.stale === 0))
  console.log(goal('every timed read served by its level', `${r.mismatches} mismatches`, r.mismatches === 0))
  // Correctness, not speed: balances unlike the chain's, or reads the chain had to answer, make the figures worthless.
  const problems = [
    exact.unequal.length > 0 && `${exact.unequal.length} balances unlike the server's`,
    exact.stale > 0 && `${exact.stale} balances stale`,
    (exact.chainCalls > 0 || exact.serviceChainReads > 0) && `${exact.chainCalls} chain calls reading balances back`,
    r.mismatches > 0 && `${r.mismatches} timed reads not served by their level`,
  ].filter(Boolean)
  if (problems.length) throw new Error(`the run is broken, its figures mean nothing: ${problems.join('; ')}`)
  reportFigures('balances', [
    {name: 'Redis-hit p50, against a bare Redis GET p50', unit: 'ms', measured: redis.p50Ms, floor: r.floor.redisGet.p50Ms, higher: false, goal: {on: 'ratio', value: GOAL_REDIS_VS_GET}},
    {name: 'Redis-hit p99', unit: 'ms', measured: redis.p99Ms, higher: false, goal: {on: 'measured', value: GOAL_REDIS_P99_MS}},
    {name: 'memory-hit p50', unit: 'ms', measured: r.levels.memory.p50Ms, higher: false, goal: {on: 'measured', value: GOAL_MEMORY_P50_MS}},
  ])
}

await main()
