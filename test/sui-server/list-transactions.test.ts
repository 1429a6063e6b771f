// LedgerService.ListTransactions on the local server, through the real SDK client: the filter,
// the bounds, the item limit and `after`, the scan limit and its resume, the watermarks, and the
// ways it refuses (pruned, switched off, what it does not model).
import assert from 'node:assert/strict'
import {GrpcTypes, type SuiGrpcClient} from '@mysten/sui/grpc'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {PROGRESS_EVERY} from '../../sui-server/services/list-transactions.ts'
import {affectedAddresses} from '../../sui-server/transaction-filter.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {clientFor, statusOf} from './client.ts'

const SUI = 1_000_000_000n
const {ITEM_LIMIT, SCAN_LIMIT, CHECKPOINT_BOUND, CURSOR_BOUND, LEDGER_TIP} = GrpcTypes.QueryEndReason
type Request = GrpcTypes.ListTransactionsRequest
type Frame = GrpcTypes.ListTransactionsResponse

function affected(address: string, negated = false): GrpcTypes.TransactionLiteral {
  return {negated, predicate: {oneofKind: 'affectedAddress', affectedAddress: {address}}}
}
function sentBy(address: string, negated = false): GrpcTypes.TransactionLiteral {
  return {negated, predicate: {oneofKind: 'sender', sender: {address}}}
}
/** One term per entry; each entry's literals AND-ed. */
function filter(...terms: GrpcTypes.TransactionLiteral[][]): GrpcTypes.TransactionFilter {
  return {terms: terms.map((literals) => ({literals}))}
}

async function frames(client: SuiGrpcClient, request: Partial<Request>): Promise<Frame[]> {
  const out: Frame[] = []
  for await (const frame of client.ledgerService.listTransactions(request as Request).responses) out.push(frame)
  return out
}

const digests = (fs: Frame[]): string[] => fs.flatMap((f) => (f.transaction?.digest ? [f.transaction.digest] : []))

/** Every stream's contract: a watermark on each frame, `end` once and last, nothing regressing. */
function assertWellFormed(fs: Frame[]): void {
  assert.ok(fs.length > 0)
  fs.forEach((f, i) => {
    assert.ok(f.watermark?.cursor?.length, `frame ${i} has a watermark cursor`)
    assert.equal(f.end !== undefined, i === fs.length - 1, `end only on the last frame (${i})`)
  })
  const last = fs.at(-1) as Frame
  if (last.end?.reason !== ITEM_LIMIT) assert.equal(last.transaction, undefined)
  assertNeverRegresses(fs)
}

/**
 * Cursors never go back, nor does Watermark.checkpoint where it is set. (A stream resumed from a
 * cursor inside a checkpoint leaves it unset until that checkpoint is covered, so across streams
 * only the values set are compared; within one stream, once set it stays set.)
 */
function assertNeverRegresses(fs: Frame[], oneStream = true): void {
  let covered: bigint | undefined
  for (let i = 1; i < fs.length; i++) {
    const [before, after] = [fs[i - 1]?.watermark, fs[i]?.watermark]
    assert.ok(Buffer.compare(Buffer.from(before?.cursor ?? []), Buffer.from(after?.cursor ?? [])) <= 0, `cursor regressed at frame ${i}`)
    if (oneStream && before?.checkpoint !== undefined) assert.notEqual(after?.checkpoint, undefined, `checkpoint unset again at frame ${i}`)
    if (after?.checkpoint === undefined) continue
    assert.ok(covered === undefined || after.checkpoint >= covered, `checkpoint regressed at frame ${i}`)
    covered = after.checkpoint
  }
}

