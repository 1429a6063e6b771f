// confio backfill: an account's history from before it was monitored, stored like the poller's.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {JsonOutput} from '../../cli/base-command.ts'
import type {BackfillReport} from '../../src/ingest/account-backfill.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {emptyDir, jsonOf, runCli} from '../support/cli.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {HAVE_SCRIPT, runOnTerminal} from '../support/terminal.ts'
import {closeWorld, CUSD, cursorOf, pollWorld, type PollWorld, SUI} from '../ingest/poll-support.ts'

type BackfillJson = JsonOutput<BackfillReport>

/** Rows as stored, in a form two backfills can be compared by. */
async function rowsOf(world: PollWorld, digests: string[]): Promise<unknown[]> {
  return world.db('raw_blockchain_events')
    .select('tx_digest', 'checkpoint', 'tx_index', 'timestamp_ms', 'sender', 'success', 'move_calls', 'events', 'balance_changes', 'gas_used', 'gas_owner', 'reasons')
    .whereIn('tx_digest', digests)
    .orderBy('tx_digest')
}

describe('confio backfill', function () {
  this.timeout(120_000)
  let world: PollWorld | undefined

  afterEach(async () => {
    await closeWorld(world)
    world = undefined
  })

  /**
   * Dave's past: transfers to and from him (SUI and cUSD) among unrelated traffic, then a poller
   * that ran before he was added, so his monitored_from is after all of it.
   */
  async function davesPast(serverOptions: Parameters<typeof pollWorld>[0] = {}) {
    const w = (world = await pollWorld(serverOptions))
    const {ledger} = w.sui
    const dave = ledger.createAddress('dave')
    const from = ledger.checkpointHeight + 1n
    const his: string[] = []
    // cUSD movements are the poller's whoever the parties: those are stored already, the rest is new.
    const cusd: string[] = []
    for (let i = 0; i < 12; i++) {
      const digest = ledger.transfer({from: w.bob, to: dave, coinType: i % 3 === 0 ? CUSD : SUI, amount: 1_000_000n + BigInt(i)}).digest
      his.push(digest)
      if (i % 3 === 0) cusd.push(digest)
      if (i % 4 === 3) his.push(ledger.transfer({from: dave, to: w.carol, coinType: SUI, amount: 1_000n}).digest)
      ledger.produceCheckpoint()
      ledger.generateTraffic({checkpoints: 3, relevantShare: 0})
    }
    const poll = await runCli(['poll', '--once', '--from-checkpoint', String(from)], {env: w.env})
    assert.equal(poll.code, 0, poll.stderr)
    const added = await runCli(['accounts', 'add', '--email', 'dave@test.io', '--address', dave], {env: w.env})
    assert.equal(added.code, 0, added.stderr)
    return {w, dave, from, his, fresh: his.length - cusd.length}
  }

  async function backfill(w: PollWorld, args: string[]): Promise<BackfillJson> {
    const result = await runCli(['backfill', '--account', 'dave@test.io', ...args, '--json'], {env: w.env})
    assert.equal(result.code, 0, result.stderr)
    return jsonOf<BackfillJson>(result)
  }

  it('stores the same rows through ListTransactions and through a checkpoint scan, and monitored_from moves back', async () => {
    const {w, from, his} = await davesPast()
    await w.db('raw_blockchain_events').whereIn('tx_digest', his).delete()
    const listed = await backfill(w, ['--from-checkpoint', String(from), '--source', 'list'])
    assert.equal(listed.source, 'list')
    assert.deepEqual([listed.found, listed.stored], [his.length, his.length])
    assert.equal((await rowsOf(w, his)).length, his.length)
    assert.deepEqual(await w.queue.missing(his), [], 'each has its job')
    const viaList = await rowsOf(w, his)
    assert.equal((await w.db('accounts').where({email: 'dave@test.io'}).first('monitored_from')).monitored_from, String(from))

    await w.db('raw_blockchain_events').whereIn('tx_digest', his).delete()
    await w.db('accounts').where({email: 'dave@test.io'}).update({monitored_from: String(w.sui.ledger.checkpointHeight + 1n)})
    const scanned = await backfill(w, ['--from-checkpoint', String(from), '--source', 'scan'])
    assert.equal(scanned.source, 'scan')
    assert.deepEqual(await rowsOf(w, his), viaList)
  })

  it('run twice stores nothing the second time; the history nets to the chain balance', async () => {
    const {w, dave, from, his, fresh} = await davesPast()
    const first = await backfill(w, ['--from-checkpoint', String(from)])
    assert.deepEqual([first.found, first.stored, first.queued], [his.length, fresh, fresh])
    const second = await backfill(w, ['--from-checkpoint', String(from)])
    assert.deepEqual([second.found, second.stored, second.queued], [0, 0, 0], 'the range is now behind monitored_from')
    const again = await backfill(w, ['--from-checkpoint', String(from - 1n)])
    assert.deepEqual([again.stored, again.queued], [0, 0], 'a wider range finds the same transactions, already stored')

    const worked = await runCli(['worker', '--drain'], {env: w.env})
    assert.equal(worked.code, 0, worked.stderr)
    const history: {token: string; direction: string; amount: string}[] = await w.db('account_transactions as t')
      .join('accounts as a', 'a.id', 't.account_id')
      .where('a.email', 'dave@test.io')
      .select('t.token', 't.direction', 't.amount')
    const net = (token: string) => history.filter((h) => h.token === token).reduce((sum, h) => sum + (h.direction === 'received' ? BigInt(h.amount) : -BigInt(h.amount)), 0n)
    // Dave had nothing before `from`: his balance now is what the range moved.
    const chain = (coinType: string) => {
      const parts = w.sui.ledger.balance(dave, coinType)
      return parts.coinBalance + parts.addressBalance
    }
    assert.equal(net('SUI'), chain(SUI))
    assert.equal(net('CUSD'), chain(CUSD))
  })

  it('runs beside a live poller without storing anything twice', async () => {
    const {w, dave, from, his, fresh} = await davesPast()
    const poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '100ms'], w.env)
    const live: string[] = []
    const timer = setInterval(() => {
      live.push(w.sui.ledger.transfer({from: w.bob, to: dave, coinType: SUI, amount: 7n}).digest)
      w.sui.ledger.produceCheckpoint()
    }, 50)
    let result: BackfillJson
    try {
      await poller.waitForLog(/holding the poller lease/)
      result = await backfill(w, ['--from-checkpoint', String(from)])
    } finally {
      clearInterval(timer)
    }
    const tip = w.sui.ledger.checkpointHeight
    await eventually(async () => (await cursorOf(w.db)) === tip, 20_000, 'the poller caught up')
    poller.kill('SIGTERM')
    assert.equal(await poller.exited, 0)
    assert.equal(result.stored, fresh)
    const stored: {tx_digest: string}[] = await w.db('raw_blockchain_events').select('tx_digest').whereIn('tx_digest', [...his, ...live])
    assert.equal(stored.length, his.length + live.length, 'every past and live transfer stored')
    assert.deepEqual(await w.queue.missing([...his, ...live]), [])
  })

  it('resumes a listing the node ends at its scan limit from the watermark', async () => {
    const {w, from, his, fresh} = await davesPast({listTransactionsScanLimit: 5})
    const result = await backfill(w, ['--from-checkpoint', String(from), '--source', 'list'])
    assert.ok(result.requests > 5, `${result.requests} requests for ${result.checkpointsTotal} checkpoints at 5 per request`)
    assert.deepEqual([result.found, result.stored], [his.length, fresh])
  })

  it("also closes a gap the poller left in the account's history (a range its node had pruned)", async () => {
    const {w, dave, from, his} = await davesPast()
    const {ledger} = w.sui
    const monitoredFrom = ledger.checkpointHeight + 1n
    const gap: string[] = []
    for (let i = 0; i < 3; i++) {
      gap.push(ledger.transfer({from: w.bob, to: dave, coinType: SUI, amount: 3n}).digest)
      ledger.produceCheckpoint()
    }
    // As a poller leaves it that picked dave up at the tip and could not fill monitored_from..tip.
    await w.db('ingest_cursors').where({name: POLLER_CURSOR}).update({checkpoint: String(ledger.checkpointHeight)})
    await w.db('accounts').where({sui_address: dave}).update({live_from: String(ledger.checkpointHeight + 1n)})
    const gapOf = async () => jsonOf<{accounts: {historyGap: unknown}[]}>(await runCli(['accounts', 'list', '--json'], {env: w.env})).accounts.find((a) => a.historyGap)?.historyGap
    assert.deepEqual(await gapOf(), {from: String(monitoredFrom), to: String(ledger.checkpointHeight)})
    const result = await backfill(w, ['--from-checkpoint', String(from)])
    assert.equal(result.found, his.length + gap.length)
    assert.equal((await w.db('raw_blockchain_events').whereIn('tx_digest', gap)).length, gap.length)
    assert.equal(await gapOf(), undefined)
  })

  it('refuses a range the node has pruned, with the documented line', async () => {
    const {w} = await davesPast()
    w.sui.ledger.prune(20n)
    const result = await runCli(['backfill', '--account', 'dave@test.io', '--from-checkpoint', '3'], {env: w.env})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^Error: checkpoints 3 to 19 are pruned on this node \(lowest available: 20\); confio cannot read them; point SUI_GRPC_URL at a node or archive that still has them, or backfill from checkpoint 20/m)
  })

  it('accounts add --backfill-since stores the history of the time asked', async () => {
    const w = (world = await pollWorld())
    const {ledger} = w.sui
    const erin = ledger.createAddress('erin')
    const digest = ledger.transfer({from: w.bob, to: erin, coinType: SUI, amount: 5n}).digest
    ledger.produceCheckpoint()
    const poll = await runCli(['poll', '--once', '--from-checkpoint', '1'], {env: w.env})
    assert.equal(poll.code, 0, poll.stderr)
    const added = await runCli(['accounts', 'add', '--email', 'erin@test.io', '--address', erin, '--backfill-since', '1h'], {env: w.env})
    assert.equal(added.code, 0, added.stderr)
    const from = /^Backfilled 1 account from checkpoint (\d+) over \d+ checkpoints? via .*: 1 transaction found, 1 new, 1 queued;/m.exec(added.stdout)?.[1]
    assert.ok(from, added.stdout)
    assert.equal((await w.db('raw_blockchain_events').where({tx_digest: digest})).length, 1)
    // Asked again: nothing to do, said as such (not "Backfilled 0 accounts … through 0 checkpoints").
    const again = await runCli(['backfill', '--account', 'erin@test.io', '--from-checkpoint', from], {env: w.env})
    assert.equal(again.code, 0, again.stderr)
    assert.equal(again.stdout, `Nothing to backfill: 1 account is already monitored from checkpoint ${from} or earlier.\n`)
  })

  it('accounts import --backfill-since stores the history of the file\'s accounts, a skipped line\'s aside', async () => {
    const w = (world = await pollWorld())
    const {ledger} = w.sui
    const [fay, gus] = [ledger.createAddress('fay'), ledger.createAddress('gus')]
    const digests = [fay, gus].map((to) => ledger.transfer({from: w.bob, to, coinType: SUI, amount: 7n}).digest)
    ledger.produceCheckpoint()
    const poll = await runCli(['poll', '--once', '--from-checkpoint', '1'], {env: w.env})
    assert.equal(poll.code, 0, poll.stderr)
    const csv = join(emptyDir(), 'accounts.csv')
    writeFileSync(csv, `email,address,label\nfay@test.io,${fay},Fay\nnot-an-email,0x9,Bad\ngus@test.io,${gus},Gus\n`)
    const result = await runCli(['accounts', 'import', csv, '--skip-invalid', '--backfill-since', '1h', '--json'], {env: w.env})
    assert.equal(result.code, 0, result.stderr)
    const json = jsonOf<{inserted: number; skipped: number; backfill: BackfillJson}>(result)
    const ids = await w.db('accounts').whereIn('sui_address', [fay, gus]).orderBy('id').select('id', 'sui_address', 'email')
    assert.deepEqual([json.inserted, json.skipped], [2, 1])
    assert.deepEqual(
      json.backfill.accounts.map((a) => [a.id, a.address, a.email]),
      ids.map((row: {id: string; sui_address: string; email: string}) => [String(row.id), row.sui_address, row.email]),
    )
    assert.equal((await w.db('raw_blockchain_events').whereIn('tx_digest', digests)).length, 2)
  })

  it('on a terminal: its two phases ticked off, then the summary as through a pipe', async function () {
    if (!HAVE_SCRIPT) this.skip()
    const {w, from, his} = await davesPast()
    await w.db('raw_blockchain_events').whereIn('tx_digest', his).delete()
    const run = await runOnTerminal(['backfill', '--account', 'dave@test.io', '--from-checkpoint', String(from), '--source', 'scan'], w.env)
    assert.equal(run.code, 0, run.screen)
    assert.match(run.screen, new RegExp(`✔ Start at checkpoint ${from}, by a checkpoint scan \\[[\\d.]+m?s\\]`), run.screen)
    assert.match(run.screen, /✔ Read and store the history \[[\d.]+m?s\]/)
    assert.match(run.screen, new RegExp(`^Backfilled 1 account from checkpoint ${from} over \\d+ checkpoints via a checkpoint scan in .*: ${his.length} transactions found, ${his.length} new`, 'm'))
    assert.equal((await rowsOf(w, his)).length, his.length)
  })
})

