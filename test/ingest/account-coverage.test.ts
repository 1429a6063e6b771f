// An account added while the poller runs: every transaction from its monitored_from on is stored
// exactly once, wherever the poller's refresh of its account set falls.
import assert from 'node:assert/strict'
import {AccountRepository} from '../../src/accounts/account-repository.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {pollerLease} from '../../src/ingest/poller-lease.ts'
import {Poller, type PollerOptions} from '../../src/ingest/poller.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {normalizeCoinType} from '../../src/sui/identifiers.ts'
import {setCursor} from '../../src/store/ingest-cursor.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import type {GrpcChainReader} from '../../src/chain/index.ts'
import {testOptions, testReader} from '../chain/chain-test-support.ts'
import {eventually} from '../support/child-process.ts'
import {closeWorld, CUSD, CUSD_PACKAGE, cursorOf, PAY_PACKAGE, pollWorld, type PollWorld, SUI} from './poll-support.ts'

interface Transfer {
  digest: string
  checkpoint: bigint
}

describe('poller: accounts added while it runs', function () {
  this.timeout(60_000)
  let world: PollWorld | undefined
  let chain: GrpcChainReader | undefined
  let lines: string[] = []

  afterEach(async () => {
    chain?.close()
    chain = undefined
    await closeWorld(world)
    world = undefined
  })

  function poller(w: PollWorld, options: Partial<PollerOptions>): Poller {
    chain = chain ?? testReader(w.sui.url)
    const tokens = new TokenRegistry([
      {symbol: 'SUI', coinType: normalizeCoinType(SUI), decimals: 9},
      {symbol: 'cUSD', coinType: normalizeCoinType(CUSD), decimals: 6},
    ])
    const logger = createLogger({level: 'info', scrubber: new SecretScrubber(), pretty: false, write: (line) => lines.push(line)})
    return new Poller({
      db: w.db,
      chain,
      queue: w.queue,
      lease: pollerLease(process.env.DATABASE_URL as string),
      packages: [CUSD_PACKAGE, PAY_PACKAGE],
      tokens,
      cursorName: POLLER_CURSOR,
      mode: 'poll',
      intervalMs: 20,
      once: false,
      logger,
      ...options,
    })
  }

  /** A transfer to `to` in every checkpoint, every `everyMs`, until stopped. */
  function transfersTo(w: PollWorld, to: string, everyMs: number): {sent: Transfer[]; stop: () => void} {
    const sent: Transfer[] = []
    const timer = setInterval(() => {
      const digest = w.sui.ledger.transfer({from: w.bob, to, coinType: SUI, amount: 1n}).digest
      sent.push({digest, checkpoint: w.sui.ledger.produceCheckpoint()})
    }, everyMs)
    return {sent, stop: () => clearInterval(timer)}
  }

  async function storedOf(w: PollWorld, digests: string[]): Promise<string[]> {
    const rows: {tx_digest: string}[] = await w.db('raw_blockchain_events').select('tx_digest').whereIn('tx_digest', digests)
    return rows.map((r) => r.tx_digest).sort()
  }

  async function addedWhileFlowing(refreshMs: number, onThread = false): Promise<{w: PollWorld; dave: string; sent: Transfer[]; monitoredFrom: bigint; start: bigint}> {
    const w = (world = await pollWorld())
    lines = []
    const dave = w.sui.ledger.createAddress('dave')
    const start = w.sui.ledger.checkpointHeight + 1n
    const flow = transfersTo(w, dave, 25)
    const stop = new AbortController()
    const running = poller(w, {accountsRefreshMs: refreshMs, fromCheckpoint: start, ...(onThread ? {readingThread: testOptions(w.sui.url)} : {})}).run(stop.signal)
    try {
      await eventually(async () => ((await cursorOf(w.db)) ?? 0n) >= start + 10n, 10_000, 'the poller is following')
      await w.db('accounts').insert({email: 'dave@test.io', sui_address: dave})
      // Long enough for several refreshes, and for many commits before a slow one.
      await new Promise((resolve) => setTimeout(resolve, refreshMs * 2 + 600))
    } finally {
      flow.stop()
    }
    const tip = w.sui.ledger.checkpointHeight
    await eventually(async () => (await cursorOf(w.db)) === tip, 10_000, 'the poller caught up')
    stop.abort()
    await running
    const row = await w.db('accounts').where({sui_address: dave}).first('monitored_from')
    return {w, dave, sent: flow.sent, monitoredFrom: BigInt(row.monitored_from), start}
  }

  // The reading thread (confio poll's) takes a refresh's change between two of its checkpoints and
  // says which: the same transfers must be stored as when the main thread reads.
  for (const [refreshMs, where] of [[30, 'main'], [1_500, 'main'], [30, 'reading'], [1_500, 'reading']] as const) {
    it(`stores every transfer from monitored_from on, once, with the set refreshed every ${refreshMs} ms, reading on ${where === 'main' ? 'the main thread' : 'a thread of its own'}`, async () => {
      const {w, sent, monitoredFrom} = await addedWhileFlowing(refreshMs, where === 'reading')
      const expected = sent.filter((t) => t.checkpoint >= monitoredFrom).map((t) => t.digest).sort()
      assert.ok(expected.length >= 10, `only ${expected.length} transfers after the add`)
      assert.deepEqual(await storedOf(w, sent.map((t) => t.digest)), expected)
      assert.deepEqual(await w.queue.missing(expected), [], 'each has its job')
      if (refreshMs > 1_000) assert.ok(lines.some((line) => line.includes('filled the history of accounts added while polling')), 'the slow refresh left a gap the poller filled')
      const coverage = await w.db('accounts').where({email: 'dave@test.io'}).first('live_from', 'filled_through')
      assert.ok(coverage.live_from !== null)
    })
  }

  it('a --reset-cursor replay stores the same set', async () => {
    const {w, sent, monitoredFrom, start} = await addedWhileFlowing(1_000)
    const digests = sent.map((t) => t.digest)
    const first = await storedOf(w, digests)
    await w.db('raw_blockchain_events').whereIn('tx_digest', digests).delete()
    await setCursor(w.db, POLLER_CURSOR, start - 1n)
    const replay = await poller(w, {once: true}).run(new AbortController().signal)
    assert.equal(replay.stoppedBy, 'caught-up')
    assert.deepEqual(await storedOf(w, digests), first)
    assert.deepEqual(first, sent.filter((t) => t.checkpoint >= monitoredFrom).map((t) => t.digest).sort())
  })

  it('after a crash before the fill, the next start fills the gap', async () => {
    const w = (world = await pollWorld())
    const dave = w.sui.ledger.createAddress('dave')
    const start = w.sui.ledger.checkpointHeight + 1n
    w.sui.ledger.produceCheckpoint()
    const first = await poller(w, {once: true, fromCheckpoint: start}).run(new AbortController().signal)
    assert.equal(first.stoppedBy, 'caught-up')
    await w.db('accounts').insert({email: 'dave@test.io', sui_address: dave})
    assert.equal((await w.db('accounts').where({sui_address: dave}).first('monitored_from')).monitored_from, String(start + 1n))
    const sent: Transfer[] = []
    for (let i = 0; i < 5; i++) {
      sent.push({digest: w.sui.ledger.transfer({from: w.bob, to: dave, coinType: SUI, amount: 1n}).digest, checkpoint: w.sui.ledger.produceCheckpoint()})
    }
    // As a poller that picked dave up only after committing these (and died before its fill) leaves it.
    const cursor = w.sui.ledger.checkpointHeight
    await setCursor(w.db, POLLER_CURSOR, cursor)
    await w.db('accounts').where({sui_address: dave}).update({live_from: (cursor + 1n).toString()})
    assert.deepEqual(await storedOf(w, sent.map((t) => t.digest)), [])
    const gapOf = async () => (await new AccountRepository(w.db).find(dave))?.historyGap
    assert.deepEqual(await gapOf(), {from: String(start + 1n), to: String(cursor)}, 'accounts list says where the history is missing')
    const second = await poller(w, {once: true}).run(new AbortController().signal)
    assert.equal(second.stoppedBy, 'caught-up')
    assert.deepEqual(await storedOf(w, sent.map((t) => t.digest)), sent.map((t) => t.digest).sort())
    const coverage = await w.db('accounts').where({sui_address: dave}).first('filled_through')
    assert.equal(coverage.filled_through, cursor.toString())
    assert.equal(await gapOf(), null)
  })

  it('an account that comes back is filled for the time it was away', async () => {
    const w = (world = await pollWorld())
    const {ledger} = w.sui
    const start = ledger.checkpointHeight + 1n
    const run = () => poller(w, {once: true, fromCheckpoint: start}).run(new AbortController().signal)
    const toCarol = () => ({digest: ledger.transfer({from: w.bob, to: w.carol, coinType: SUI, amount: 1n}).digest, checkpoint: ledger.produceCheckpoint()})
    await w.db('accounts').insert({email: 'carol@test.io', sui_address: w.carol})
    await run()
    const before = toCarol()
    await run()
    await w.db('accounts').where({sui_address: w.carol}).update({deleted_at: w.db.fn.now()})
    const away = [toCarol(), toCarol()]
    await run()
    assert.deepEqual(await storedOf(w, away.map((t) => t.digest)), [], 'not monitored while away')
    await w.db('accounts').where({sui_address: w.carol}).update({deleted_at: null})
    await run()
    const all = [before, ...away].map((t) => t.digest)
    assert.deepEqual(await storedOf(w, all), [...all].sort())
  })
})
