// A database belongs to one chain, and a node behind the cursor is waited on, never taken for
// "caught up" (tried as a new user would: `poll --once` against a restarted local server said
// `Stopped (caught-up) at cursor 137: 0 checkpoints` while the node was at checkpoint 7).
import assert from 'node:assert/strict'
import {ConfioProcess} from '../support/child-process.ts'
import {runCli} from '../support/cli.ts'
import {closeWorld, CUSD, cursorOf, pollWorld, type PollWorld, storedDigests} from './poll-support.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'

describe('the chain a database follows', function () {
  this.timeout(60_000)
  let w: PollWorld

  beforeEach(async () => (w = await pollWorld()))
  afterEach(async () => closeWorld(w))

  it('is recorded with the cursor; a poller or reconcile pointed at a node of another chain refuses in one line, exit 2', async () => {
    const first = await runCli(['poll', '--once', '--mode', 'poll'], {env: w.env})
    assert.equal(first.code, 0, first.stderr)
    const row = await w.db('ingest_cursors').where({name: POLLER_CURSOR}).first()
    assert.equal(row.chain_id, w.sui.ledger.chainId)

    await w.db('ingest_cursors').where({name: POLLER_CURSOR}).update({chain_id: '4c78adac'})
    const cursor = await cursorOf(w.db)
    for (const args of [['poll', '--once', '--mode', 'poll'], ['reconcile']]) {
      const refused = await runCli(args, {env: w.env})
      assert.equal(refused.code, 2, refused.stderr)
      assert.equal(
        refused.stderr.trim().split('\n').at(-1),
        `Error: SUI_GRPC_URL: the node serves chain ${w.sui.ledger.chainId} (localnet), but this database follows chain 4c78adac; point SUI_GRPC_URL at a node of chain 4c78adac, or DATABASE_URL at a database of chain ${w.sui.ledger.chainId}`,
      )
    }
    assert.equal(await cursorOf(w.db), cursor, 'nothing written')
  })

  it('a node behind the cursor: --once waits, then says so and exits 1; a running poller waits and goes on when the node gets there', async () => {
    const height = w.sui.ledger.checkpointHeight
    await w.db('ingest_cursors').insert({name: POLLER_CURSOR, checkpoint: (height + 3n).toString()})
    const once = await runCli(['poll', '--once', '--mode', 'poll', '--node-wait', '1s'], {env: w.env})
    assert.equal(once.code, 1)
    assert.match(once.stderr, new RegExp(`^Error: the node is at checkpoint ${height}, behind this database's cursor ${height + 3n}; point SUI_GRPC_URL at a node that has checkpoint ${height + 4n}`, 'm'))
    assert.doesNotMatch(once.stdout, /caught-up/)

    const poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms'], w.env)
    try {
      await poller.waitForLog(/behind this database's cursor/)
      for (let i = 0; i < 3; i++) w.sui.ledger.produceCheckpoint()
      const transfer = w.sui.ledger.transfer({from: w.bob, to: w.alice, coinType: CUSD, amount: 5n})
      w.sui.ledger.produceCheckpoint()
      await poller.waitForLog(/the node has reached the cursor/)
      const deadline = Date.now() + 15_000
      while (!(await storedDigests(w.db)).includes(transfer.digest)) {
        if (Date.now() > deadline) throw new Error(`the transfer after the cursor was not stored:\n${poller.stderr}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    } finally {
      poller.kill('SIGTERM')
      assert.equal(await poller.exited, 0, poller.stderr)
    }
  })
})
