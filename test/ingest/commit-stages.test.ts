// The poller's stages from deciding to queueing, driven as the poller drives them (commit-stages.ts).
// The second tier: checkpoints come without event JSON, the details stage fetches the relevant
// transactions in full before the commit stage stores them, and a transaction it cannot fetch
// fails the commit (nothing stored, cursor unmoved) instead of being stored incomplete or skipped.
// The decoding guard stops the decide stage before a flood is stored; stores overlap and commit in order.
import assert from 'node:assert/strict'

import {ChainError} from '../../src/chain/index.ts'
import type {CallOptions, CheckpointRecord, EventContents, GrpcChainReader, TransactionDetails} from '../../src/chain/index.ts'
import {AddressSet} from '../../src/ingest/address-set.ts'
import {TransactionDetailsError, type TransactionDetailsReader} from '../../src/ingest/details-fetcher.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {RelevanceFilter} from '../../src/ingest/relevance-filter.ts'
import {normalizeCoinType} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {CursorMovedError, setCursor} from '../../src/store/ingest-cursor.ts'
import {createDatabase} from '../../src/store/database.ts'
import {collect, testReader} from '../chain/chain-test-support.ts'
import {eventually} from '../support/child-process.ts'
import {CommitStages, type CommitStagesOptions} from './commit-stages.ts'
import {closeWorld, cursorOf, CUSD, PAY_PACKAGE, pollWorld, type PollWorld, storedDigests, SUI} from './poll-support.ts'

const CURSOR = POLLER_CURSOR
const FAST_RETRY = {deadlineMs: 300, baseMs: 1, maxMs: 5}

