// `confio poll` and the fetch of a batch's relevant transactions in full: bounded by time (the
// hidden --details-deadline, 30 s by default), ended at once by SIGTERM, and stopped for good,
// loudly, by an answer from the node that can never be read. In every case nothing of the batch
// is stored and the cursor stays where it was.
import assert from 'node:assert/strict'
import {runCli} from '../support/cli.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {closeWorld, cursorOf, PAY_PACKAGE, pollWorld, type PollWorld, storedDigests, SUI} from './poll-support.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'

describe('confio poll: the details fetch', function () {
  this.timeout(90_000)
  let world: PollWorld | undefined

  afterEach(async () => {
    await closeWorld(world)
    world = undefined
  })

  /** A world whose cursor is at the tip, with one relevant transfer sealed after it. */
  async function worldWithRelevantBatch(): Promise<{w: PollWorld; cursor: bigint}> {
    const w = (world = await pollWorld())
    const cursor = w.sui.ledger.checkpointHeight
    await w.db('ingest_cursors').insert({name: POLLER_CURSOR, checkpoint: cursor.toString()})
    w.sui.ledger.transfer({from: w.alice, to: w.bob, coinType: SUI, amount: 3n})
    w.sui.ledger.produceCheckpoint()
    return {w, cursor}
  }

  it('stops within about the deadline when the node does not answer: exit 1, one line, cursor unmoved', async () => {
    const {w, cursor} = await worldWithRelevantBatch()
    w.sui.faults.latency('BatchGetTransactions', 60_000)
    // The call's own deadline is longer than the fetch's: only --details-deadline can end it.
    const env = {...w.env, SUI_GRPC_DEADLINE_MS: '120000'}
    const started = Date.now()
    const result = await runCli(['poll', '--once', '--mode', 'poll', '--details-deadline', '2s'], {env})
    const elapsed = Date.now() - started
    assert.equal(result.code, 1, result.stderr)
    assert.ok(elapsed >= 2_000 && elapsed < 12_000, `${elapsed} ms`)
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'))
    assert.equal(errors.length, 1, result.stderr)
    assert.match(
      errors[0]!,
      new RegExp(`^Error: could not fetch 1 relevant transactions of checkpoints ${cursor + 1n}\\.\\.${cursor + 1n} in full within 2s \\(1 attempt; no answer\\); nothing committed, the cursor stays at ${cursor}; the batch is read again at the next start; check the node with confio test-connection$`),
    )
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack')
    assert.equal(await cursorOf(w.db), cursor)
    assert.deepEqual(await storedDigests(w.db), [])
  })

  it('SIGTERM during the fetch stops the poller at once: exit 0, cursor unmoved', async () => {
    const {w, cursor} = await worldWithRelevantBatch()
    w.sui.faults.latency('BatchGetTransactions', 60_000)
    const poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms'], {...w.env, SUI_GRPC_DEADLINE_MS: '120000'})
    await eventually(async () => w.sui.faults.calls('BatchGetTransactions') > 0, 20_000, 'the details call is in flight')
    const signalled = Date.now()
    poller.kill('SIGTERM')
    assert.equal(await poller.exited, 0, poller.stderr)
    const took = Date.now() - signalled
    // Well under the 30 s deadline and the 10 s grace after which a stop gives up.
    assert.ok(took < 3_000, `${took} ms`)
    assert.match(poller.stderr, /stopping: finishing the work in hand/)
    assert.doesNotMatch(poller.stderr, /did not stop in time/)
    assert.equal(await cursorOf(w.db), cursor)
    assert.deepEqual(await storedDigests(w.db), [])
  })

  it('a reply the node garbles is a permanent error: exit 1 at once, one line naming it, not retried', async () => {
    const {w, cursor} = await worldWithRelevantBatch()
    w.sui.faults.malformedReplies('BatchGetTransactions')
    const result = await runCli(['poll', '--once', '--mode', 'poll'], {env: w.env})
    assert.equal(result.code, 1, result.stderr)
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'))
    assert.equal(errors.length, 1, result.stderr)
    assert.match(
      errors[0]!,
      /^Error: the node's answer for 1 relevant transactions of checkpoints \d+\.\.\d+ is malformed: BatchGetTransactions failed with DATA_LOSS after 1 attempt: .*malformed BatchGetTransactions reply: length-delimited field runs past its message; nothing committed, the cursor stays at \d+; a restart reads the same answer: point SUI_GRPC_URL at another node or provider/,
    )
    assert.equal(w.sui.faults.calls('BatchGetTransactions'), 1, 'asked once')
    assert.equal(await cursorOf(w.db), cursor)
    assert.deepEqual(await storedDigests(w.db), [])
  })

  it('a malformed digest in a checkpoint is a permanent error naming it: exit 1, nothing asked, cursor unmoved', async () => {
    const w = (world = await pollWorld())
    const cursor = w.sui.ledger.checkpointHeight
    await w.db('ingest_cursors').insert({name: POLLER_CURSOR, checkpoint: cursor.toString()})
    w.sui.ledger.submit({sender: w.alice, digest: 'not-a-digest', moveCalls: [{package: PAY_PACKAGE, module: 'pay', function: 'pay'}]})
    w.sui.ledger.produceCheckpoint()
    const result = await runCli(['poll', '--once', '--mode', 'poll', '--json'], {env: w.env})
    assert.equal(result.code, 1, result.stderr)
    const {error} = JSON.parse(result.stdout) as {error: {code: string; message: string; remedy: string; exitCode: number}}
    assert.equal(error.code, 'CHAIN_REPLY_MALFORMED')
    assert.equal(error.exitCode, 1)
    assert.equal(
      error.message,
      `the node's checkpoint names a relevant transaction of checkpoints ${cursor + 1n}..${cursor + 1n} by a malformed digest (not a transaction digest: "not-a-digest"); nothing committed, the cursor stays at ${cursor}`,
    )
    assert.match(error.remedy, /^a restart reads the same answer/)
    assert.equal(w.sui.faults.calls('BatchGetTransactions'), 0)
    assert.equal(await cursorOf(w.db), cursor)
    assert.deepEqual(await storedDigests(w.db), [])
  })
})
