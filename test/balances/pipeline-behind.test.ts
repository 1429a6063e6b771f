// A balance is not trusted while the pipeline is behind for it (issue 24, item 8). Tried as a new
// user would: the real `confio poll` follows the local Sui server while no worker runs; a
// transaction it stores waits, and once it has waited longer than PIPELINE_LAG_THRESHOLD every
// cached read (memory, Redis, PostgreSQL; BalanceService and `confio test-balance`) says
// isStale with staleReason pipeline_behind, and `confio status` raises PIPELINE_STALLED. A worker
// drains it and reads are trusted again; the poller stopped, its marker expires and they are not.
import assert from 'node:assert/strict'
import {markerFor, MARKER_LIFETIME_MS, pipelineMarkerKey} from '../../src/balances/pipeline-marker.ts'
import {PipelineView} from '../../src/balances/pipeline-view.ts'
import {type BalanceService} from '../../src/balances/balance-service.ts'
import {openBalanceService, type OpenBalanceService} from '../../src/balances/open-balance-service.ts'
import {CHAIN_OPTION_DEFAULTS, openChainReader} from '../../src/chain/index.ts'
import type {ChainReader} from '../../src/chain/index.ts'
import {PollerLag} from '../../src/ingest/poller-lag.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {sleep} from '../../src/support/sleep.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {chainBalance, drain, fundAll, startWorld, SUI, type WorkerWorld} from '../processing/worker-support.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {jsonOf, runCli} from '../support/cli.ts'

/** A waiting transaction makes the pipeline behind within 3 s (the poller beats every second). */
const THRESHOLD = '3s'

interface StatusJson {
  healthy: boolean
  alarms: {code: string; message: string}[]
  pipeline: {waiting: {count: number; oldestAgeMs: number | null}; workerProgressAgeMs: number | null; marker: {state: string}}
}

interface StepRow {
  step: string
  token: string
  amount: string
  isStale: boolean
  staleReason: string | null
  source: string
}

