// bench/api: the HTTP API as the wallet's web app sees it. The real `confio serve` (a child
// process) on a scratch database and Redis prefix, over the local Sui server; ACCOUNTS accounts
// whose balances are read once from the chain first (the cache warm, as in a running system), and
// a stand-in for a caught-up poller (the pipeline marker) so cached values are trusted.
//
//  1. one client, one request at a time: ITERATIONS cached reads (GET /v1/balances/{id}/CUSD,
//     accounts in turn), latency min/p50/p95/p99 as the client measures it (fetch, keep-alive);
//  2. CONCURRENCY clients at once for ITERATIONS reads: requests per second and p99;
//  3. POST /v1/pending and DELETE /v1/pending/{digest}, ITERATIONS / 10 each, one at a time.
//
// A measurement, not a test: it prints figures (no floor or goal yet); it fails only when a request
// does not answer 200.
//
//   npm run bench:api
//   ACCOUNTS=20 ITERATIONS=500 npm run bench:api      (a quick run)
//
// Environment: ACCOUNTS (100), ITERATIONS (5000), CONCURRENCY (32), CONFIO_TEST_PG, CONFIO_TEST_REDIS.
import {randomBytes} from 'node:crypto'
import {toBase58} from '@mysten/sui/utils'
import {nearestRank} from '../src/support/percentiles.ts'
import {sleep} from '../src/support/sleep.ts'
import {startSuiServer} from '../sui-server/index.ts'
import {ConfioProcess} from '../test/support/child-process.ts'
import {freePort} from '../test/support/free-port.ts'
import {keepPipelineCaughtUp} from '../test/support/pipeline-marker.ts'
import {confioEnv, createScratchDatabase, fmt, num, REDIS, releaseScratch, reportFigures, scratchFor} from './bench-support.ts'

const ACCOUNTS = num('ACCOUNTS', 100)
const ITERATIONS = num('ITERATIONS', 5_000)
const CONCURRENCY = num('CONCURRENCY', 32)
const TOKEN = randomBytes(24).toString('hex')

const scratch = scratchFor('api')
const db = await createScratchDatabase(scratch)
const sui = await startSuiServer()
const pipeline = await keepPipelineCaughtUp(REDIS, scratch.redisPrefix)
const cusd = `0x${randomBytes(32).toString('hex')}`
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
  serve = new ConfioProcess(['serve', '--port', String(port)], {...confioEnv(scratch, sui.url, 'info'), CUSD_ADDRESS: cusd, CONFIO_API_TOKEN: TOKEN})
  await serve.waitForLog(/serving the API/)
  const base = `http://127.0.0.1:${port}`
  const headers = {authorization: `Bearer ${TOKEN}`}

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

  const figures = (samples: number[]) => {
    const sorted = [...samples].sort((a, b) => a - b)
    return `min ${fmt(sorted[0] ?? 0, 2)} ms, p50 ${fmt(nearestRank(sorted, 50), 2)} ms, p95 ${fmt(nearestRank(sorted, 95), 2)} ms, p99 ${fmt(nearestRank(sorted, 99), 2)} ms`
  }

  // Warm: each balance read from the chain once, as in a running system.
  for (const id of ids) await timed('GET', `/v1/balances/${id}/CUSD`)
  await sleep(200)

  const single: number[] = []
  for (let i = 0; i < ITERATIONS; i++) single.push(await timed('GET', `/v1/balances/${ids[i % ids.length]}/CUSD`))
  console.log(`cached read, one at a time (${fmt(ITERATIONS)} reads): ${figures(single)}`)

  const parallel: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({length: CONCURRENCY}, async () => {
      while (next < ITERATIONS) {
        const i = next++
        parallel.push(await timed('GET', `/v1/balances/${ids[i % ids.length]}/CUSD`))
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  console.log(`cached read, ${CONCURRENCY} at once (${fmt(ITERATIONS)} reads): ${fmt(ITERATIONS / seconds)} requests/s, ${figures(parallel)}`)

  const recorded: number[] = []
  const released: number[] = []
  for (let i = 0; i < Math.max(1, Math.floor(ITERATIONS / 10)); i++) {
    const digest = toBase58(randomBytes(32))
    recorded.push(await timed('POST', '/v1/pending', {account: ids[i % ids.length], token: 'CUSD', amount: '1000', digest}))
    released.push(await timed('DELETE', `/v1/pending/${digest}`))
  }
  console.log(`POST /v1/pending (${fmt(recorded.length)}): ${figures(recorded)}`)
  console.log(`DELETE /v1/pending/{digest} (${fmt(released.length)}): ${figures(released)}`)
  const p = (samples: number[], rank: number) => nearestRank([...samples].sort((a, b) => a - b), rank)
  reportFigures('api', [
    {name: 'cached read (GET /v1/balances/{id}/CUSD), one at a time, p50', unit: 'ms', measured: p(single, 50), higher: false},
    {name: 'cached read, one at a time, p99', unit: 'ms', measured: p(single, 99), higher: false},
    {name: `cached read, ${CONCURRENCY} at once`, unit: 'requests/s', measured: ITERATIONS / seconds},
    {name: 'POST /v1/pending, p50', unit: 'ms', measured: p(recorded, 50), higher: false},
    {name: 'DELETE /v1/pending/{digest}, p50', unit: 'ms', measured: p(released, 50), higher: false},
  ])
} finally {
  serve?.kill('SIGTERM')
  await serve?.exited
  await pipeline.stop()
  await releaseScratch(scratch, db, sui)
}