describe('sui test server: ListTransactions against the real client', () => {
  let sui: SuiTestServer
  let client: SuiGrpcClient

  beforeEach(async () => {
    sui = await startSuiServer({chain: 'localnet'})
    client = clientFor(sui.port)
  })
  afterEach(() => sui.close())

  it('filters by affected address (receiver, sender, sponsor) and by sender, OR-ing terms and AND-ing literals', async () => {
    const {ledger} = sui
    const [alice, bob, carol, dave, eve] = ['alice', 'bob', 'carol', 'dave', 'eve'].map((label) => ledger.createAddress(label)) as [string, string, string, string, string]
    const fundAlice = ledger.mint(alice, SUI_COIN_TYPE, 10n * SUI)
    const fundDave = ledger.mint(dave, SUI_COIN_TYPE, 10n * SUI)
    const fundEve = ledger.mint(eve, SUI_COIN_TYPE, 10n * SUI)
    ledger.produceCheckpoint()
    const pay = ledger.transfer({from: alice, to: bob, coinType: SUI_COIN_TYPE, amount: SUI})
    const sponsored = ledger.submit({sender: carol, sponsor: dave})
    const unrelated = ledger.transfer({from: eve, to: eve, coinType: SUI_COIN_TYPE, amount: 1n})
    ledger.produceCheckpoint()
    const toBob = ledger.transfer({from: eve, to: bob, coinType: SUI_COIN_TYPE, amount: 2n, toAddressBalance: true})
    ledger.produceCheckpoint()

    assert.deepEqual(digests(await frames(client, {filter: filter([affected(bob)])})), [pay.digest, toBob.digest])
    assert.deepEqual(digests(await frames(client, {filter: filter([affected(alice)])})), [fundAlice.digest, pay.digest])
    assert.deepEqual(digests(await frames(client, {filter: filter([affected(carol)])})), [sponsored.digest])
    assert.deepEqual(digests(await frames(client, {filter: filter([affected(dave)])})), [fundDave.digest, sponsored.digest])
    assert.deepEqual(digests(await frames(client, {filter: filter([sentBy(eve)])})), [unrelated.digest, toBob.digest])
    // OR of terms, in chain order and each once; AND and negation within a term.
    assert.deepEqual(digests(await frames(client, {filter: filter([affected(bob)], [affected(carol)], [sentBy(alice)])})), [pay.digest, sponsored.digest, toBob.digest])
    assert.deepEqual(digests(await frames(client, {filter: filter([affected(eve), sentBy(eve, true)])})), [fundEve.digest])
    assert.deepEqual(digests(await frames(client, {filter: filter([affected(bob, true), sentBy(eve)])})), [unrelated.digest])
    // Addresses in any accepted form.
    assert.deepEqual(digests(await frames(client, {filter: filter([affected(bob.toUpperCase().replace('0X', '0x'))])})), [pay.digest, toBob.digest])
  })

  it('fills the read mask, with checkpoint, timestamp and transaction_index, as GetTransaction does', async () => {
    const {ledger} = sui
    const alice = ledger.createAddress()
    ledger.submitPrologue()
    const mint = ledger.mint(alice, SUI_COIN_TYPE, SUI)
    const seq = ledger.produceCheckpoint()
    const cp = ledger.checkpoint(seq)
    const [bare] = (await frames(client, {filter: filter([affected(alice)])})).filter((f) => f.transaction)
    assert.deepEqual(bare?.transaction, GrpcTypes.ExecutedTransaction.create({digest: mint.digest}))

    const paths = ['digest', 'checkpoint', 'timestamp', 'transaction_index', 'transaction.sender', 'balance_changes', 'effects.status']
    const [full] = (await frames(client, {filter: filter([affected(alice)]), readMask: {paths}})).filter((f) => f.transaction)
    const t = full?.transaction
    assert.equal(t?.checkpoint, seq)
    assert.equal(t?.transactionIndex, 1n)
    assert.equal(t?.timestamp?.seconds, (cp?.timestampMs ?? 0n) / 1000n)
    assert.equal(t?.transaction?.sender, ledger.faucet)
    assert.equal(t?.transaction?.gasPayment, undefined)
    assert.equal(t?.effects?.status?.success, true)
    assert.ok(t?.balanceChanges.some((c) => c.address === alice && c.amount === SUI.toString()))
    assert.equal(await statusOf(frames(client, {readMask: {paths: ['no_such_field']}})), 'INVALID_ARGUMENT')
  })

  it('reads [start, end): CHECKPOINT_BOUND with an end, LEDGER_TIP without, and defaults to everything', async () => {
    const {ledger} = sui
    const alice = ledger.createAddress()
    const bySeq = new Map<bigint, string>()
    for (let i = 0; i < 6; i++) {
      const t = ledger.mint(alice, SUI_COIN_TYPE, SUI)
      bySeq.set(ledger.produceCheckpoint(), t.digest)
    }
    const range = await frames(client, {filter: filter([affected(alice)]), startCheckpoint: 2n, endCheckpoint: 5n})
    assertWellFormed(range)
    assert.deepEqual(digests(range), [2n, 3n, 4n].map((s) => bySeq.get(s)))
    assert.equal(range.at(-1)?.end?.reason, CHECKPOINT_BOUND)
    assert.equal(range.at(-1)?.watermark?.checkpoint, 4n)

    const toTip = await frames(client, {filter: filter([affected(alice)]), startCheckpoint: 5n, endCheckpoint: 100n})
    assert.deepEqual(digests(toTip), [5n, 6n].map((s) => bySeq.get(s)))
    assert.equal(toTip.at(-1)?.end?.reason, LEDGER_TIP)
    assert.equal(toTip.at(-1)?.watermark?.checkpoint, 6n)

    const all = await frames(client, {})
    assertWellFormed(all)
    assert.deepEqual(digests(all), [...bySeq.values()])
    assert.equal(all.at(-1)?.end?.reason, LEDGER_TIP)

    const empty = await frames(client, {startCheckpoint: 3n, endCheckpoint: 3n})
    assert.deepEqual(empty.map((f) => [f.transaction, f.end?.reason, f.watermark?.checkpoint]), [[undefined, CHECKPOINT_BOUND, undefined]])
  })

  it('pages with the item limit and `after`, ITEM_LIMIT on the last item, reaching what one read gets', async () => {
    const {ledger} = sui
    const [alice, bob] = [ledger.createAddress(), ledger.createAddress()]
    ledger.mint(alice, SUI_COIN_TYPE, 100n * SUI)
    for (let c = 0; c < 4; c++) {
      for (let i = 0; i < 3; i++) ledger.transfer({from: alice, to: bob, coinType: SUI_COIN_TYPE, amount: SUI})
      ledger.produceCheckpoint()
    }
    const whole = await frames(client, {filter: filter([affected(bob)])})
    assert.equal(digests(whole).length, 12)

    const paged: string[] = []
    let after: Uint8Array | undefined
    for (let page = 0; ; page++) {
      assert.ok(page < 10)
      const fs = await frames(client, {filter: filter([affected(bob)]), options: {limit: 5, ...(after ? {after} : {})}})
      assertWellFormed(fs)
      paged.push(...digests(fs))
      const last = fs.at(-1) as Frame
      after = last.watermark?.cursor
      if (last.end?.reason !== ITEM_LIMIT) break
      assert.ok(last.transaction, 'ITEM_LIMIT rides on the last item')
      assert.equal(digests(fs).length, 5)
    }
    assert.deepEqual(paged, digests(whole))

    // `before` is an exclusive bound too: the items before the sixth.
    const sixth = whole.filter((f) => f.transaction)[5]?.watermark?.cursor
    const head = await frames(client, {filter: filter([affected(bob)]), options: {before: sixth}})
    assert.deepEqual(digests(head), digests(whole).slice(0, 5))
    assert.equal(head.at(-1)?.end?.reason, CURSOR_BOUND)
    assert.deepEqual(head.at(-1)?.watermark?.cursor, sixth)
    // A limit above the maximum is coerced, not refused.
    assert.equal(digests(await frames(client, {options: {limit: 1_000_000}})).length, 13)
    assert.equal(await statusOf(frames(client, {options: {after: new Uint8Array([1, 2, 3])}})), 'INVALID_ARGUMENT')
  })

  it('answers UNIMPLEMENTED for predicates and orderings it does not model, INVALID_ARGUMENT for bad filters', async () => {
    const moveCall: GrpcTypes.TransactionLiteral = {negated: false, predicate: {oneofKind: 'moveCall', moveCall: {function: '0x2::coin'}}}
    assert.equal(await statusOf(frames(client, {filter: filter([moveCall])})), 'UNIMPLEMENTED')
    assert.equal(await statusOf(frames(client, {options: {ordering: GrpcTypes.Ordering.DESCENDING}})), 'UNIMPLEMENTED')
    assert.equal(await statusOf(frames(client, {filter: {terms: []}})), 'INVALID_ARGUMENT')
    assert.equal(await statusOf(frames(client, {filter: filter([])})), 'INVALID_ARGUMENT')
    assert.equal(await statusOf(frames(client, {filter: filter([affected('bob')])})), 'INVALID_ARGUMENT')
  })

  it('answers NOT_FOUND for a start below the lowest available checkpoint, as GetCheckpoint does', async () => {
    const alice = sui.ledger.createAddress()
    for (let i = 0; i < 5; i++) {
      sui.ledger.mint(alice, SUI_COIN_TYPE, SUI)
      sui.ledger.produceCheckpoint()
    }
    sui.ledger.prune(3n)
    assert.equal(await statusOf(frames(client, {filter: filter([affected(alice)]), startCheckpoint: 2n})), 'NOT_FOUND')
    assert.equal(await statusOf(client.ledgerService.getCheckpoint({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: 2n}}).response), 'NOT_FOUND')
    const kept = await frames(client, {filter: filter([affected(alice)])})
    assert.equal(digests(kept).length, 3) // checkpoints 3, 4 and 5: the default start is the lowest available
    assert.equal(digests(await frames(client, {filter: filter([affected(alice)]), startCheckpoint: 3n})).length, 3)
  })

  it('answers UNIMPLEMENTED when started without it, as an older node does', async () => {
    const old = await startSuiServer({listTransactions: false})
    try {
      assert.equal(await statusOf(frames(clientFor(old.port), {})), 'UNIMPLEMENTED')
      assert.equal((await clientFor(old.port).ledgerService.getServiceInfo({})).response.checkpointHeight, 0n) // the rest still answers
    } finally {
      await old.close()
    }
  })
})