describe('a balance is not trusted while the pipeline is behind for it', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let env: Record<string, string>
  let ana: string
  let anaEmail: string
  let chain: ChainReader
  let opened: OpenBalanceService
  let service: BalanceService
  let poller: ConfioProcess | undefined

  const marker = () => w.redis.get(pipelineMarkerKey(w.prefix))
  const sui = () => service.getBalance(ana, 'SUI')

  before(async () => {
    w = await startWorld(['pb-ana', 'pb-bo'])
    env = {...w.env, PIPELINE_LAG_THRESHOLD: THRESHOLD}
    ana = Object.keys(w.accounts)[0] as string
    anaEmail = (await w.db('accounts').where({id: w.accounts[ana]}).first('email')).email
    await fundAll(w, {sui: 5_000_000_000n, cusd: 1_000_000n})
    chain = openChainReader({...CHAIN_OPTION_DEFAULTS, url: w.sui.url, network: 'localnet', requestsPerSecond: 1_000})
    const tokens = new TokenRegistry([{symbol: 'SUI', coinType: SUI, decimals: 9}])
    opened = await openBalanceService({databaseUrl: process.env.DATABASE_URL as string, redisUrl: process.env.REDIS_URL as string, redisPrefix: w.prefix, chain, tokens, logger: createLogger({level: 'silent', scrubber: new SecretScrubber()})})
    service = opened.service
  })

  after(async () => {
    poller?.kill('SIGKILL')
    await poller?.exited
    await opened?.close()
    chain?.close()
    await w?.close()
  })

  it('no worker runs: reads at every level, test-balance and status say so; a worker drains it and reads are trusted again; no poller, and they are not', async () => {
    poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms'], env)
    await eventually(async () => (await marker())?.startsWith('caught-up|') ?? false, 20_000, 'the poller writes a caught-up marker')

    // Caught up: the chain once, then memory, Redis and PostgreSQL, each trusted.
    const first = await sui()
    assert.deepEqual([first.source, first.isStale, first.staleReason, first.amount], ['chain', false, null, chainBalance(w, ana, SUI)])
    assert.deepEqual([(await sui()).source, (await sui()).isStale], ['memory', false])
    service.useLevels({memory: false, redis: true})
    assert.deepEqual(await sui(), {...first, source: 'redis'})
    service.useLevels({memory: false, redis: false})
    assert.deepEqual(await sui(), {...first, source: 'postgres'})
    service.useLevels({memory: true, redis: true})

    // A transaction the poller stores and no worker processes; the chain moves on past it.
    w.sui.ledger.mint(ana, SUI, 700_000_000n)
    w.sui.ledger.produceCheckpoint()
    w.sui.ledger.produceCheckpoint()
    w.sui.ledger.produceCheckpoint()
    await eventually(async () => (await marker())?.startsWith('behind|') ?? false, 20_000, 'the marker says behind once the transaction has waited 3 s')
    const onChain = chainBalance(w, ana, SUI)
    assert.equal(onChain, first.amount + 700_000_000n)

    // Memory holds the old value, and does not serve it; Redis and PostgreSQL serve it, stale.
    assert.equal(service.memory.get({accountId: w.accounts[ana] as string, token: 'SUI'})?.amount, first.amount)
    const stale = {...first, isStale: true, staleReason: 'pipeline_behind'}
    assert.deepEqual(await sui(), {...stale, source: 'redis'})
    service.useLevels({memory: true, redis: false})
    assert.deepEqual(await sui(), {...stale, source: 'postgres'}, 'memory skipped on the view of the marker, PostgreSQL stale')
    service.useLevels({memory: false, redis: false})
    assert.deepEqual(await sui(), {...stale, source: 'postgres'})
    service.useLevels({memory: true, redis: true})
    assert.equal(w.sui.faults.calls('GetBalance'), 1, 'a stale cached value is served as it is: no chain call')

    // `confio test-balance`, a new process: the cached step from Redis, stale and saying why.
    const tested = await runCli(['test-balance', '--user-email', anaEmail, '--json'], {env})
    assert.equal(tested.code, 0, tested.stderr)
    const cached = jsonOf<{rows: StepRow[]}>(tested).rows.find((r) => r.step === 'cached' && r.token === 'SUI')
    assert.deepEqual(cached && [cached.source, cached.amount, cached.isStale, cached.staleReason], ['redis', String(first.amount), true, 'pipeline_behind'])
    const text = await runCli(['test-balance', '--user-email', anaEmail], {env})
    assert.match(text.stdout, /^cached +SUI .* redis \(stale: pipeline_behind\) /m, text.stdout + text.stderr)

    // `confio status`: a backlog nobody works off.
    const stalled = await runCli(['status', '--json', '--max-stall', '2s'], {env})
    const report = jsonOf<StatusJson>(stalled)
    assert.equal(stalled.code, 1, stalled.stdout)
    const alarm = report.alarms.find((a) => a.code === 'PIPELINE_STALLED')
    assert.match(alarm?.message ?? JSON.stringify(report.alarms), /^1 stored transaction waits to be processed, the oldest for \d+(\.\d)? s, and no worker has committed a job for \d+(\.\d)? s \(limit 2\.0 s\): no worker runs, or the workers are stuck; start confio worker/)
    assert.equal(report.pipeline.marker.state, 'behind')
    assert.equal(report.pipeline.waiting.count, 1)
    assert.ok(report.pipeline.workerProgressAgeMs !== null && report.pipeline.workerProgressAgeMs > 2_000, `the funding's drain was the last progress: ${report.pipeline.workerProgressAgeMs}`)
    const screen = await runCli(['status', '--max-stall', '2s'], {env})
    assert.match(screen.stdout, /^ {2}ALARM PIPELINE_STALLED +1 stored transaction waits/m)
    assert.match(screen.stdout, /cached values +served as stale \(pipeline_behind\): the pipeline is behind/)

    // A worker drains it: the poller's next beat says caught up, and reads are trusted again.
    const worked = await drain(w)
    assert.equal(worked.json.completed, 1)
    await eventually(async () => (await marker())?.startsWith('caught-up|') ?? false, 10_000, 'the marker caught up once the worker drained')
    const healthy = jsonOf<StatusJson>(await runCli(['status', '--json', '--max-stall', '2s'], {env}))
    assert.deepEqual([healthy.alarms.map((a) => a.code).includes('PIPELINE_STALLED'), healthy.pipeline.marker.state, healthy.pipeline.waiting.count], [false, 'caught-up', 0])
    assert.ok(healthy.pipeline.workerProgressAgeMs !== null && healthy.pipeline.workerProgressAgeMs < 10_000)
    service.memory.clear()
    const fresh = await sui()
    assert.deepEqual([fresh.source, fresh.amount, fresh.isStale, fresh.staleReason], ['redis', onChain, false, null])
    assert.deepEqual([(await sui()).source, (await sui()).isStale], ['memory', false])

    // No poller: nothing vouches for the pipeline once its last marker expires (at most 5 s).
    poller.kill('SIGTERM')
    assert.equal(await poller.exited, 0, poller.stderr)
    await eventually(async () => (await marker()) === null, MARKER_LIFETIME_MS + 5_000, 'the marker expires')
    await sleep(1_100) // this process's view of it lasts a second
    const orphan = await sui()
    assert.deepEqual([orphan.source, orphan.amount, orphan.isStale, orphan.staleReason], ['redis', onChain, true, 'pipeline_behind'])
    const alone = jsonOf<StatusJson>(await runCli(['status', '--json'], {env}))
    assert.equal(alone.pipeline.marker.state, 'missing')
  })
})

