// A standby has no work in hand (issue 25): a standby `poll` or `beat` told to stop (SIGTERM from
// systemd, SIGINT from a terminal) stops at once with exit 0, well inside the 10 s grace, and a
// standby poller's summary names the cursor the database holds. `poll --once` beside an active
// poller says so and exits 0 at once, as `beat --once` does beside an active beat.
import assert from 'node:assert/strict'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {jsonOf} from '../support/cli.ts'
import {closeWorld, cursorOf, pollWorld, type PollWorld, SUI} from './poll-support.ts'

const POLL = ['poll', '--mode', 'poll', '--interval', '200ms']
// Intervals long enough that the active beat schedules once and then only waits.
const BEAT = ['beat', '--log-level', 'info', '--refresh-every', '30d', '--reconcile-every', '30d', '--expire-every', '30d']
/** Below the base command's 10 s grace: a process still running then was waiting for it. */
const STOP_DEADLINE_MS = 8_000

describe('standbys stop when told', function () {
  this.timeout(90_000)
  let world: PollWorld | undefined
  const children: ConfioProcess[] = []

  const start = (args: string[]) => {
    const child = new ConfioProcess(args, world?.env)
    children.push(child)
    return child
  }
  /** The exit code, failing when the process is still running after `timeoutMs`. */
  const exitOf = async (child: ConfioProcess, timeoutMs: number, what: string) => {
    await eventually(async () => child.child.exitCode !== null || child.child.signalCode !== null, timeoutMs, what).catch((error: Error) => {
      throw new Error(`${error.message}:\n${child.stderr}`)
    })
    return child.exited
  }

  beforeEach(async () => {
    world = await pollWorld()
    await world.db('leases').delete()
  })

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.child.exitCode !== null || child.child.signalCode !== null) continue
      child.kill('SIGKILL')
      await child.exited
    }
    await closeWorld(world)
    world = undefined
  })

  /** An active poller that has committed up to the tip; returns it and the cursor. */
  async function activePoller(): Promise<{active: ConfioProcess; cursor: bigint}> {
    const {sui, db, alice, bob} = world as PollWorld
    sui.ledger.transfer({from: bob, to: alice, coinType: SUI, amount: 3n})
    sui.ledger.produceCheckpoint()
    const active = start([...POLL, '--from-checkpoint', String(sui.ledger.checkpointHeight)])
    await active.waitForLog(/holding the poller lease/)
    await eventually(async () => (await cursorOf(db)) === sui.ledger.checkpointHeight, 15_000, 'the active poller commits')
    return {active, cursor: sui.ledger.checkpointHeight}
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`a standby poll stops at once on ${signal}: exit 0, its summary naming the real cursor`, async () => {
      const {active, cursor} = await activePoller()
      const standby = start(POLL)
      await standby.waitForLog(/waiting as a hot standby/)
      standby.kill(signal)
      assert.equal(await exitOf(standby, STOP_DEADLINE_MS, 'the standby stops before the grace runs out'), 0, standby.stderr)
      assert.doesNotMatch(standby.stderr, /did not stop in time/)
      assert.match(standby.stdout, new RegExp(`^Stopped \\(signal\\) as a standby at cursor ${cursor}: 0 checkpoints`, 'm'))
      assert.doesNotMatch(active.stderr, /lost the checkpoints lease/, 'the active poller kept its lease')
    })

    it(`a standby beat stops at once on ${signal}: exit 0`, async () => {
      const active = start(BEAT)
      await active.waitForLog(/holding the beat lease/)
      const standby = start(BEAT)
      await standby.waitForLog(/waiting as a standby/)
      standby.kill(signal)
      assert.equal(await exitOf(standby, STOP_DEADLINE_MS, 'the standby beat stops before the grace runs out'), 0, standby.stderr)
      assert.doesNotMatch(standby.stderr, /did not stop in time/)
      assert.match(standby.stdout, /^Stopped \(signal\): 0 runs scheduled\./m)
      active.kill(signal)
      assert.equal(await exitOf(active, 15_000, 'the active beat stops'), 0, active.stderr)
    })
  }

  it('poll --once beside an active poller says another poller is active and exits 0 without waiting', async () => {
    const {active, cursor} = await activePoller()
    const once = start(['poll', '--once'])
    assert.equal(await exitOf(once, STOP_DEADLINE_MS, 'poll --once gives up at once'), 0, once.stderr)
    assert.equal(once.stdout.trim(), `Another poller is active (it holds the lease); nothing read. The cursor is at ${cursor}.`)
    const json = start(['poll', '--once', '--json'])
    assert.equal(await exitOf(json, STOP_DEADLINE_MS, 'poll --once --json gives up at once'), 0, json.stderr)
    assert.deepEqual(jsonOf({code: 0, stdout: json.stdout, stderr: json.stderr}), {cursor: String(cursor), checkpoints: 0, relevant: 0, stoppedBy: 'standby'})
    assert.match(json.stderr, /another poller holds the lease and polls; nothing to do/)
    assert.doesNotMatch(active.stderr, /lost the checkpoints lease/, 'the active poller kept its lease')
  })
})
