// The metrics server on its own: what /metrics, /healthz and /readyz answer, that one slow or
// failing read costs its own samples and not the scrape, and that /readyz fails, naming Redis,
// once the process's Redis stops answering (a redis-server of the test's own, stopped: its port
// is then closed; the shared one is never touched).
import assert from 'node:assert/strict'
import type {Redis} from 'ioredis'
import {MetricsServer} from '../../src/metrics/metrics-server.ts'
import {postgresAnswers, redisAnswers} from '../../src/metrics/readiness-checks.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {openRedis} from '../../src/store/connections.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {BucketHistogram} from '../../src/support/bucket-histogram.ts'
import {registerCounter, registerGauge, registerHistogram} from '../../src/support/metric-families.ts'
import {PrivateRedis} from '../support/private-redis.ts'

const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})

async function get(server: MetricsServer, path: string): Promise<{status: number; text: string; type: string | null}> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {signal: AbortSignal.timeout(10_000)})
  return {status: res.status, text: await res.text(), type: res.headers.get('content-type')}
}

describe('MetricsServer', function () {
  this.timeout(30_000)
  let server: MetricsServer | undefined
  let db: Database | undefined
  let redis: Redis | undefined
  let privateRedis: PrivateRedis | undefined

  afterEach(async () => {
    await server?.close()
    server = undefined
    redis?.disconnect()
    redis = undefined
    await db?.destroy()
    db = undefined
    await privateRedis?.down()
    privateRedis = undefined
  })

  it('serves the registered families, Node process metrics and the process info on /metrics', async () => {
    server = await MetricsServer.open({port: 0, host: '127.0.0.1', process: 'test', logger: silent})
    let jobs = 3
    const histogram = new BucketHistogram([0.1, 1])
    histogram.observe(0.05)
    histogram.observe(0.5)
    histogram.observe(5)
    registerCounter(server.registry, {name: 'confio_test_jobs_total', help: 'jobs', read: () => [{labels: {kind: 'a'}, value: jobs}]})
    registerGauge(server.registry, {name: 'confio_test_depth', help: 'depth', read: async () => [{value: 7}]})
    registerHistogram(server.registry, {name: 'confio_test_duration_seconds', help: 'durations', read: () => [{labels: {kind: 'a'}, histogram: histogram.snapshot()}]})
    const first = await get(server, '/metrics')
    assert.equal(first.status, 200)
    assert.match(first.type ?? '', /^text\/plain; version=0\.0\.4/)
    assert.match(first.text, /^# TYPE confio_test_jobs_total counter$/m)
    assert.match(first.text, /^confio_test_jobs_total\{kind="a"\} 3$/m)
    assert.match(first.text, /^confio_test_depth 7$/m)
    assert.match(first.text, /^confio_test_duration_seconds_bucket\{kind="a",le="0.1"\} 1$/m)
    assert.match(first.text, /^confio_test_duration_seconds_bucket\{kind="a",le="1"\} 2$/m)
    assert.match(first.text, /^confio_test_duration_seconds_bucket\{kind="a",le="\+Inf"\} 3$/m)
    assert.match(first.text, /^confio_test_duration_seconds_sum\{kind="a"\} 5.55$/m)
    assert.match(first.text, /^confio_test_duration_seconds_count\{kind="a"\} 3$/m)
    assert.match(first.text, /^confio_process_info\{process="test"\} 1$/m)
    assert.match(first.text, /^process_resident_memory_bytes \d+$/m)
    assert.match(first.text, /^nodejs_eventloop_lag_seconds /m)
    // Read at scrape time: the next scrape sees the count as it is then.
    jobs = 4
    assert.match((await get(server, '/metrics')).text, /^confio_test_jobs_total\{kind="a"\} 4$/m)
    assert.equal((await get(server, '/healthz')).status, 200)
    assert.equal((await get(server, '/nothing')).status, 404)
  })

  it('answers a scrape without the samples of a read that fails or hangs, and counts it', async () => {
    server = await MetricsServer.open({port: 0, host: '127.0.0.1', process: 'test', logger: silent})
    registerGauge(server.registry, {name: 'confio_test_hangs', help: 'never answers', timeoutMs: 200, read: () => new Promise(() => undefined)})
    registerGauge(server.registry, {name: 'confio_test_fails', help: 'throws', read: () => Promise.reject(new Error('database gone'))})
    registerGauge(server.registry, {name: 'confio_test_fine', help: 'answers', read: () => [{value: 1}]})
    const {status, text} = await get(server, '/metrics')
    assert.equal(status, 200)
    assert.match(text, /^confio_test_fine 1$/m)
    assert.match(text, /^# TYPE confio_test_hangs gauge$/m)
    assert.doesNotMatch(text, /^confio_test_hangs /m)
    assert.doesNotMatch(text, /^confio_test_fails /m)
    // The families are read side by side: a scrape counts its own failures for the next one.
    const next = (await get(server, '/metrics')).text
    assert.match(next, /^confio_metrics_read_failures_total\{metric="confio_test_hangs"\} [1-9]\d*$/m)
    assert.match(next, /^confio_metrics_read_failures_total\{metric="confio_test_fails"\} [1-9]\d*$/m)
  })

  it('is ready while PostgreSQL and Redis answer, and not once Redis is gone (503 naming it)', async () => {
    privateRedis = await PrivateRedis.start()
    db = createDatabase({url: process.env.DATABASE_URL as string})
    const client = (redis = await openRedis(privateRedis.url, {commandTimeoutMs: 500}))
    const pool = db
    server = await MetricsServer.open({port: 0, host: '127.0.0.1', process: 'test', logger: silent})
    server.ready('postgres', postgresAnswers(async () => pool))
    server.ready('redis', redisAnswers(async () => client))
    const ready = await get(server, '/readyz')
    assert.equal(ready.status, 200, ready.text)
    assert.deepEqual(JSON.parse(ready.text), {ready: true, checks: {postgres: 'ok', redis: 'ok'}})

    // Its port is closed now: nothing listens there.
    await privateRedis.down()
    const gone = await get(server, '/readyz')
    assert.equal(gone.status, 503, gone.text)
    const body = JSON.parse(gone.text) as {ready: boolean; checks: Record<string, string>}
    assert.equal(body.ready, false)
    assert.equal(body.checks.postgres, 'ok')
    assert.notEqual(body.checks.redis, 'ok')
    // Alive all the same: the process runs, only what it depends on does not answer.
    assert.equal((await get(server, '/healthz')).status, 200)
  })

  it('refuses a port that is taken', async () => {
    server = await MetricsServer.open({port: 0, host: '127.0.0.1', process: 'test', logger: silent})
    await assert.rejects(MetricsServer.open({port: server.port, host: '127.0.0.1', process: 'test', logger: silent}), /EADDRINUSE/)
  })
})