describe('the pipeline marker and the poller lag', () => {
  it('a caught-up marker lives until, without progress, the lag or the wait would reach the threshold (5 s at most); behind past it', () => {
    assert.deepEqual(markerFor({lagMs: 0, waitingAgeMs: null}, 10_000), {value: 'caught-up|0|', ttlMs: 5_000})
    assert.deepEqual(markerFor({lagMs: 300, waitingAgeMs: 7_250}, 10_000), {value: 'caught-up|300|7250', ttlMs: 2_750})
    assert.deepEqual(markerFor({lagMs: 9_600, waitingAgeMs: 100}, 10_000), {value: 'caught-up|9600|100', ttlMs: 400})
    assert.deepEqual(markerFor({lagMs: 10_000, waitingAgeMs: null}, 10_000), {value: 'behind|10000|', ttlMs: 5_000})
    assert.deepEqual(markerFor({lagMs: 0, waitingAgeMs: 27_000}, 10_000), {value: 'behind|0|27000', ttlMs: 5_000})
  })

  it('the lag is the age of the oldest checkpoint seen and not committed, never less', () => {
    const lag = new PollerLag(100n)
    lag.tipSeen(100n, 0)
    assert.equal(lag.lagMs(5_000), 0, 'at the tip')
    lag.tipSeen(101n, 1_000)
    lag.tipSeen(103n, 1_500) // within a second of the last mark: joins it, keeping its time
    lag.tipSeen(104n, 2_200)
    assert.equal(lag.lagMs(3_000), 2_000)
    lag.committed(101n)
    assert.equal(lag.lagMs(3_000), 2_000, '102 and 103 were seen by 1.0 s at the latest: still counted from then')
    lag.committed(103n)
    assert.equal(lag.lagMs(3_000), 800)
    lag.committed(104n)
    assert.equal(lag.lagMs(9_000), 0)
  })

  it("a process's view: fresh for a second from when its read was sent, then read again (once for every read waiting), and behind when Redis does not answer", async () => {
    let reads = 0
    let answer: () => Promise<boolean> = async () => true
    const view = new PipelineView(() => {
      reads += 1
      return answer()
    }, 200)
    assert.equal(view.fresh(), undefined)
    assert.deepEqual(await Promise.all([view.current(), view.current(), view.current()]), [true, true, true])
    assert.equal(reads, 1)
    view.note(false, performance.now() - 1_000)
    assert.equal(view.fresh(), true, 'an answer older than the one held is ignored')
    await sleep(250)
    assert.equal(view.fresh(), undefined)
    answer = async () => Promise.reject(new Error('Command timed out'))
    assert.equal(await view.current(), false)
    assert.equal(reads, 2)
  })
})
