import assert from 'node:assert/strict'
import {type SuiGrpcClient} from '@mysten/sui/grpc'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {clientFor, statusOf} from './client.ts'
import {jsonValue} from '../../sui-server/proto-messages.ts'
import {MAX_BATCH_GET_TRANSACTIONS} from '../../sui-server/services/ledger-service.ts'

const PKG = '0x' + 'ab'.repeat(32)

describe('sui test server: LedgerService against the real client', () => {
  let sui: SuiTestServer
  let client: SuiGrpcClient

  beforeEach(async () => {
    sui = await startSuiServer({chain: 'localnet', chainId: 'test-chain'})
    client = clientFor(sui.port)
  })
  afterEach(() => sui.close())

  it('reports service info that follows the ledger', async () => {
    sui.ledger.produceCheckpoint()
    const {response} = await client.ledgerService.getServiceInfo({})
    assert.equal(response.chainId, 'test-chain')
    assert.equal(response.chain, 'localnet')
    assert.equal(response.epoch, 0n)
    assert.equal(response.checkpointHeight, 1n)
    assert.equal(response.lowestAvailableCheckpoint, 0n)
    assert.equal(response.server, 'confio-sui-test-server')
    assert.ok(response.timestamp && response.timestamp.seconds > 1_700_000_000n)
    assert.equal((await client.core.getChainIdentifier()).chainIdentifier, 'test-chain')
  })

  it('fills only the fields the read mask asks for', async () => {
    const alice = sui.ledger.createAddress()
    sui.ledger.mint(alice, SUI_COIN_TYPE, 10_000_000_000n)
    const call = sui.ledger.submit({sender: alice, moveCalls: [{package: PKG, module: 'pay', function: 'pay'}], events: [{type: `${PKG}::pay::Paid`, json: {amount: '5'}}]})
    const seq = sui.ledger.produceCheckpoint()

    const narrow = await client.ledgerService.getCheckpoint({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: seq}, readMask: {paths: ['sequence_number', 'transactions.digest']}})
    const cp = narrow.response.checkpoint
    assert.equal(cp?.sequenceNumber, seq)
    assert.equal(cp?.digest, undefined)
    assert.equal(cp?.summary, undefined)
    assert.deepEqual(cp?.transactions.map((t) => t.digest), sui.ledger.checkpoint(seq)?.transactions.map((t) => t.digest))
    assert.equal(cp?.transactions[1]?.transaction, undefined)
    assert.equal(cp?.transactions[1]?.effects, undefined)
    assert.deepEqual(cp?.transactions[1]?.balanceChanges, [])

    const wide = await client.ledgerService.getCheckpoint({
      checkpointId: {oneofKind: undefined},
      readMask: {paths: ['sequence_number', 'digest', 'summary.timestamp', 'transactions.digest', 'transactions.transaction.sender',
        'transactions.transaction.kind.programmable_transaction.commands.move_call.package', 'transactions.events',
        'transactions.balance_changes', 'transactions.effects.status', 'transactions.effects.gas_used']},
    })
    const t = wide.response.checkpoint?.transactions.find((x) => x.digest === call.digest)
    assert.equal(wide.response.checkpoint?.digest, sui.ledger.checkpoint(seq)?.digest)
    assert.ok(wide.response.checkpoint?.summary?.timestamp)
    assert.equal(wide.response.checkpoint?.summary?.sequenceNumber, undefined)
    assert.equal(t?.transaction?.sender, alice)
    assert.equal(t?.transaction?.gasPayment, undefined)
    const command = t?.transaction?.kind?.data.oneofKind === 'programmableTransaction' ? t.transaction.kind.data.programmableTransaction.commands[0]?.command : undefined
    assert.equal(command?.oneofKind === 'moveCall' ? command.moveCall.package : undefined, PKG)
    assert.equal(command?.oneofKind === 'moveCall' ? command.moveCall.module : 'absent', undefined)
    assert.equal(t?.events?.events[0]?.eventType, `${PKG}::pay::Paid`)
    assert.equal(t?.effects?.status?.success, true)
    assert.equal(t?.effects?.gasUsed?.computationCost, 750_000n)
    assert.equal(t?.effects?.changedObjects.length, 0)
    const gas = (t?.effects?.gasUsed?.computationCost ?? 0n) + (t?.effects?.gasUsed?.storageCost ?? 0n) - (t?.effects?.gasUsed?.storageRebate ?? 0n)
    assert.deepEqual(t?.balanceChanges, [{address: alice, coinType: SUI_COIN_TYPE, amount: (-gas).toString()}])
  })

  it('answers INVALID_ARGUMENT for a read mask path that names no field', async () => {
    const status = await statusOf(client.ledgerService.getCheckpoint({checkpointId: {oneofKind: undefined}, readMask: {paths: ['transactions.no_such_field']}}))
    assert.equal(status, 'INVALID_ARGUMENT')
  })

  it('gives a failed transaction the shape the SDK parses: status with error, gas paid, nothing else moved', async () => {
    const [alice, bob] = [sui.ledger.createAddress(), sui.ledger.createAddress()]
    sui.ledger.mint(alice, SUI_COIN_TYPE, 1_000_000_000n)
    const failed = sui.ledger.transfer({from: alice, to: bob, coinType: SUI_COIN_TYPE, amount: 5n, fail: true})
    sui.ledger.produceCheckpoint()
    const result = await client.core.getTransaction({digest: failed.digest, include: {effects: true, balanceChanges: true, transaction: true, events: true}})
    assert.equal(result.$kind, 'FailedTransaction')
    const tx = result.FailedTransaction
    assert.equal(tx?.status.success, false)
    assert.match(tx?.status.error?.message ?? '', /Insufficient coin balance/)
    assert.equal(tx?.balanceChanges?.length, 1)
    assert.equal(tx?.balanceChanges?.[0]?.address, alice)
    assert.equal(BigInt(tx?.balanceChanges?.[0]?.amount ?? 0), -759_880n)
    assert.equal((await client.core.getBalance({owner: bob})).balance.balance, '0')
    assert.equal((await client.core.getBalance({owner: alice})).balance.balance, (1_000_000_000n - 759_880n).toString())
  })

  it('answers BatchGetTransactions as a fullnode: one result per digest in order, errors in place, masked fields', async () => {
    const alice = sui.ledger.createAddress()
    sui.ledger.mint(alice, SUI_COIN_TYPE, 10_000_000_000n)
    const first = sui.ledger.submit({sender: alice, moveCalls: [{package: PKG, module: 'pay', function: 'pay'}], events: [{type: `${PKG}::pay::Paid`, json: {amount: '5', to: [alice]}}]})
    const second = sui.ledger.transfer({from: alice, to: sui.ledger.createAddress(), coinType: SUI_COIN_TYPE, amount: 7n})
    const seq = sui.ledger.produceCheckpoint()
    const pending = sui.ledger.submit({sender: alice, moveCalls: [{package: PKG, module: 'pay', function: 'pay'}]})
    const unknown = 'DAsQ8s1a8GyYRbdQeZhHpMeYYAHvyhEHuRMYpgmBVhWm'
    const paths = ['digest', 'transaction.sender', 'events.events.event_type', 'events.events.json', 'effects.status', 'checkpoint', 'timestamp', 'transaction_index']
    const {response} = await client.ledgerService.batchGetTransactions({digests: [second.digest, unknown, 'nope', first.digest, pending.digest], readMask: {paths}})
    const [a, b, c, d, e] = response.transactions.map((t) => t.result)
    assert.equal(response.transactions.length, 5)
    assert.ok(a?.oneofKind === 'transaction' && d?.oneofKind === 'transaction' && e?.oneofKind === 'transaction')
    assert.deepEqual(b?.oneofKind === 'error' ? [b.error.code, b.error.message] : b, [5, `Transaction ${unknown} not found`]) // NOT_FOUND
    assert.equal(c?.oneofKind === 'error' ? c.error.code : c, 3) // INVALID_ARGUMENT: not a digest
    const placed = sui.ledger.checkpoint(seq)
    assert.equal(a.transaction.digest, second.digest)
    assert.equal(a.transaction.checkpoint, seq)
    assert.equal(a.transaction.transactionIndex, BigInt(placed?.transactions.findIndex((t) => t.digest === second.digest) ?? -1))
    assert.equal(a.transaction.timestamp?.seconds, (placed?.timestampMs ?? 0n) / 1000n)
    assert.equal(d.transaction.transaction?.sender, alice)
    assert.equal(d.transaction.transaction?.gasPayment, undefined, 'not asked for')
    assert.equal(d.transaction.effects?.gasUsed, undefined, 'not asked for')
    assert.equal(d.transaction.effects?.status?.success, true)
    const event = d.transaction.events?.events[0]
    assert.equal(event?.eventType, `${PKG}::pay::Paid`)
    assert.equal(event?.sender, undefined, 'not asked for')
    assert.deepEqual(event?.json, jsonValue({amount: '5', to: [alice]}))
    // Executed, not checkpointed yet: a fullnode answers it, without a place in the chain.
    assert.equal(e.transaction.digest, pending.digest)
    assert.equal(e.transaction.checkpoint, undefined)
    assert.equal(e.transaction.transactionIndex, undefined)

    const types = await client.ledgerService.batchGetTransactions({digests: [first.digest], readMask: {paths: ['events.events.event_type']}})
    const typesOnly = types.response.transactions[0]?.result
    assert.ok(typesOnly?.oneofKind === 'transaction')
    assert.equal(typesOnly.transaction.events?.events[0]?.json, undefined, 'JSON only when asked for')
    assert.equal(typesOnly.transaction.digest, undefined)

    const byDefault = await client.ledgerService.batchGetTransactions({digests: [first.digest]})
    const digestOnly = byDefault.response.transactions[0]?.result
    assert.deepEqual(digestOnly?.oneofKind === 'transaction' ? [digestOnly.transaction.digest, digestOnly.transaction.events] : digestOnly, [first.digest, undefined])
  })

  it('serves BatchGetTransactions the same from transactions encoded ahead (warmTransactions), for that mask only', async () => {
    const alice = sui.ledger.createAddress()
    sui.ledger.mint(alice, SUI_COIN_TYPE, 10_000_000_000n)
    const paid = sui.ledger.submit({sender: alice, moveCalls: [{package: PKG, module: 'pay', function: 'pay'}], events: [{type: `${PKG}::pay::Paid`, json: {amount: '9'}}]})
    sui.ledger.produceCheckpoint()
    const pending = sui.ledger.submit({sender: alice, moveCalls: [{package: PKG, module: 'pay', function: 'pay'}]})
    const paths = ['digest', 'transaction.sender', 'events.events.json', 'checkpoint', 'transaction_index']
    const ask = async (readPaths: string[]) => (await client.ledgerService.batchGetTransactions({digests: [paid.digest, 'nope', pending.digest], readMask: {paths: readPaths}})).response
    const before = await ask(paths)
    // A pending transaction is not encoded ahead: its reply changes once it is checkpointed.
    assert.equal(sui.warmTransactions([paid.digest, pending.digest], paths), 1)
    assert.deepEqual(await ask(paths), before)
    const other = await ask(['digest'])
    const first = other.transactions[0]?.result
    assert.deepEqual(first?.oneofKind === 'transaction' ? [first.transaction.digest, first.transaction.events] : first, [paid.digest, undefined])
  })

  it(`refuses a BatchGetTransactions over ${MAX_BATCH_GET_TRANSACTIONS} digests, or with a bad read mask, as a whole`, async () => {
    const alice = sui.ledger.createAddress()
    const minted = sui.ledger.mint(alice, SUI_COIN_TYPE, 1n)
    sui.ledger.produceCheckpoint()
    const atLimit = await client.ledgerService.batchGetTransactions({digests: Array(MAX_BATCH_GET_TRANSACTIONS).fill(minted.digest)})
    assert.equal(atLimit.response.transactions.length, MAX_BATCH_GET_TRANSACTIONS)
    assert.equal(await statusOf(client.ledgerService.batchGetTransactions({digests: Array(MAX_BATCH_GET_TRANSACTIONS + 1).fill(minted.digest)})), 'INVALID_ARGUMENT')
    assert.equal(await statusOf(client.ledgerService.batchGetTransactions({digests: [minted.digest], readMask: {paths: ['events.events.no_such_field']}})), 'INVALID_ARGUMENT')
    assert.equal(await statusOf(client.ledgerService.batchGetTransactions({digests: [], readMask: {paths: ['no_such_field']}})), 'INVALID_ARGUMENT')
  })

  it('answers NOT_FOUND for pruned checkpoints and moves lowest_available_checkpoint', async () => {
    for (let i = 0; i < 5; i++) sui.ledger.produceCheckpoint()
    sui.ledger.prune(3n)
    const pruned = await statusOf(client.ledgerService.getCheckpoint({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: 2n}}))
    assert.equal(pruned, 'NOT_FOUND')
    const kept = await client.ledgerService.getCheckpoint({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: 3n}})
    assert.equal(kept.response.checkpoint?.sequenceNumber, 3n)
    assert.equal((await client.ledgerService.getServiceInfo({})).response.lowestAvailableCheckpoint, 3n)
    assert.equal(await statusOf(client.ledgerService.getCheckpoint({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: 99n}})), 'NOT_FOUND')
  })

  it('streams a checkpoint range with ListCheckpoints, ending with an end reason', async () => {
    for (let i = 0; i < 6; i++) sui.ledger.produceCheckpoint()
    const call = client.ledgerService.listCheckpoints({startCheckpoint: 2n, endCheckpoint: 5n, readMask: {paths: ['sequence_number']}})
    const frames = []
    for await (const frame of call.responses) frames.push(frame)
    assert.deepEqual(frames.filter((f) => f.checkpoint).map((f) => f.checkpoint?.sequenceNumber), [2n, 3n, 4n])
    assert.equal(frames.at(-1)?.end?.reason, 3) // QUERY_END_REASON_CHECKPOINT_BOUND
    assert.equal(frames.at(-1)?.checkpoint, undefined)

    const limited = client.ledgerService.listCheckpoints({startCheckpoint: 0n, options: {limit: 2}})
    const limitedFrames = []
    for await (const frame of limited.responses) limitedFrames.push(frame)
    assert.equal(limitedFrames.length, 2)
    assert.equal(limitedFrames[1]?.end?.reason, 1) // QUERY_END_REASON_ITEM_LIMIT, on the last item
    assert.equal(limitedFrames[1]?.checkpoint?.sequenceNumber, 1n)
  })

  it('answers UNIMPLEMENTED for ListCheckpoints when started without it, and for methods not built', async () => {
    const bare = await startSuiServer({listCheckpoints: false})
    try {
      const call = clientFor(bare.port).ledgerService.listCheckpoints({})
      assert.equal(await statusOf((async () => { for await (const _ of call.responses) void _ })()), 'UNIMPLEMENTED')
    } finally {
      await bare.close()
    }
    assert.equal(await statusOf(client.movePackageService.getPackage({packageId: PKG})), 'UNIMPLEMENTED')
  })
})
