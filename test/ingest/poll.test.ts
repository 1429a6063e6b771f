import assert from 'node:assert/strict'
import {clearRedis, closeWorld, CUSD, cursorOf, PAY_PACKAGE, pollWorld, type PollWorld, storedDigests, SUI} from './poll-support.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {sleep} from '../../src/support/sleep.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {freePort} from '../support/free-port.ts'

const sorted = (digests: string[]) => [...digests].sort()

/**
 * These pollers read on a thread of their own (POLL_READING_THREAD=on, off by default): the cases
 * here (a kill, a cut stream, an account picked up, a pruned range, a bad frame) are the ones the
 * thread must pass on as the main thread's reading does. Every other poller of the tests reads on
 * the main thread, and account-coverage.test.ts runs both.
 */
async function threadWorld(...options: Parameters<typeof pollWorld>): Promise<PollWorld> {
  const world = await pollWorld(...options)
  world.env.POLL_READING_THREAD = 'on'
  return world
}

describe('confio poll', function () {
  this.timeout(90_000)
  let world: PollWorld | undefined

  afterEach(async () => {
    await closeWorld(world)
    world = undefined
  })

  it('stores each relevant transaction once, nothing else, and resumes after a restart with no gap', async () => {
    world = await threadWorld()
    const {sui, db, queue, env, alice, bob, carol} = world
    const {ledger} = sui
    const from = ledger.checkpointHeight + 1n
    const relevant: string[] = []
    const irrelevant: string[] = []
    const round = () => {
      relevant.push(ledger.transfer({from: alice, to: bob, coinType: SUI, amount: 5n}).digest) // sender is an account
      relevant.push(ledger.transfer({from: bob, to: alice, coinType: SUI, amount: 7n}).digest) // account receives
      relevant.push(ledger.transfer({from: bob, to: carol, coinType: CUSD, amount: 9n}).digest) // cUSD, whoever the parties
      relevant.push(ledger.submit({sender: carol, moveCalls: [{package: PAY_PACKAGE, module: 'pay', function: 'pay'}]}).digest)
      relevant.push(ledger.submit({sender: carol, events: [{type: `${PAY_PACKAGE}::pay::PaymentMade`, json: {amount: '1'}}]}).digest)
      relevant.push(ledger.transfer({from: alice, to: bob, coinType: SUI, amount: 1n, fail: true}).digest) // failed, by an account
      irrelevant.push(ledger.transfer({from: bob, to: carol, coinType: SUI, amount: 3n}).digest)
      irrelevant.push(ledger.submit({sender: carol, moveCalls: [{package: '0x5', module: 'x', function: 'y'}]}).digest)
      ledger.produceCheckpoint()
      ledger.generateTraffic({checkpoints: 5, relevantShare: 0})
    }
    round()
    const first = await runCli(['poll', '--once', '--from-checkpoint', String(from), '--json'], {env})
    assert.equal(first.code, 0, first.stderr)
    assert.equal(await cursorOf(db), ledger.checkpointHeight)
    round()
    round()
    const second = await runCli(['poll', '--once', '--from-checkpoint', '1', '--json'], {env})
    assert.equal(second.code, 0, second.stderr)
    assert.match(second.stderr, /--from-checkpoint ignored: a cursor exists/)
    assert.equal(jsonOf<{startedAt: string}>(second).startedAt, String(BigInt(jsonOf<{cursor: string}>(first).cursor) + 1n))
    assert.equal(await cursorOf(db), ledger.checkpointHeight)

    const stored = await storedDigests(db)
    assert.deepEqual(sorted(stored), sorted(relevant))
    assert.equal(new Set(stored).size, stored.length)
    for (const digest of irrelevant) assert.ok(!stored.includes(digest))
    assert.deepEqual(await queue.missing(stored), [], 'every stored transaction has a job')
    // Checkpoints are read without event JSON; what is stored has it (fetched for the relevant ones).
    const emitted: {events: unknown}[] = await db('raw_blockchain_events').select('events').whereIn('tx_digest', relevant.filter((_, i) => i % 6 === 4))
    assert.equal(emitted.length, 3)
    for (const row of emitted) assert.deepEqual(row.events, [{type: `${PAY_PACKAGE}::pay::PaymentMade`, sender: carol, json: {amount: '1'}}])
  })

  it('starts at the tip on its very first run', async () => {
    world = await threadWorld()
    const {sui, db, env, alice, bob} = world
    sui.ledger.transfer({from: alice, to: bob, coinType: SUI, amount: 1n})
    sui.ledger.produceCheckpoint()
    const tip = sui.ledger.checkpointHeight
    const result = await runCli(['poll', '--once', '--json'], {env})
    assert.equal(result.code, 0, result.stderr)
    assert.equal(jsonOf<{startedAt: string}>(result).startedAt, String(tip))
    assert.equal(await cursorOf(db), tip)
  })

  it('loses nothing and duplicates nothing when killed with SIGKILL mid-run', async () => {
    world = await threadWorld({listCheckpoints: false})
    const {sui, db, env, alice} = world
    const from = sui.ledger.checkpointHeight + 1n
    const traffic = sui.ledger.generateTraffic({checkpoints: 300, txPerCheckpoint: [20, 30], relevantShare: 0.02, relevantAddresses: [alice], seed: 7})
    sui.faults.latency('GetCheckpoint', 15)
    const slowEnv = {...env, SUI_RPC_CONCURRENCY: '2'}
    const poller = new ConfioProcess(['poll', '--mode', 'poll', '--from-checkpoint', String(from)], slowEnv)
    await eventually(async () => ((await cursorOf(db)) ?? 0n) >= from + 20n, 30_000, 'the poller commits some checkpoints')
    poller.kill('SIGKILL')
    await poller.exited
    const cursorAtKill = (await cursorOf(db)) as bigint
    assert.ok(cursorAtKill < traffic.lastCheckpoint, 'killed before the end')
    sui.faults.reset()
    const resumed = await runCli(['poll', '--once'], {env})
    assert.equal(resumed.code, 0, resumed.stderr)
    const stored = await storedDigests(db)
    assert.deepEqual(sorted(stored), sorted(traffic.relevantDigests))
    assert.ok(traffic.relevantDigests.length > 20)
  })

  it('fills the gap after every cut of the checkpoint stream', async () => {
    world = await threadWorld()
    const {sui, db, env, alice, bob} = world
    sui.faults.endStreamsAfter('SubscribeCheckpoints', 3)
    const relevant: string[] = []
    const poller = new ConfioProcess(['poll', '--mode', 'stream', '--from-checkpoint', String(sui.ledger.checkpointHeight + 1n)], env)
    await poller.waitForLog(/resuming after the cursor|no cursor yet/)
    const start = (await cursorOf(db)) ?? sui.ledger.checkpointHeight
    for (let i = 0; i < 25; i++) {
      relevant.push(sui.ledger.transfer({from: bob, to: alice, coinType: SUI, amount: BigInt(i + 1)}).digest)
      sui.ledger.generateTraffic({checkpoints: 1, relevantShare: 0})
      await sleep(80)
    }
    const tip = sui.ledger.checkpointHeight
    await eventually(async () => (await cursorOf(db)) === tip, 20_000, 'the poller reaches the tip').catch((error: Error) => {
      throw new Error(`${error.message}\n${poller.stderr}`)
    })
    poller.kill('SIGTERM')
    assert.equal(await poller.exited, 0)
    assert.match(poller.stderr, /checkpoint stream failed; filling the gap and reconnecting/)
    const stored = await storedDigests(db)
    assert.deepEqual(sorted(stored), sorted(relevant))
    assert.ok(start < tip)
  })

  it('queues every unprocessed event again after Redis loses its data', async () => {
    world = await threadWorld()
    const {sui, db, queue, env, alice, bob} = world
    const next = String(sui.ledger.checkpointHeight + 1n)
    const poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms', '--outbox-interval', '1s', '--from-checkpoint', next], env)
    await poller.waitForLog(/holding the poller lease/)
    for (let i = 0; i < 5; i++) sui.ledger.transfer({from: alice, to: bob, coinType: SUI, amount: 1n})
    sui.ledger.produceCheckpoint()
    await eventually(async () => (await storedDigests(db)).length === 5, 15_000, 'five events stored')
    const stored = await storedDigests(db)
    await eventually(async () => (await queue.missing(stored)).length === 0, 5_000, 'jobs queued')
    await clearRedis()
    assert.equal((await queue.missing(stored)).length, 5, 'Redis lost the jobs')
    await eventually(async () => (await queue.missing(stored)).length === 0, 10_000, 'the outbox queues them again')
    poller.kill('SIGTERM')
    assert.equal(await poller.exited, 0)
  })

  it('runs one active poller; the standby takes over within 15 s of its death, with no gap', async () => {
    world = await threadWorld()
    const {sui, db, env, alice, bob} = world
    const relevant: string[] = []
    const produce = () => {
      relevant.push(sui.ledger.transfer({from: alice, to: bob, coinType: SUI, amount: 2n}).digest)
      sui.ledger.produceCheckpoint()
    }
    produce()
    const active = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms', '--from-checkpoint', String(sui.ledger.checkpointHeight)], env)
    await active.waitForLog(/holding the poller lease/)
    const standby = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms'], env)
    await standby.waitForLog(/waiting as a hot standby/)
    for (let i = 0; i < 5; i++) produce()
    await eventually(async () => (await cursorOf(db)) === sui.ledger.checkpointHeight, 10_000, 'active catches up')
    assert.doesNotMatch(standby.stderr, /holding the poller lease/)
    active.kill('SIGKILL')
    const killedAt = Date.now()
    for (let i = 0; i < 5; i++) produce()
    await standby.waitForLog(/holding the poller lease/, 15_000)
    assert.ok(Date.now() - killedAt < 15_000)
    await eventually(async () => (await cursorOf(db)) === sui.ledger.checkpointHeight, 15_000, 'standby catches up')
    standby.kill('SIGTERM')
    assert.equal(await standby.exited, 0)
    assert.deepEqual(sorted(await storedDigests(db)), sorted(relevant))
  })

  it('picks up an account added while running', async () => {
    world = await threadWorld()
    const {sui, db, env, bob, carol} = world
    const poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms'], env)
    await poller.waitForLog(/holding the poller lease/)
    const added = await runCli(['accounts', 'add', '--email', 'carol@test.io', '--address', carol], {env})
    assert.equal(added.code, 0, added.stderr)
    await poller.waitForLog(/monitored accounts changed/, 5_000)
    const digest = sui.ledger.transfer({from: bob, to: carol, coinType: SUI, amount: 4n}).digest
    sui.ledger.produceCheckpoint()
    await eventually(async () => (await storedDigests(db)).includes(digest), 10_000, 'the transfer to the new account is stored')
    poller.kill('SIGTERM')
    assert.equal(await poller.exited, 0)
  })

  /** A world whose cursor is at `cursor`, on a node 30 checkpoints further with those below 20 pruned. */
  async function prunedWorld(cursor: bigint): Promise<PollWorld> {
    const pruned = await threadWorld()
    await pruned.db('ingest_cursors').insert({name: POLLER_CURSOR, checkpoint: String(cursor)})
    pruned.sui.ledger.generateTraffic({checkpoints: 30, relevantShare: 0})
    pruned.sui.ledger.prune(20n)
    return pruned
  }

  it('stops with the documented error when the node has pruned checkpoints it still needs', async () => {
    world = await prunedWorld(1n)
    const {db, env} = world
    const result = await runCli(['poll', '--once'], {env})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^Error: checkpoints 2 to 19 are pruned on this node \(lowest available: 20\); confio cannot read them; point SUI_GRPC_URL at a node or archive that still has them/m)
    assert.equal(await cursorOf(db), 1n, 'nothing skipped')
  })

  it('stops before storing anything of a checkpoint whose reply names two (issue 30), keeping what came before it', async () => {
    world = await threadWorld()
    const {sui, db, env, alice, bob} = world
    const {ledger} = sui
    const from = ledger.checkpointHeight + 1n
    const before = ledger.transfer({from: alice, to: bob, coinType: SUI, amount: 5n}).digest
    ledger.produceCheckpoint()
    const bad = ledger.checkpointHeight + 1n
    ledger.transfer({from: bob, to: alice, coinType: SUI, amount: 7n})
    ledger.produceCheckpoint()
    ledger.transfer({from: alice, to: bob, coinType: SUI, amount: 9n})
    ledger.produceCheckpoint()
    sui.faults.inconsistentCheckpoint(bad)
    const result = await runCli(['poll', '--once', '--from-checkpoint', String(from)], {env})
    assert.equal(result.code, 1, result.stderr)
    assert.match(result.stderr, new RegExp(`one frame names checkpoint ${bad} and checkpoint ${bad + 1_000_000n}`))
    assert.equal(await cursorOf(db), bad - 1n, 'what came before it committed, nothing of it or after')
    assert.deepEqual(await storedDigests(db), [before])
  })

  it('moves the cursor only on explicit request, with confirmation', async () => {
    world = await threadWorld()
    const {sui, db, env} = world
    sui.ledger.generateTraffic({checkpoints: 10, relevantShare: 0})
    await db('ingest_cursors').insert({name: POLLER_CURSOR, checkpoint: '10'})
    const unconfirmed = await runCli(['poll', '--reset-cursor', '5'], {env})
    assert.equal(unconfirmed.code, 2)
    assert.match(unconfirmed.stderr, /--reset-cursor needs confirmation; pass --yes/)
    assert.equal(await cursorOf(db), 10n)
    const confirmed = await runCli(['poll', '--reset-cursor', '5', '--yes', '--json'], {env})
    assert.equal(confirmed.code, 0, confirmed.stderr)
    assert.deepEqual(jsonOf(confirmed), {reset: {from: '10', to: '5'}})
    assert.equal(await cursorOf(db), 5n)
  })

  it('--reset-cursor refuses a cursor the node cannot read on from (past its tip, before its lowest available checkpoint), unless --force', async () => {
    world = await prunedWorld(25n)
    const {sui, db, env} = world
    const tip = sui.ledger.checkpointHeight
    const reset = (to: bigint | string, ...flags: string[]) => runCli(['poll', '--reset-cursor', String(to), '--yes', ...flags], {env})

    const past = await reset(tip + 1n)
    assert.equal(past.code, 2, past.stderr)
    assert.equal(past.stderr, `Error: --reset-cursor ${tip + 1n} is past the node's tip, checkpoint ${tip}: the poller would wait for checkpoints the chain has not reached; give a checkpoint up to ${tip}, or pass --force to move the cursor there anyway\n`)
    // The cursor is the last checkpoint done: 18 would read 19 next, which the node has pruned.
    const below = await reset(18n)
    assert.equal(below.code, 2, below.stderr)
    assert.equal(
      below.stderr,
      `Error: --reset-cursor 18 would read from checkpoint 19, below the node's lowest available checkpoint 20 (tip ${tip}); give a checkpoint from 19 to ${tip}; for the accounts' history before it, run confio backfill against a node or archive that has it; or pass --force\n`,
    )
    assert.equal(await cursorOf(db), 25n, 'nothing moved')

    // The edges are the node's: the checkpoint before its lowest, and its tip.
    for (const to of [19n, tip]) {
      const accepted = await reset(to)
      assert.equal(accepted.code, 0, accepted.stderr)
      assert.equal(await cursorOf(db), to)
    }
    const forced = await reset(99_999_999n, '--force', '--json')
    assert.equal(forced.code, 0, forced.stderr)
    assert.deepEqual(jsonOf(forced), {reset: {from: String(tip), to: '99999999'}})
    assert.equal(await cursorOf(db), 99_999_999n)
    const alone = await runCli(['poll', '--force'], {env})
    assert.equal(alone.code, 2)
    assert.match(alone.stderr, /--reset-cursor/)
  })

  it('serves Prometheus metrics', async () => {
    world = await threadWorld()
    const {sui, env, alice, bob} = world
    sui.ledger.transfer({from: alice, to: bob, coinType: SUI, amount: 1n})
    sui.ledger.produceCheckpoint()
    const port = await freePort()
    const poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms', '--metrics-port', String(port), '--from-checkpoint', '1'], env)
    await poller.waitForLog(/checkpoints committed/)
    // The first batch may stop short of the tip on a busy machine; the next one gets there.
    let text = ''
    const atTip = new RegExp(`^confio_poll_cursor_checkpoint ${sui.ledger.checkpointHeight}$`, 'm')
    await eventually(async () => atTip.test((text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())), 10_000, 'metrics show the cursor at the tip')
    poller.kill('SIGTERM')
    await poller.exited
    assert.match(text, /^confio_poll_tip_checkpoint \d+$/m)
    assert.match(text, /^confio_poll_lag_checkpoints \d+$/m)
    assert.match(text, /^confio_poll_transactions_kept_total [1-9]\d*$/m)
    assert.match(text, /^confio_poll_transactions_stored_total [1-9]\d*$/m)
    // A checkpoint holding a kept transaction: at least the transfer's, at most one per kept transaction.
    const count = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1])
    assert.ok(count('confio_poll_checkpoints_kept_total') >= 1)
    assert.ok(count('confio_poll_checkpoints_kept_total') <= Math.min(count('confio_poll_transactions_kept_total'), count('confio_poll_checkpoints_total')), text)
    assert.match(text, /^confio_poll_enqueue_failures_total 0$/m)
    assert.match(text, /^confio_lease_held\{lease="poller"\} 1$/m)
    assert.match(text, /^confio_chain_calls_total\{method="\w+",status="OK"\} [1-9]\d*$/m)
  })
})
