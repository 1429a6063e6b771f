// `confio poll` and a node that fails, on the local Sui server: a transient failure of every method
// (UNAVAILABLE) for seconds is waited out with capped backoff for as long as it lasts, one line per
// wait with its delay, while the lag grows (the metric, the pipeline marker) and `confio status`
// names the outage; once the node answers again the poller catches up with what it missed. A
// permanent failure (a refused token) still stops it at once, and SIGTERM during a wait stops it
// at once. --once waits nothing out: its next run is the retry.
import assert from 'node:assert/strict'
import {closeWorld, cursorOf, pollWorld, type PollWorld, storedDigests, SUI} from './poll-support.ts'
import {sleep} from '../../src/support/sleep.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {freePort} from '../support/free-port.ts'

interface StatusJson {
  alarms: {code: string; message: string}[]
  pipeline: {marker: {state: string; lagMs?: number}; nodeOutage: {since: string; forMs: number; attempts: number; error: string} | null}
}

const WAIT_LINE = /the node cannot be reached \((.*)\); following again from the cursor in (\d+\.\d) s \(attempt (\d+), since [\d-]+T[\d:.]+Z\)/

/** The attempt numbers and delays of the poller's wait lines, in order. */
function waitsOf(stderr: string): {attempt: number; delayS: number; error: string}[] {
  return stderr
    .split('\n')
    .map((line) => WAIT_LINE.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({attempt: Number(m[3]), delayS: Number(m[2]), error: m[1]!}))
}

async function lagSecondsMetric(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  return Number(/^confio_poll_lag_seconds (\S+)$/m.exec(text)?.[1])
}