describe('commit stages: decide, details, commit, queue', function () {
  this.timeout(30_000)
  let world: PollWorld
  let chain: GrpcChainReader

  beforeEach(async () => {
    world = await pollWorld()
    chain = testReader(world.sui.url)
  })
  afterEach(async () => {
    chain.close()
    await closeWorld(world)
  })

  function stagesOptions(reader: TransactionDetailsReader, cursor?: bigint): CommitStagesOptions {
    const accounts = new AddressSet()
    accounts.add(world.alice)
    const filter = new RelevanceFilter({
      packages: [PAY_PACKAGE],
      tokens: new TokenRegistry([{symbol: 'SUI', coinType: normalizeCoinType(SUI), decimals: 9}, {symbol: 'cUSD', coinType: normalizeCoinType(CUSD), decimals: 6}]),
      accounts,
    })
    return {db: world.db, chain: reader, cursorName: CURSOR, cursor, filter, queue: world.queue, detailsRetry: FAST_RETRY}
  }

  function stages(reader: TransactionDetailsReader, cursor?: bigint): CommitStages {
    return new CommitStages(stagesOptions(reader, cursor))
  }

  /** A few relevant transactions with event JSON among background traffic; the batch as the poller reads it. */
  async function batchWithEvents(): Promise<{batch: CheckpointRecord[]; relevant: string[]; json: Map<string, unknown[]>}> {
    const {ledger} = world.sui
    const from = ledger.checkpointHeight + 1n
    const paid = ledger.submit({
      sender: world.carol,
      moveCalls: [{package: PAY_PACKAGE, module: 'pay', function: 'pay'}],
      events: [{type: `${PAY_PACKAGE}::pay::PaymentMade`, json: {amount: '18446744073709551615', payer: world.carol, memo: 'rent', items: [1, 2]}}],
    })
    const sent = ledger.transfer({from: world.alice, to: world.bob, coinType: SUI, amount: 5n})
    ledger.produceCheckpoint()
    ledger.generateTraffic({checkpoints: 3, txPerCheckpoint: [20, 30], relevantShare: 0, seed: 41})
    const emitted = ledger.submit({sender: world.bob, events: [{type: `${PAY_PACKAGE}::pay::Refunded`, json: {amount: '7', reason: null}}]})
    ledger.produceCheckpoint()
    const batch = await collect(chain.checkpoints(from, ledger.checkpointHeight))
    const relevant = [paid.digest, sent.digest, emitted.digest]
    const json = new Map(relevant.map((d) => [d, ledger.transaction(d)?.record.events.map((e) => e.json) ?? []]))
    return {batch, relevant, json}
  }

  it('stores the relevant transactions with their full event JSON, fetched in one call per batch', async () => {
    const {batch, relevant, json} = await batchWithEvents()
    assert.ok(batch.every((c) => c.transactions.every((t) => t.events.every((e) => !('json' in e)))), 'the checkpoint read carries no event JSON')
    world.sui.faults.reset()
    const result = await stages(chain).commit(batch)
    assert.equal(result.relevant, 3)
    assert.equal(world.sui.faults.calls('BatchGetTransactions'), 1)
    assert.deepEqual(await storedDigests(world.db), relevant)
    assert.equal(await cursorOf(world.db), batch.at(-1)?.sequenceNumber)

    const rows: Array<{tx_digest: string; checkpoint: string; tx_index: number; events: Array<{type: string; sender: string; json: unknown}>}> =
      await world.db('raw_blockchain_events').select('tx_digest', 'checkpoint', 'tx_index', 'events').orderBy('id')
    for (const row of rows) {
      assert.deepEqual(row.events.map((e) => e.json), json.get(row.tx_digest), `event JSON of ${row.tx_digest}`)
      const read = batch.flatMap((c) => c.transactions).find((t) => t.digest === row.tx_digest)
      assert.equal(row.checkpoint, String(read?.checkpoint))
      assert.equal(row.tx_index, read?.index)
      assert.deepEqual(row.events.map(({type, sender}) => ({type, sender})), read?.events)
    }
    assert.deepEqual(rows[0]?.events[0]?.json, {amount: '18446744073709551615', payer: world.carol, memo: 'rent', items: [1, 2]})
  })

  it('stores transactions it could not decode, with their parse error, and goes on', async () => {
    const undecodable = (index: number) => ({
      digest: '',
      index,
      checkpoint: 5n,
      timestampMs: 1_700_000_000_000,
      sender: '',
      gasOwner: '',
      moveCalls: [],
      events: [],
      balanceChanges: [],
      status: {success: true as const},
      gasUsed: 0n,
      parseError: `transaction ${index}: malformed transaction bytes`,
    })
    const batch: CheckpointRecord[] = [{sequenceNumber: 5n, digest: 'cp5', timestampMs: 1_700_000_000_000, transactions: [undecodable(0), undecodable(3)]}]
    await world.db('ingest_cursors').insert({name: CURSOR, checkpoint: '4'})
    const result = await stages(chain, 4n).commit(batch)
    assert.equal(result.inserted, 2)
    const rows: Array<{tx_digest: string; parse_error: string}> = await world.db('raw_blockchain_events').select('tx_digest', 'parse_error').orderBy('id')
    assert.deepEqual(rows.map((r) => r.tx_digest), ['undecodable:5:0', 'undecodable:5:3'])
    for (const row of rows) assert.match(row.parse_error, /malformed transaction bytes; event contents not fetched/)
    assert.equal(await cursorOf(world.db), 5n)
  })

  describe('a decoding flood', () => {
    const tx = (checkpoint: bigint, index: number, bad: boolean) => ({
      digest: bad ? '' : `ok${checkpoint}x${index}`,
      index,
      checkpoint,
      timestampMs: 1_700_000_000_000,
      sender: `0x${'9'.repeat(64)}`,
      gasOwner: `0x${'9'.repeat(64)}`,
      moveCalls: [],
      events: [],
      balanceChanges: [],
      status: {success: true as const},
      gasUsed: 0n,
      ...(bad ? {parseError: `transaction ${index}: unknown TransactionKind variant 42`} : {}),
    })
    const checkpoints = (from: bigint, count: number, isBad: (n: number) => boolean): CheckpointRecord[] =>
      Array.from({length: count}, (_, c) => {
        const sequenceNumber = from + BigInt(c)
        return {sequenceNumber, digest: `cp${sequenceNumber}`, timestampMs: 1_700_000_000_000, transactions: Array.from({length: 60}, (_, i) => tx(sequenceNumber, i, isBad(c * 60 + i)))}
      })

    it('5% undecodable over a batch of 1,200: stops before storing, naming the first and the decoder message, cursor unmoved', async () => {
      await world.db('ingest_cursors').insert({name: CURSOR, checkpoint: '99'})
      await assert.rejects(stages(chain, 99n).commit(checkpoints(100n, 20, (n) => n % 20 === 7)), (error: Error & {code?: string}) => {
        assert.equal(error.code, 'DECODING_FLOOD')
        assert.equal(
          error.message,
          '51 of the last 1020 transactions (5.0%, over 1%) could not be decoded; first: transaction 7 of checkpoint 100: transaction 7: unknown TransactionKind variant 42; nothing of this batch was stored, the cursor stays at 99',
        )
        return true
      })
      assert.equal(await cursorOf(world.db), 99n)
      assert.equal((await world.db('raw_blockchain_events').count({n: '*'}))[0]?.n, '0')
    })

    it('21 in a row stops at once; a few now and then are kept and the poller goes on', async () => {
      await world.db('ingest_cursors').insert({name: CURSOR, checkpoint: '99'})
      const few = stages(chain, 99n)
      const kept = await few.commit(checkpoints(100n, 5, (n) => n % 100 === 3))
      assert.equal(kept.inserted, 3)
      await assert.rejects(few.commit(checkpoints(105n, 1, (n) => n >= 10 && n <= 30)), /more than 20 transactions in a row could not be decoded; first: transaction 10 of checkpoint 105/)
      assert.equal(await cursorOf(world.db), 104n)
    })
  })

  it('makes no details call for a batch without relevant transactions', async () => {
    const {ledger} = world.sui
    const from = ledger.checkpointHeight + 1n
    ledger.generateTraffic({checkpoints: 2, txPerCheckpoint: [10, 10], relevantShare: 0, seed: 42})
    const batch = await collect(chain.checkpoints(from, ledger.checkpointHeight))
    world.sui.faults.reset()
    const result = await stages(chain).commit(batch)
    assert.equal(result.relevant, 0)
    assert.equal(world.sui.faults.calls('BatchGetTransactions'), 0)
    assert.equal(await cursorOf(world.db), ledger.checkpointHeight)
  })

  it('fails the commit when a relevant transaction is gone (NOT_FOUND): nothing stored, the cursor stays', async () => {
    const {batch} = await batchWithEvents()
    const before = batch[0]!.sequenceNumber - 1n
    const reader = countingReader(chain)
    const target = stages(reader, before)
    // The node prunes the batch's transactions between the checkpoint read and the details call.
    world.sui.ledger.produceCheckpoint()
    world.sui.ledger.prune(world.sui.ledger.checkpointHeight)
    const error = await target.commit(batch).catch((e: unknown) => e)
    assert.ok(error instanceof TransactionDetailsError, String(error))
    assert.match(error.message, /3 relevant transactions/)
    assert.match(error.message, /cursor stays at/)
    assert.match(error.message, /within 300ms \(\d+ attempts; last: BatchGetTransactions failed with NOT_FOUND/)
    assert.equal((error.cause as ChainError).status, 'NOT_FOUND')
    assert.ok(reader.calls > 1, 'NOT_FOUND is tried again before the commit fails')
    assert.equal(error.permanent, false)
    assert.deepEqual(await storedDigests(world.db), [])
    assert.equal(await cursorOf(world.db), undefined)
    assert.equal(target.position, before)
  })

  it('gets through a node that lags (NOT_FOUND) or fails (transient), committing the batch once', async () => {
    const {batch, relevant} = await batchWithEvents()
    const failures = [
      new ChainError({method: 'BatchGetTransactions', status: 'NOT_FOUND', attempts: 1, transient: false, details: 'transaction not found'}),
      new ChainError({method: 'BatchGetTransactions', status: 'UNAVAILABLE', attempts: 3, transient: true, details: 'connection reset'}),
    ]
    const reader = countingReader(chain, failures)
    const result = await stages(reader).commit(batch)
    assert.equal(reader.calls, 3)
    assert.equal(result.inserted, 3)
    assert.deepEqual(await storedDigests(world.db), relevant)
    assert.equal(await cursorOf(world.db), batch.at(-1)?.sequenceNumber)
  })

  it('fails at once on an error that is an answer, such as PERMISSION_DENIED', async () => {
    const {batch} = await batchWithEvents()
    const denied = new ChainError({method: 'BatchGetTransactions', status: 'PERMISSION_DENIED', attempts: 1, transient: false, details: 'no'})
    const reader = countingReader(chain, [denied])
    const error = await stages(reader).commit(batch).catch((e: unknown) => e)
    assert.ok(error instanceof TransactionDetailsError)
    assert.equal(reader.calls, 1)
    assert.deepEqual(await storedDigests(world.db), [])
  })

  it('gives the details fetch a time budget: a node that does not answer fails the commit at the deadline', async () => {
    const {batch} = await batchWithEvents()
    // Never answers; gives up only when told to (as the chain layer does with its signal).
    const never = <T>(options?: CallOptions): Promise<T> => {
      silent.calls++
      return new Promise((_, reject) => options?.signal?.addEventListener('abort', () => reject(options.signal?.reason), {once: true}))
    }
    const silent: TransactionDetailsReader & {calls: number} = {
      calls: 0,
      transactionDetails: (_digests, options) => never(options),
      eventContents: (_digests, options) => never(options),
    }
    const started = performance.now()
    const error = await stages(silent).commit(batch).catch((e: unknown) => e)
    const elapsed = performance.now() - started
    assert.ok(error instanceof TransactionDetailsError, String(error))
    assert.match(error.message, /^could not fetch 3 relevant transactions of checkpoints \d+\.\.\d+ in full within 300ms \(1 attempt; no answer\); nothing committed/)
    assert.equal(error.code, 'TRANSACTION_DETAILS_UNAVAILABLE')
    assert.ok(elapsed >= 290 && elapsed < 1_500, `${elapsed} ms`)
    assert.equal(silent.calls, 1)
    assert.deepEqual(await storedDigests(world.db), [])
  })

  it('stops a details fetch and its backoff at once when the poller stops', async () => {
    const {batch} = await batchWithEvents()
    const notFound = new ChainError({method: 'BatchGetTransactions', status: 'NOT_FOUND', attempts: 1, transient: false, details: 'transaction not found'})
    const stop = new AbortController()
    // Stopped as the first attempt's failure comes back, so during its backoff: a stop at a set
    // time came after the second attempt now and then, the backoff's jitter starting at 0.
    const reader = countingReader(chain, Array.from({length: 100}, () => notFound), () => setImmediate(() => stop.abort(new Error('stopping'))))
    const target = new CommitStages({
      ...stagesOptions(reader),
      signal: stop.signal,
      // Long waits between attempts: the stop must cut the backoff sleep short.
      detailsRetry: {deadlineMs: 60_000, baseMs: 20_000, maxMs: 20_000},
    })
    const started = performance.now()
    const committed = await target.commit(batch)
    assert.ok(performance.now() - started < 1_000, 'well before the next attempt or the deadline')
    assert.deepEqual(committed.batches, [], 'the stop, not a failure: the commit stage ends with nothing committed')
    assert.equal(reader.calls, 1)
    assert.deepEqual(await storedDigests(world.db), [])
    assert.equal(await cursorOf(world.db), undefined)
    // What the commit stage was handed: the batch's fetch ended with the stop's reason.
    await assert.rejects(target.prepare(batch), (error: Error) => error.message === 'stopping')
  })

  it('fails at once, as permanent, on a reply the node garbled (DATA_LOSS): asking again gets the same', async () => {
    const {batch} = await batchWithEvents()
    world.sui.faults.reset()
    world.sui.faults.malformedReplies('BatchGetTransactions')
    const error = await stages(chain).commit(batch).catch((e: unknown) => e)
    assert.ok(error instanceof TransactionDetailsError, String(error))
    assert.equal(error.permanent, true)
    assert.equal(error.code, 'CHAIN_REPLY_MALFORMED')
    assert.match(error.message, /^the node's answer for 3 relevant transactions of checkpoints \d+\.\.\d+ is malformed: BatchGetTransactions failed with DATA_LOSS after 1 attempt: .*malformed BatchGetTransactions reply: length-delimited field runs past its message; nothing committed/)
    assert.equal(world.sui.faults.calls('BatchGetTransactions'), 1, 'not retried')
    assert.deepEqual(await storedDigests(world.db), [])
  })

  it('fails at once, as permanent, naming a malformed digest the node put in a checkpoint', async () => {
    const {ledger} = world.sui
    const from = ledger.checkpointHeight + 1n
    ledger.submit({sender: world.alice, digest: 'not-a-digest', moveCalls: [{package: PAY_PACKAGE, module: 'pay', function: 'pay'}]})
    ledger.produceCheckpoint()
    const batch = await collect(chain.checkpoints(from, ledger.checkpointHeight))
    world.sui.faults.reset()
    const error = await stages(chain).commit(batch).catch((e: unknown) => e)
    assert.ok(error instanceof TransactionDetailsError, String(error))
    assert.equal(error.permanent, true)
    assert.match(error.message, /^the node's checkpoint names a relevant transaction of checkpoints \d+\.\.\d+ by a malformed digest \(not a transaction digest: "not-a-digest"\); nothing committed/)
    assert.equal(world.sui.faults.calls('BatchGetTransactions'), 0, 'nothing sent')
    assert.deepEqual(await storedDigests(world.db), [])
  })

  it('refuses details that place a transaction in another checkpoint than its checkpoint read', async () => {
    const {batch} = await batchWithEvents()
    const reader: TransactionDetailsReader = {
      transactionDetails: (digests) => chain.transactionDetails(digests),
      eventContents: async (digests) => (await chain.eventContents(digests)).map((t) => ({...t, checkpoint: t.checkpoint + 1n})),
    }
    const error = await stages(reader).commit(batch).catch((e: unknown) => e)
    assert.ok(error instanceof TransactionDetailsError)
    assert.match(error.message, /places transaction/)
    assert.deepEqual(await storedDigests(world.db), [])
  })

  it("refuses events' contents that do not match the checkpoint read's events: one missing, or another type", async () => {
    const {batch} = await batchWithEvents()
    const altered = (alter: (events: EventContents['events']) => EventContents['events']): TransactionDetailsReader => ({
      transactionDetails: (digests) => chain.transactionDetails(digests),
      eventContents: async (digests) => (await chain.eventContents(digests)).map((t) => (t.events.length > 0 ? {...t, events: alter(t.events)} : t)),
    })
    const cases: Array<[(events: EventContents['events']) => EventContents['events'], RegExp]> = [
      [(events) => events.slice(1), /do not match its checkpoint read: 0 events, the checkpoint read has 1/],
      [(events) => events.map((e) => ({...e, type: `${PAY_PACKAGE}::pay::Other`})), /event 0 is 0x0+ba4::pay::Other, the checkpoint read has 0x0+ba4::pay::(PaymentMade|Refunded)/],
    ]
    for (const [alter, expected] of cases) {
      const error = await stages(altered(alter)).commit(batch).catch((e: unknown) => e)
      assert.ok(error instanceof TransactionDetailsError, String(error))
      assert.match(error.message, expected)
      assert.equal(error.permanent, true)
      assert.deepEqual(await storedDigests(world.db), [])
    }
  })

  it('asks only for the events of summaries that decoded, and for the whole of one that did not', async () => {
    const {batch, relevant, json} = await batchWithEvents()
    // The checkpoint read could not decode a balance change of the transaction that emitted an event.
    const hurt = relevant[0]!
    const read = batch.map((c) => ({...c, transactions: c.transactions.map((t) => (t.digest === hurt ? {...t, balanceChanges: [], parseError: 'balance change 0: amount is not a signed integer'} : t))}))
    const asked: Record<string, string[]> = {whole: [], events: []}
    const reader: TransactionDetailsReader = {
      transactionDetails: (digests) => (asked.whole!.push(...digests), chain.transactionDetails(digests)),
      eventContents: (digests) => (asked.events!.push(...digests), chain.eventContents(digests)),
    }
    await stages(reader).commit(read)
    assert.deepEqual(asked, {whole: [hurt], events: relevant.slice(1)})
    const rows: Array<{tx_digest: string; events: Array<{json: unknown}>; balance_changes: unknown[]; parse_error: string | null}> = await world.db('raw_blockchain_events').select('tx_digest', 'events', 'balance_changes', 'parse_error')
    assert.deepEqual(rows.map((r) => r.tx_digest).sort(), [...relevant].sort())
    for (const row of rows) assert.deepEqual(row.events.map((e) => e.json), json.get(row.tx_digest), `event JSON of ${row.tx_digest}`)
    // Read whole, it is stored as the node describes it (its balance changes decode there).
    const whole = rows.find((r) => r.tx_digest === hurt)!
    assert.equal(whole.parse_error, null)
    assert.ok(whole.balance_changes.length > 0)
  })

  describe('stores that overlap', () => {
    /** The batch as two prepared batches, the cursor right before them, and another session holding the cursor row. */
    async function twoBatchesBehindALock() {
      const {batch, relevant} = await batchWithEvents()
      const start = batch[0]!.sequenceNumber - 1n
      await setCursor(world.db, CURSOR, start)
      const c = stages(chain, start)
      const a = await c.prepare(batch.slice(0, 2))
      const b = await c.prepare(batch.slice(2))
      const other = createDatabase({url: process.env.DATABASE_URL as string})
      const holder = await other.transaction()
      await holder('ingest_cursors').where({name: CURSOR}).forUpdate().select('checkpoint')
      return {c, a, b, relevant, start, other, holder}
    }

    /** Sessions of this database waiting on a lock, by what they wait for. */
    async function waiting(): Promise<string[]> {
      const {rows} = await world.db.raw<{rows: {wait_event: string}[]}>(
        `SELECT wait_event FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' ORDER BY wait_event`,
      )
      return rows.map((r) => r.wait_event)
    }

    it('commit in order: the second, its rows inserted, waits for the first, which waits on the cursor row', async () => {
      const {c, a, b, relevant, other, holder} = await twoBatchesBehindALock()
      try {
        const storing = c.storeAll([a, b])
        // The first store waits for the row (its transaction id), the second for the first (its order lock).
        await eventually(async () => (await waiting()).join() === 'advisory,transactionid', 10_000, 'one store waiting on the row, the other on the first')
        assert.deepEqual(await storedDigests(world.db), [])
        assert.equal(await cursorOf(world.db), a.first - 1n)
        await holder.rollback()
        const {batches} = await storing
        assert.deepEqual(batches.map((batch) => [batch.first, batch.last]), [[a.first, a.last], [a.last + 1n, b.last]], 'committed in order')
        assert.equal(await cursorOf(world.db), b.last)
        assert.deepEqual((await storedDigests(world.db)).sort(), [...relevant].sort())
        assert.equal(c.position, b.last)
      } finally {
        if (!holder.isCompleted()) await holder.rollback()
        await other.destroy()
      }
    })

    it('roll back together: the second, its rows inserted, finds the cursor short when the first fails', async () => {
      const {c, a, b, other, holder} = await twoBatchesBehindALock()
      try {
        const storing = c.storeAll([a, b])
        storing.catch(() => undefined) // awaited below
        await eventually(async () => (await waiting()).join() === 'advisory,transactionid', 10_000, 'one store waiting on the row, the other on the first')
        // Another writer moves the cursor: the first store's compare-and-set fails.
        await holder('ingest_cursors').where({name: CURSOR}).update({checkpoint: '999999'})
        await holder.commit()
        await assert.rejects(storing, (error: unknown) => error instanceof CursorMovedError)
        assert.equal(c.position, a.first - 1n, 'neither committed')
        assert.deepEqual(await storedDigests(world.db), [], 'neither batch stored anything')
        assert.equal(await cursorOf(world.db), 999_999n)
      } finally {
        if (!holder.isCompleted()) await holder.rollback()
        await other.destroy()
      }
    })
  })
})

/** The real reader, counting calls and failing the first ones with the given errors. */
function countingReader(chain: GrpcChainReader, failures: Error[] = [], onCall?: () => void): TransactionDetailsReader & {calls: number} {
  const pending = [...failures]
  const counted = async <T>(call: () => Promise<T>): Promise<T> => {
    reader.calls++
    onCall?.()
    const failure = pending.shift()
    if (failure) throw failure
    return call()
  }
  const reader = {
    calls: 0,
    transactionDetails: (digests: readonly string[]): Promise<TransactionDetails[]> => counted(() => chain.transactionDetails(digests)),
    eventContents: (digests: readonly string[]): Promise<EventContents[]> => counted(() => chain.eventContents(digests)),
  }
  return reader
}
