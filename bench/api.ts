// bench/api: the HTTP API as the wallet's web app sees it. The real `confio serve` (a child
// process) on a scratch database and Redis prefix, over the local Sui server; ACCOUNTS accounts
// whose balances are read once from the chain first (the cache warm, as in a running system), and
// a stand-in for a caught-up poller (the pipeline marker) so cached values are trusted.
//
//  1. the floor: the same cached reads through BalanceService in this process (what a Node service
//     that imports confio pays), one at a time, ITERATIONS reads;
//  2. one client, one request at a time over HTTP (fetch, keep-alive): ITERATIONS cached reads
//     (GET /v1/balances/{id}/CUSD, accounts in turn); the ratio to the floor is what HTTP, the
//     account's lookup and the JSON cost;
//  3. a load generator in its own process (bench/http-load.ts) sending RATE requests/s evenly
//     spaced for SECONDS over at most CONNECTIONS connections: p50 and p99 (goal: p99 <= 2 ms at
//     2,000/s), and the rate answered (goal: at least 98% of RATE, every answer a 200); its floor,
//     the same load against a bare node:http server in its own process (bench/bare-http-server.ts):
//     what the machine, the client and Node's HTTP stack cost without confio;
//  4. autocannon, CONNECTIONS at once, as fast as serve answers: requests/s;
//  5. POST /v1/pending and DELETE /v1/pending/{digest}, ITERATIONS / 10 each, one at a time.
//
// A measurement: it prints figures and fails only when a request does not answer 200.
//
//   npm run bench:api
//   ACCOUNTS=20 ITERATIONS=500 SECONDS=3 npm run bench:api      (a quick run)
//
// Environment: ACCOUNTS (100), ITERATIONS (5000), RATE (2000), SECONDS (10), CONNECTIONS (32),
// CONFIO_TEST_PG, CONFIO_TEST_REDIS.
import {execFile, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {once} from 'node:events'
import {tmpdir} from 'node:os'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {toBase58} from '@mysten/sui/utils'
import {openBalanceService} from '../src/balances/open-balance-service.ts'
import {openChainReader} from '../src/chain/index.ts'
import {loadConfig} from '../src/config/config.ts'
import {createLogger} from '../src/logging/logger.ts'
import {SecretScrubber} from '../src/secrets.ts'
import {nearestRank} from '../src/support/percentiles.ts'
import {sleep} from '../src/support/sleep.ts'
import {startSuiServer} from '../sui-server/index.ts'
import {ConfioProcess} from '../test/support/child-process.ts'
import {freePort} from '../test/support/free-port.ts'
import {keepPipelineCaughtUp} from '../test/support/pipeline-marker.ts'
import {confioEnv, createScratchDatabase, fmt, num, REDIS, releaseScratch, reportFigures, scratchFor} from './bench-support.ts'
import {localChainOptions, unlimitedDeps} from './local-chain.ts'

const ACCOUNTS = num('ACCOUNTS', 100)
const ITERATIONS = num('ITERATIONS', 5_000)
const RATE = num('RATE', 2_000)
const SECONDS = num('SECONDS', 10)
const CONNECTIONS = num('CONNECTIONS', 32)
const TOKEN = randomBytes(24).toString('hex')
const LOAD_GENERATOR = fileURLToPath(new URL('./http-load.ts', import.meta.url))
const BARE_SERVER = fileURLToPath(new URL('./bare-http-server.ts', import.meta.url))

/** What bench/http-load.ts prints. */
interface LoadResult {
  answered: number
  failures: number
  ratePerSecond: number
  p50Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
}

const scratch = scratchFor('api')
const db = await createScratchDatabase(scratch)
const sui = await startSuiServer()
const pipeline = await keepPipelineCaughtUp(REDIS, scratch.redisPrefix)
const cusd = `0x${randomBytes(32).toString('hex')}`
const env = {...confioEnv(scratch, sui.url, 'info'), CUSD_ADDRESS: cusd}
let serve: ConfioProcess | undefined
try {
  const ids: string[] = []
  for (let i = 0; i < ACCOUNTS; i++) {
    const address = sui.ledger.createAddress(`bench-${i}`)
    sui.ledger.mint(address, `${cusd}::cusd::CUSD`, 1_000_000n + BigInt(i))
    const [row] = await db('accounts').insert({email: `bench${i}@api.bench`, sui_address: address}).returning('id')
    ids.push(String(row.id))
  }
  sui.ledger.produceCheckpoint()

  const port = await freePort()
  serve = new ConfioProcess(['serve', '--port', String(port)], {...env, CONFIO_API_TOKEN: TOKEN})
  await serve.waitForLog(/serving the API/)
  const base = `http://127.0.0.1:${port}`
  const headers = {authorization: `Bearer ${TOKEN}`}
  const readPath = (i: number) => `/v1/balances/${ids[i % ids.length]}/CUSD`

  /** One request's time in ms; a status other than 200 ends the run. */
  async function timed(method: string, path: string, body?: unknown): Promise<number> {
    const started = performance.now()
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : {...headers, 'content-type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status}`)
    return performance.now() - started
  }

  const p = (samples: number[], rank: number) => nearestRank([...samples].sort((a, b) => a - b), rank)
  const describe = (samples: number[]) => `p50 ${fmt(p(samples, 50), 3)} ms, p95 ${fmt(p(samples, 95), 3)} ms, p99 ${fmt(p(samples, 99), 3)} ms`

  // Warm: each balance read from the chain once, as in a running system.
  for (let i = 0; i < ids.length; i++) await timed('GET', readPath(i))
  await sleep(200)

  const inProcess = await inProcessReads(ids)
  console.log(`BalanceService in process, cached read (${fmt(ITERATIONS)} reads): ${describe(inProcess)}`)

  const single: number[] = []
  for (let i = 0; i < ITERATIONS; i++) single.push(await timed('GET', readPath(i)))
  console.log(`HTTP cached read, one at a time (${fmt(ITERATIONS)} reads): ${describe(single)}`)

  const paths = ids.map((_, i) => readPath(i))
  const fixed = await load({base, paths, headers, connections: CONNECTIONS, seconds: SECONDS, rate: RATE})
  console.log(`HTTP at ${fmt(RATE)} requests/s for ${SECONDS} s (${CONNECTIONS} connections): ${fmt(fixed.ratePerSecond)}/s answered, p50 ${fmt(fixed.p50Ms, 3)} ms, p99 ${fmt(fixed.p99Ms, 3)} ms, p99.9 ${fmt(fixed.p999Ms, 3)} ms, max ${fmt(fixed.maxMs, 1)} ms`)
  const bare = await againstBareServer({paths, headers, connections: CONNECTIONS, seconds: SECONDS, rate: RATE})
  console.log(`  a bare node:http server at the same rate: p50 ${fmt(bare.p50Ms, 3)} ms, p99 ${fmt(bare.p99Ms, 3)} ms, p99.9 ${fmt(bare.p999Ms, 3)} ms`)
  const flat = await load({base, paths, headers, connections: CONNECTIONS, seconds: Math.max(2, Math.round(SECONDS / 2))})
  console.log(`HTTP as fast as it answers (${CONNECTIONS} connections): ${fmt(flat.ratePerSecond)} requests/s, p50 ${fmt(flat.p50Ms, 2)} ms, p99 ${fmt(flat.p99Ms, 2)} ms`)

  const recorded: number[] = []
  const released: number[] = []
  for (let i = 0; i < Math.max(1, Math.floor(ITERATIONS / 10)); i++) {
    const digest = toBase58(randomBytes(32))
    recorded.push(await timed('POST', '/v1/pending', {account: ids[i % ids.length], token: 'CUSD', amount: '1000', digest}))
    released.push(await timed('DELETE', `/v1/pending/${digest}`))
  }
  console.log(`POST /v1/pending (${fmt(recorded.length)}): ${describe(recorded)}`)
  console.log(`DELETE /v1/pending/{digest} (${fmt(released.length)}): ${describe(released)}`)
  reportFigures('api', [
    {name: 'cached read over HTTP, one at a time, p50, against BalanceService in process', unit: 'ms', measured: p(single, 50), floor: p(inProcess, 50), higher: false},
    {name: 'cached read over HTTP, one at a time, p99', unit: 'ms', measured: p(single, 99), higher: false},
    {name: `cached reads at ${fmt(RATE)} requests/s, p99`, unit: 'ms', measured: fixed.p99Ms, goal: {on: 'measured', value: 2}, higher: false},
    {name: `cached reads at ${fmt(RATE)} requests/s, p99, against a bare node:http server at the same rate`, unit: 'ms', measured: fixed.p99Ms, floor: bare.p99Ms, higher: false},
    {name: `cached reads at ${fmt(RATE)} requests/s, p50, against a bare node:http server at the same rate`, unit: 'ms', measured: fixed.p50Ms, floor: bare.p50Ms, higher: false},
    {name: `cached reads at ${fmt(RATE)} requests/s, rate answered against the rate asked`, unit: 'requests/s', measured: fixed.ratePerSecond, floor: RATE, goal: {on: 'ratio', value: 0.98}},
    {name: `cached reads as fast as serve answers (${CONNECTIONS} connections)`, unit: 'requests/s', measured: flat.ratePerSecond},
    {name: 'POST /v1/pending, p50', unit: 'ms', measured: p(recorded, 50), higher: false},
    {name: 'DELETE /v1/pending/{digest}, p50', unit: 'ms', measured: p(released, 50), higher: false},
  ])
} finally {
  serve?.kill('SIGTERM')
  await serve?.exited
  await pipeline.stop()
  await releaseScratch(scratch, db, sui)
}

/** The same cached reads through a BalanceService of this process's own: ms each. */
async function inProcessReads(ids: readonly string[]): Promise<number[]> {
  const config = loadConfig({env, cwd: tmpdir()})
  const opened = await openBalanceService({
    databaseUrl: scratch.databaseUrl,
    redisUrl: REDIS,
    redisPrefix: scratch.redisPrefix,
    chain: openChainReader(localChainOptions(sui.url), unlimitedDeps()),
    tokens: config.tokens,
    logger: createLogger({level: 'silent', scrubber: new SecretScrubber()}),
  })
  try {
    for (const id of ids) await opened.service.getBalance(id, 'CUSD')
    const samples: number[] = []
    for (let i = 0; i < ITERATIONS; i++) {
      const started = performance.now()
      const balance = await opened.service.getBalance(ids[i % ids.length] as string, 'CUSD')
      samples.push(performance.now() - started)
      if (balance.source === 'chain') throw new Error('an in-process read went to the chain: the cache is not warm')
    }
    return samples
  } finally {
    await opened.close()
  }
}

/** The same paced load against bench/bare-http-server.ts, started for it and stopped after. */
async function againstBareServer(options: {paths: string[]; headers: Record<string, string>; connections: number; seconds: number; rate: number}): Promise<LoadResult> {
  const server = spawn(process.execPath, [BARE_SERVER], {stdio: ['ignore', 'pipe', 'inherit']})
  try {
    const [line] = (await once(server.stdout, 'data')) as [Buffer]
    return await load({...options, base: `http://127.0.0.1:${line.toString().trim()}`})
  } finally {
    server.kill()
  }
}

/** Runs bench/http-load.ts in its own process; a request that did not answer 200 ends the run. */
async function load(options: {base: string; paths: string[]; headers: Record<string, string>; connections: number; seconds: number; rate?: number}): Promise<LoadResult> {
  const {stdout} = await promisify(execFile)(process.execPath, [LOAD_GENERATOR, JSON.stringify(options)], {timeout: (options.seconds + 30) * 1000})
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as LoadResult
  if (result.failures > 0 || result.answered === 0) throw new Error(`the load generator saw failures: ${JSON.stringify(result)}`)
  return result
}
