// What the end-to-end benchmarks (bench:poll, bench:backfill) share: a scratch PostgreSQL database
// and Redis prefix of their own (so two runs cannot interfere, and nothing outlives a run), the
// environment a spawned confio command needs to use them and the local Sui server, accounts in
// bulk, readings of a process from /proc, and the number formats the figures are printed in.
import {randomBytes} from 'node:crypto'
import {appendFileSync, readFileSync} from 'node:fs'
import {Redis} from 'ioredis'

import {type Database, createDatabase} from '../src/store/database.ts'
import {migrateLatest} from '../src/store/migrator.ts'
import {inChunks} from '../src/support/chunks.ts'
import {deleteKeysWithPrefix} from '../test/support/redis-keys.ts'

export const PG = process.env.CONFIO_TEST_PG ?? 'postgres://root@127.0.0.1:5432'
export const REDIS = process.env.CONFIO_TEST_REDIS ?? 'redis://127.0.0.1:6379/0'
/** Mainnet's USDC: the traffic generator deposits it to relevant addresses, so confio must know it. */
export const USDC = '0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC'

/** A number from the environment, or `fallback` when unset or empty. */
export function num(name: string, fallback: number): number {
  const raw = process.env[name]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw} is not a non-negative number`)
  return value
}

export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits})
export {formatWait as seconds} from '../src/support/format-wait.ts'

// ---- the scratch database and Redis prefix of one run ----

export interface Scratch {
  readonly runId: string
  readonly database: string
  readonly databaseUrl: string
  readonly redisPrefix: string
}

/** Names for one run of the benchmark `bench` (a random run id keeps concurrent runs apart). */
export function scratchFor(bench: string): Scratch {
  const runId = randomBytes(4).toString('hex')
  const database = `confio_bench_${bench}_${runId}`
  return {runId, database, databaseUrl: `${PG}/${database}`, redisPrefix: `confio-bench-${bench}-${runId}:`}
}

export async function createScratchDatabase(scratch: Scratch): Promise<Database> {
  const admin = createDatabase({url: `${PG}/postgres`})
  try {
    await admin.raw(`CREATE DATABASE ${scratch.database}`)
  } finally {
    await admin.destroy()
  }
  const db = createDatabase({url: scratch.databaseUrl})
  await migrateLatest(db)
  return db
}

export async function dropScratchDatabase(scratch: Scratch): Promise<void> {
  const admin = createDatabase({url: `${PG}/postgres`})
  try {
    await admin.raw(`DROP DATABASE IF EXISTS ${scratch.database} WITH (FORCE)`)
  } finally {
    await admin.destroy()
  }
}

export async function deleteScratchKeys(scratch: Scratch): Promise<number> {
  return deleteKeysWithPrefix(REDIS, scratch.redisPrefix)
}

/** The end of a run: the Sui server stopped, the scratch database and Redis keys gone. */
export async function releaseScratch(scratch: Scratch, db: Database, server: {close(): Promise<void>}): Promise<void> {
  await server.close().catch(() => undefined)
  await db.destroy()
  await dropScratchDatabase(scratch)
  await deleteScratchKeys(scratch)
}

/** The process-transaction queue under the run's prefix: jobs it holds, and how many wait. */
export async function queueCounts(scratch: Scratch): Promise<{jobs: number; waiting: number}> {
  const redis = new Redis(REDIS)
  try {
    const key = `${scratch.redisPrefix}bq:process-transaction`
    const [jobs, waiting] = await Promise.all([redis.hlen(`${key}:jobs`), redis.llen(`${key}:waiting`)])
    return {jobs, waiting}
  } finally {
    redis.disconnect()
  }
}

/**
 * When each digest's process-transaction job was created (bee-queue's own options.timestamp, in
 * ms): the moment a stored transaction reached the queue. Digests without a job are left out.
 */
export async function jobCreatedAt(scratch: Scratch, digests: readonly string[]): Promise<Map<string, number>> {
  const redis = new Redis(REDIS)
  const created = new Map<string, number>()
  try {
    const key = `${scratch.redisPrefix}bq:process-transaction:jobs`
    for (const chunk of inChunks(digests, 1_000)) {
      const jobs = await redis.hmget(key, ...chunk)
      jobs.forEach((job, j) => {
        if (job !== null) created.set(chunk[j]!, (JSON.parse(job) as {options: {timestamp: number}}).options.timestamp)
      })
    }
    return created
  } finally {
    redis.disconnect()
  }
}

/** The environment of a confio command run against the scratch database, prefix and this Sui server. */
export function confioEnv(scratch: Scratch, suiUrl: string, logLevel: string): Record<string, string> {
  return {
    DATABASE_URL: scratch.databaseUrl,
    REDIS_URL: REDIS,
    REDIS_PREFIX: scratch.redisPrefix,
    SUI_GRPC_URL: suiUrl,
    SUI_NETWORK: 'localnet',
    SUI_RPC_RPS: '100000',
    USDC_COIN_TYPE: USDC,
    LOG_LEVEL: logLevel,
  }
}

/**
 * Inserts `count` accounts with random addresses in one statement (generated by PostgreSQL, 32
 * random bytes each as two md5s), in slices so no statement runs for too long.
 */
export async function insertAccounts(db: Database, count: number, startAt: number): Promise<void> {
  const SLICE = 250_000
  for (let done = 0; done < count; done += SLICE) {
    const n = Math.min(SLICE, count - done)
    await db.raw(
      `INSERT INTO accounts (email, sui_address, label)
       SELECT 'bench' || g || '@bench.example', '0x' || md5(random()::text || g) || md5(g::text || random()::text), 'bench ' || g
       FROM generate_series(?::bigint, ?::bigint) AS g
       ON CONFLICT DO NOTHING`,
      [startAt + done, startAt + done + n - 1],
    )
  }
}

// ---- /proc: memory and CPU time of a process ----

const CLOCK_TICKS = 100 // USER_HZ on Linux

export function procStatus(pid: number): {rssKb: number; hwmKb: number} | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8')
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0)
    return {rssKb: field('VmRSS'), hwmKb: field('VmHWM')}
  } catch {
    return undefined
  }
}

/** utime + stime of a process, in ms (undefined once it is gone). */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

/**
 * Waits until process `pid` is quiet: at most one clock tick of CPU in each of two 50 ms windows
 * in a row. A server that has just run a full GC of gigabytes goes on sweeping on its other
 * threads for a few hundred ms, on the cores a measured phase would use. Gives up after `timeoutMs`.
 */
export async function untilQuiet(pid: number, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  let quietWindows = 0
  while (quietWindows < 2 && performance.now() < deadline) {
    const before = cpuMsOf(pid)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const after = cpuMsOf(pid)
    quietWindows = before !== undefined && after !== undefined && after - before <= 1_000 / CLOCK_TICKS ? quietWindows + 1 : 0
  }
}

// ---- figures: what a run measured, against its floor and goal, for `npm run bench` ----

/**
 * One figure of a benchmark: what it measured, the floor it is judged against (the cheapest run
 * of the same work this machine allows, measured in the same run), measured / floor, and the goal
 * (on the ratio when there is a floor, else on the figure itself; `higher` says which way is good).
 */
export interface Figure {
  readonly bench: string
  readonly name: string
  readonly unit: string
  readonly measured: number
  readonly floor: number | null
  readonly ratio: number | null
  readonly goal: number | null
  /** What the goal bounds: the ratio, or the measured figure. */
  readonly goalOn: 'ratio' | 'measured' | null
  readonly higher: boolean
  readonly met: boolean | null
  readonly command: string
}

export interface FigureInput {
  readonly name: string
  readonly unit: string
  readonly measured: number
  readonly floor?: number
  readonly goal?: {readonly on: 'ratio' | 'measured'; readonly value: number}
  /** false when less is better (ms, MB); default true. */
  readonly higher?: boolean
}

/** The command a figure came from, as `npm run bench` passes it (or this process's own). */
function benchCommand(): string {
  return process.env.BENCH_COMMAND ?? `node ${process.argv.slice(1).map((a) => a.replace(`${process.cwd()}/`, '')).join(' ')}`
}

/** A figure with its ratio and verdict computed. */
function figure(bench: string, input: FigureInput): Figure {
  const higher = input.higher ?? true
  const floor = input.floor ?? null
  const ratio = floor === null || floor === 0 ? null : input.measured / floor
  const goal = input.goal ?? null
  const judged = goal === null ? null : goal.on === 'ratio' ? ratio : input.measured
  const met = goal === null || judged === null ? null : higher ? judged >= goal.value : judged <= goal.value
  return {bench, name: input.name, unit: input.unit, measured: input.measured, floor, ratio, goal: goal?.value ?? null, goalOn: goal?.on ?? null, higher, met, command: benchCommand()}
}

/**
 * Prints the figures as a table and, when BENCH_RESULTS names a file (`npm run bench` sets it),
 * appends them there as JSON lines for the runner to collect.
 */
export function reportFigures(bench: string, inputs: readonly FigureInput[]): Figure[] {
  const figures = inputs.map((input) => figure(bench, input))
  const cell = (n: number | null) => (n === null ? '' : Math.abs(n) >= 100 ? fmt(n) : n !== 0 && Math.abs(n) < 1 ? n.toLocaleString('en-US', {maximumSignificantDigits: 2}) : fmt(n, 2))
  console.log('')
  console.log(`${'figure'.padEnd(84)} ${'measured'.padStart(12)} ${'floor'.padStart(12)} ${'ratio'.padStart(7)}  goal`)
  for (const f of figures) {
    const goal = f.goal === null ? '' : `${f.goalOn === 'ratio' ? 'ratio' : f.unit} ${f.higher ? '≥' : '≤'} ${cell(f.goal)}: ${f.met ? 'met' : 'NOT met'}`
    console.log(`${`${f.name} (${f.unit})`.padEnd(84)} ${cell(f.measured).padStart(12)} ${cell(f.floor).padStart(12)} ${cell(f.ratio).padStart(7)}  ${goal}`)
  }
  const file = process.env.BENCH_RESULTS
  if (file) appendFileSync(file, figures.map((f) => `${JSON.stringify(f)}\n`).join(''))
  return figures
}

/** A process's peak resident memory so far (VmHWM), in MB; undefined once it is gone. */
export function peakMbOf(pid: number): number | undefined {
  const status = procStatus(pid)
  return status ? status.hwmKb / 1024 : undefined
}