describe('confio poll: a node that fails', function () {
  this.timeout(120_000)
  let world: PollWorld | undefined
  let poller: ConfioProcess | undefined

  afterEach(async () => {
    if (poller?.child.exitCode === null) poller.kill('SIGKILL')
    poller = undefined
    await closeWorld(world)
    world = undefined
  })

  // A short cap and threshold keep the test quick; the defaults are 30 s and 10 s.
  const outageEnv = {SUI_RETRY_MAX_DELAY: '2s', PIPELINE_LAG_THRESHOLD: '2s', LOG_LEVEL: 'info'}

  it('waits out UNAVAILABLE on every method, says each wait with its delay, shows the outage, and catches up', async () => {
    const w = (world = await pollWorld())
    const port = await freePort()
    poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms', '--metrics-port', String(port)], {...w.env, ...outageEnv})
    await poller.waitForLog(/checkpoints committed/)
    const committedBefore = await cursorOf(w.db)

    w.sui.faults.failRate('*', 'UNAVAILABLE', 1)
    // What happens on chain meanwhile: the poller must find it once the node is back.
    const missed = [w.sui.ledger.transfer({from: w.alice, to: w.bob, coinType: SUI, amount: 11n}).digest]
    w.sui.ledger.produceCheckpoint()
    await eventually(async () => waitsOf(poller!.stderr).length >= 3, 30_000, `three waits said:\n${poller.stderr}`)
    const lagDuring = await lagSecondsMetric(port)

    // status names the outage, and balance readers see the pipeline behind (the lag counts the outage).
    let status: StatusJson | undefined
    await eventually(
      async () => {
        status = jsonOf<StatusJson>(await runCli(['status', '--json'], {env: w.env}))
        return status.pipeline.nodeOutage !== null && status.pipeline.marker.state === 'behind'
      },
      20_000,
      'status showing the outage and the pipeline behind',
    )
    assert.match(status!.pipeline.nodeOutage!.error, /UNAVAILABLE/)
    assert.ok(status!.pipeline.nodeOutage!.attempts >= 1)
    assert.ok(status!.alarms.some((a) => a.code === 'NODE_UNREACHABLE' && /has not reached its node for .* it keeps trying/.test(a.message)), JSON.stringify(status!.alarms))
    await sleep(1_100)
    assert.ok((await lagSecondsMetric(port)) > lagDuring, 'the lag metric grows during the outage')
    assert.equal(poller.child.exitCode, null, `still running:\n${poller.stderr}`)

    w.sui.faults.reset()
    missed.push(w.sui.ledger.transfer({from: w.bob, to: w.alice, coinType: SUI, amount: 12n}).digest)
    w.sui.ledger.produceCheckpoint()
    await poller.waitForLog(/the node answers again: following after an outage of [\d.]+ s \(\d+ attempts? waited out\)/, 30_000)
    const tip = w.sui.ledger.checkpointHeight
    await eventually(async () => (await cursorOf(w.db)) === tip, 30_000, 'the poller caught up with the tip')
    const stored = await storedDigests(w.db)
    assert.deepEqual(missed.filter((d) => !stored.includes(d)), [], 'what happened during the outage is stored')
    assert.ok((committedBefore ?? 0n) < tip)
    await eventually(async () => jsonOf<StatusJson>(await runCli(['status', '--json'], {env: w.env})).pipeline.nodeOutage === null, 10_000, 'the outage gone from status')

    poller.kill('SIGTERM')
    assert.equal(await poller.exited, 0, poller.stderr)
    const waits = waitsOf(poller.stderr)
    assert.deepEqual(waits.map((x) => x.attempt), waits.map((_, i) => i + 1), 'one line per wait, numbered')
    assert.ok(waits.every((x) => x.delayS <= 2 && /UNAVAILABLE/.test(x.error)), JSON.stringify(waits))
    assert.doesNotMatch(poller.stderr, /^\s+at |Error:/m)
  })

  it('waits out a node that fails the details fetch past its deadline, then stores the batch', async () => {
    const w = (world = await pollWorld())
    poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms', '--details-deadline', '1s'], {...w.env, ...outageEnv})
    await poller.waitForLog(/checkpoints committed/)
    w.sui.faults.failRate('BatchGetTransactions', 'UNAVAILABLE', 1)
    const digest = w.sui.ledger.transfer({from: w.alice, to: w.bob, coinType: SUI, amount: 13n}).digest
    w.sui.ledger.produceCheckpoint()
    await eventually(async () => waitsOf(poller!.stderr).length >= 2, 30_000, `two waits said:\n${poller.stderr}`)
    assert.match(waitsOf(poller.stderr)[0]!.error, /could not fetch 1 relevant transactions of checkpoints \d+\.\.\d+ in full within 1s /)
    assert.ok(!(await storedDigests(w.db)).includes(digest), 'nothing of the batch stored meanwhile')
    w.sui.faults.reset()
    await eventually(async () => (await storedDigests(w.db)).includes(digest), 30_000, 'the batch stored once the node answers')
    poller.kill('SIGTERM')
    assert.equal(await poller.exited, 0, poller.stderr)
  })

  it('started while the node is down (systemd starts it first): waits, status says so, then follows', async () => {
    const w = (world = await pollWorld())
    w.sui.faults.failRate('*', 'UNAVAILABLE', 1)
    poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms'], {...w.env, ...outageEnv})
    await eventually(async () => waitsOf(poller!.stderr).length >= 2, 30_000, `two waits said:\n${poller.stderr}`)
    const screen = await runCli(['status'], {env: w.env})
    assert.equal(screen.code, 1, screen.stderr)
    assert.match(screen.stdout, /^ {2}ALARM NODE_UNREACHABLE +the poller has not reached its node for /m)
    assert.match(screen.stdout, /^ {2}node +unreachable since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \([\d.]+ s, \d+ attempts waited out\): GetServiceInfo failed with UNAVAILABLE/m)
    // Where it stands is not known yet: no marker, so cached balances are not trusted.
    assert.match(screen.stdout, /^ {2}cached values +served as stale \(pipeline_behind\): no pipeline marker/m)
    w.sui.faults.reset()
    await poller.waitForLog(/the node answers again/, 30_000)
    await poller.waitForLog(/no cursor yet; starting/)
    poller.kill('SIGTERM')
    assert.equal(await poller.exited, 0, poller.stderr)
  })

  it('SIGTERM while it waits out an outage stops it at once: exit 0, the cursor as stored', async () => {
    const w = (world = await pollWorld())
    poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms'], {...w.env, ...outageEnv, SUI_RETRY_MAX_DELAY: '60s'})
    await poller.waitForLog(/checkpoints committed/)
    w.sui.faults.failRate('*', 'UNAVAILABLE', 1)
    await eventually(async () => waitsOf(poller!.stderr).length >= 2, 30_000, `two waits said:\n${poller.stderr}`)
    const cursor = await cursorOf(w.db)
    const signalled = Date.now()
    poller.kill('SIGTERM')
    assert.equal(await poller.exited, 0, poller.stderr)
    assert.ok(Date.now() - signalled < 5_000, `${Date.now() - signalled} ms`)
    assert.doesNotMatch(poller.stderr, /did not stop in time/)
    assert.match(poller.stdout, new RegExp(`^Stopped \\(signal\\) at cursor ${cursor}: `, 'm'))
  })

  it('a refused token is permanent: it stops at once, exit 1, one line, nothing waited out', async () => {
    const w = (world = await pollWorld({requireToken: 'right-token'}))
    const env = {...w.env, ...outageEnv, SUI_GRPC_TOKEN: 'right-token'}
    poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms'], env)
    await poller.waitForLog(/checkpoints committed/)
    // The provider revokes the token while the poller follows.
    w.sui.faults.requireToken('another-token')
    const code = await Promise.race([poller.exited, sleep(10_000).then(() => 'still running')])
    assert.equal(code, 1, poller.stderr)
    assert.deepEqual(waitsOf(poller.stderr), [])
    const errors = poller.stderr.split('\n').filter((line) => line.startsWith('Error:'))
    assert.equal(errors.length, 1, poller.stderr)
    assert.match(errors[0]!, /UNAUTHENTICATED/)
  })

  it('poll --once waits nothing out: exit 1 with one line', async () => {
    const w = (world = await pollWorld())
    w.sui.faults.failRate('*', 'UNAVAILABLE', 1)
    const result = await runCli(['poll', '--once', '--mode', 'poll'], {env: {...w.env, ...outageEnv}})
    assert.equal(result.code, 1, result.stderr)
    assert.deepEqual(waitsOf(result.stderr), [])
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'))
    assert.equal(errors.length, 1, result.stderr)
    assert.match(errors[0]!, /UNAVAILABLE/)
  })
})