describe('sui test server: ListTransactions scan limit', () => {
  const SCAN_LIMIT_CHECKPOINTS = 7
  let sui: SuiTestServer
  let client: SuiGrpcClient

  before(async () => {
    sui = await startSuiServer({chain: 'localnet', listTransactionsScanLimit: SCAN_LIMIT_CHECKPOINTS})
    client = clientFor(sui.port)
  })
  after(() => sui.close())

  it('ends a filtered scan with SCAN_LIMIT; resuming from its watermark reaches the same set as the whole', async () => {
    const {ledger} = sui
    const watched = ledger.createAddress('watched')
    const summary = ledger.generateTraffic({checkpoints: 30, seed: 5, relevantShare: 0.01, relevantAddresses: [watched]})
    const expected: string[] = []
    for (let seq = summary.firstCheckpoint; seq <= summary.lastCheckpoint; seq++) {
      for (const t of ledger.checkpoint(seq)?.transactions ?? []) if (affectedAddresses(t).has(watched)) expected.push(t.digest)
    }
    assert.ok(expected.length >= 3, `${expected.length} transactions affect the watched address`)

    const request = {filter: filter([affected(watched)]), startCheckpoint: summary.firstCheckpoint, endCheckpoint: summary.lastCheckpoint + 1n}
    const seen: string[] = []
    const all: Frame[] = []
    const reasons: number[] = []
    let after: Uint8Array | undefined
    for (let requests = 0; ; requests++) {
      assert.ok(requests < 20)
      const fs = await frames(client, {...request, options: {limit: 1000, ...(after ? {after} : {})}})
      assertWellFormed(fs)
      all.push(...fs)
      seen.push(...digests(fs))
      const last = fs.at(-1) as Frame
      reasons.push(last.end?.reason ?? -1)
      if (last.end?.reason === SCAN_LIMIT) {
        assert.equal(last.transaction, undefined)
        assert.ok(last.watermark?.checkpoint !== undefined)
      }
      after = last.watermark?.cursor
      if (last.end?.reason !== SCAN_LIMIT) break
    }
    // 30 checkpoints, 7 a request: four SCAN_LIMIT ends, then the range's own.
    assert.deepEqual(reasons, [SCAN_LIMIT, SCAN_LIMIT, SCAN_LIMIT, SCAN_LIMIT, CHECKPOINT_BOUND])
    assert.deepEqual(seen, expected)
    assertNeverRegresses(all, false)
    assert.equal(all.at(-1)?.watermark?.checkpoint, summary.lastCheckpoint)

    // An unfiltered read has no scan limit: the item limit bounds it.
    const unfiltered = await frames(client, {startCheckpoint: summary.firstCheckpoint, endCheckpoint: summary.lastCheckpoint + 1n, options: {limit: 1000}})
    assert.equal(unfiltered.at(-1)?.end?.reason, ITEM_LIMIT)
  })

  it(`sends a progress frame after every ${PROGRESS_EVERY} checkpoints scanned without a match`, async () => {
    const local = await startSuiServer({listTransactionsScanLimit: 1000})
    try {
      for (let i = 0; i < 250; i++) local.ledger.produceCheckpoint()
      const nobody = local.ledger.createAddress('nobody')
      const fs = await frames(clientFor(local.port), {filter: filter([affected(nobody)]), startCheckpoint: 1n})
      assertWellFormed(fs)
      assert.deepEqual(fs.map((f) => [f.transaction, f.watermark?.checkpoint, f.end?.reason]), [
        [undefined, 100n, undefined],
        [undefined, 200n, undefined],
        [undefined, 250n, LEDGER_TIP],
      ])
    } finally {
      await local.close()
    }
  })
})
