import assert from 'node:assert/strict'
import {Ed25519Keypair} from '@mysten/sui/keypairs/ed25519'
import {Secp256k1Keypair} from '@mysten/sui/keypairs/secp256k1'
import {Secp256r1Keypair} from '@mysten/sui/keypairs/secp256r1'
import type {SuiGrpcClient} from '@mysten/sui/grpc'
import {Transaction, TransactionDataBuilder, coinWithBalance} from '@mysten/sui/transactions'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {SUI_COIN_TYPE, normalizeCoinType} from '../../src/sui/identifiers.ts'
import {clientFor, statusOf} from './client.ts'

const USDC = normalizeCoinType(`0x${'ab'.repeat(32)}::usdc::USDC`)
const SUI = SUI_COIN_TYPE
const EXECUTE_INCLUDE = {balanceChanges: true, effects: true, objectTypes: true} as const

describe('sui test server: TransactionExecutionService against the real client', () => {
  let sui: SuiTestServer
  let client: SuiGrpcClient

  beforeEach(async () => {
    sui = await startSuiServer()
    client = clientFor(sui.port)
  })
  afterEach(() => sui.close())

  /** A keypair whose address holds what is given, sealed so the SDK's reads see it. */
  function funded(holdings: {sui?: bigint[]; usdc?: bigint[]; suiAddressBalance?: bigint; usdcAddressBalance?: bigint}): Ed25519Keypair {
    const keypair = new Ed25519Keypair()
    const owner = keypair.toSuiAddress()
    for (const amount of holdings.sui ?? []) sui.ledger.mint(owner, SUI, amount)
    for (const amount of holdings.usdc ?? []) sui.ledger.mint(owner, USDC, amount)
    if (holdings.suiAddressBalance) sui.ledger.mint(owner, SUI, holdings.suiAddressBalance, {addressBalance: true})
    if (holdings.usdcAddressBalance) sui.ledger.mint(owner, USDC, holdings.usdcAddressBalance, {addressBalance: true})
    sui.ledger.produceCheckpoint()
    return keypair
  }

  async function signAndExecute(transaction: Transaction, signer: Ed25519Keypair) {
    const bytes = await transaction.build({client})
    const {signature} = await signer.signTransaction(bytes)
    return client.core.executeTransaction({transaction: bytes, signatures: [signature], include: EXECUTE_INCLUDE})
  }

  function transactionOf(sender: Ed25519Keypair): Transaction {
    const transaction = new Transaction()
    transaction.setSender(sender.toSuiAddress())
    return transaction
  }

  it('executes a signed split-and-transfer under its real digest and seals it into a new checkpoint', async () => {
    const alice = funded({sui: [1_000_000_000n]})
    const bob = new Ed25519Keypair().toSuiAddress()
    const [gasCoin] = sui.ledger.coins(alice.toSuiAddress(), SUI)
    assert.ok(gasCoin)
    const transaction = transactionOf(alice)
    transaction.setGasPrice(750)
    transaction.setGasBudget(10_000_000)
    transaction.setGasPayment([{objectId: gasCoin.objectId, version: gasCoin.version.toString(), digest: gasCoin.digest}])
    const [coin] = transaction.splitCoins(transaction.gas, [12_345])
    transaction.transferObjects([coin!], bob)
    const height = sui.ledger.checkpointHeight
    const result = await signAndExecute(transaction, alice)
    assert.equal(result.$kind, 'Transaction')
    const executed = result.Transaction!
    assert.equal(executed.digest, await transaction.getDigest())
    assert.equal(executed.checkpoint, null, 'the node answers before checkpointing')
    assert.equal(executed.balanceChanges?.find((c) => c.address === bob)?.amount, '12345')
    // Gas: one bucket of computation, two coins written, the gas coin's storage rebated.
    assert.deepEqual(executed.effects?.gasUsed, {computationCost: '750000', storageCost: '1976000', storageRebate: '978120', nonRefundableStorageFee: '9880'})
    const aliceChange = executed.balanceChanges?.find((c) => c.address === alice.toSuiAddress())
    assert.equal(aliceChange?.amount, String(-12_345n - 750_000n - 1_976_000n + 978_120n))
    // Sealed at once: the next checkpoint holds it, and state reads see it.
    assert.equal(sui.ledger.checkpointHeight, height + 1n)
    assert.deepEqual(sui.ledger.latestCheckpoint().transactions.map((t) => t.digest), [executed.digest])
    const read = await client.core.getTransaction({digest: executed.digest, include: {balanceChanges: true}})
    assert.equal(read.Transaction?.checkpoint, String(height + 1n))
    assert.equal((await client.core.getBalance({owner: bob})).balance.balance, '12345')
    const [gasAfter] = (await client.core.listCoins({owner: alice.toSuiAddress()})).objects
    assert.equal(gasAfter?.objectId, gasCoin.objectId)
    assert.equal(BigInt(gasAfter?.version ?? 0), gasCoin.version + 1n, 'written at the lamport version')
    // The same bytes again are the same transaction, not a second transfer.
    await signAndExecute(transaction, alice)
    assert.equal((await client.core.getBalance({owner: bob})).balance.balance, '12345')
    assert.equal(sui.ledger.executeCount, 1)
  })

  it('with a sealing delay, seals executed transactions together that long after the first, answering them without a checkpoint until then', async () => {
    const alice = funded({sui: [1_000_000_000n, 2_000_000_000n]})
    const bob = new Ed25519Keypair().toSuiAddress()
    sui.ledger.sealDelayMs = 300
    const height = sui.ledger.checkpointHeight
    const pay = async (coinIndex: number, amount: number) => {
      const coin = sui.ledger.coins(alice.toSuiAddress(), SUI)[coinIndex]!
      const transaction = transactionOf(alice)
      transaction.setGasPrice(750)
      transaction.setGasBudget(10_000_000)
      transaction.setGasPayment([{objectId: coin.objectId, version: coin.version.toString(), digest: coin.digest}])
      transaction.transferObjects([transaction.splitCoins(transaction.gas, [amount])[0]!], bob)
      return (await signAndExecute(transaction, alice)).Transaction!.digest
    }
    const first = await pay(0, 1_000)
    const second = await pay(1, 2_000)
    assert.equal(sui.ledger.checkpointHeight, height, 'nothing sealed yet')
    const unsealed = await client.core.getTransaction({digest: first, include: {}})
    assert.equal(unsealed.Transaction?.checkpoint, null)
    const deadline = Date.now() + 5_000
    while (sui.ledger.checkpointHeight === height) {
      if (Date.now() > deadline) assert.fail('never sealed')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.equal(sui.ledger.checkpointHeight, height + 1n, 'one checkpoint for both')
    assert.deepEqual(sui.ledger.latestCheckpoint().transactions.map((t) => t.digest), [first, second])
  })

  it('merges coins, splits an owned coin and transfers whole and split coins', async () => {
    const alice = funded({sui: [2_000_000_000n], usdc: [100n, 200n, 300n]})
    const [bob, carol] = [new Ed25519Keypair().toSuiAddress(), new Ed25519Keypair().toSuiAddress()]
    const [a, b, c] = sui.ledger.coins(alice.toSuiAddress(), USDC).sort((x, y) => Number(x.balance - y.balance))
    assert.ok(a && b && c)
    const transaction = transactionOf(alice)
    const ref = (coin: typeof a) => transaction.objectRef({objectId: coin.objectId, version: coin.version.toString(), digest: coin.digest})
    const kept = ref(c)
    transaction.mergeCoins(kept, [ref(a), ref(b)])
    const [part] = transaction.splitCoins(kept, [250])
    transaction.transferObjects([part!], bob)
    transaction.transferObjects([kept], carol)
    const result = await signAndExecute(transaction, alice)
    assert.equal(result.Transaction?.status.success, true, JSON.stringify(result.FailedTransaction?.status))
    assert.equal(await usdcCoins(alice.toSuiAddress()), '')
    assert.equal(await usdcCoins(bob), '250')
    assert.equal(await usdcCoins(carol), '350')
    assert.equal((await client.core.listCoins({owner: carol, coinType: USDC})).objects[0]?.objectId, c.objectId, 'the whole coin changed owner')
    const changed = result.Transaction?.effects?.changedObjects ?? []
    assert.deepEqual(changed.filter((o) => o.idOperation === 'Deleted').map((o) => o.objectId).sort(), [a.objectId, b.objectId].sort())
    assert.equal(changed.filter((o) => o.idOperation === 'Created').length, 1)
  })

  it('smashes every gas coin into the first and lets MergeCoins fill the gas coin', async () => {
    const alice = funded({sui: [300_000_000n, 200_000_000n, 100_000_000n]})
    const [spare, ...gasCoins] = sui.ledger.coins(alice.toSuiAddress(), SUI).sort((x, y) => Number(x.balance - y.balance))
    assert.ok(spare && gasCoins.length === 2)
    const transaction = transactionOf(alice)
    transaction.setGasPayment(gasCoins.map((coin) => ({objectId: coin.objectId, version: coin.version.toString(), digest: coin.digest})))
    transaction.mergeCoins(transaction.gas, [transaction.objectRef({objectId: spare.objectId, version: spare.version.toString(), digest: spare.digest})])
    const result = await signAndExecute(transaction, alice)
    assert.equal(result.Transaction?.status.success, true)
    const coins = (await client.core.listCoins({owner: alice.toSuiAddress()})).objects
    assert.deepEqual(coins.map((coin) => coin.objectId), [gasCoins[0]!.objectId])
    const gasUsed = result.Transaction!.effects!.gasUsed
    const net = BigInt(gasUsed.computationCost) + BigInt(gasUsed.storageCost) - BigInt(gasUsed.storageRebate)
    assert.equal(BigInt(coins[0]!.balance), 600_000_000n - net)
    assert.equal(gasUsed.storageRebate, String(3n * 978_120n), 'three coins consumed or overwritten')
  })

  it('folds a coin into the recipient address balance with 0x2::coin::send_funds', async () => {
    const alice = funded({sui: [1_000_000_000n], usdc: [500n]})
    const bob = new Ed25519Keypair().toSuiAddress()
    const [coin] = sui.ledger.coins(alice.toSuiAddress(), USDC)
    assert.ok(coin)
    const transaction = transactionOf(alice)
    const source = transaction.objectRef({objectId: coin.objectId, version: coin.version.toString(), digest: coin.digest})
    const [part] = transaction.splitCoins(source, [120])
    transaction.moveCall({target: '0x2::coin::send_funds', typeArguments: [USDC], arguments: [part!, transaction.pure.address(bob)]})
    transaction.moveCall({target: '0x2::coin::send_funds', typeArguments: [USDC], arguments: [source, transaction.pure.address(alice.toSuiAddress())]})
    const result = await signAndExecute(transaction, alice)
    assert.equal(result.Transaction?.status.success, true, JSON.stringify(result.FailedTransaction?.status))
    const [bobs, alices] = await Promise.all([client.core.getBalance({owner: bob, coinType: USDC}), client.core.getBalance({owner: alice.toSuiAddress(), coinType: USDC})])
    assert.deepEqual([bobs.balance.addressBalance, bobs.balance.coinBalance], ['120', '0'])
    assert.deepEqual([alices.balance.addressBalance, alices.balance.coinBalance], ['380', '0'], 'the coin itself folded into the address balance')
    assert.equal(sui.ledger.store.get(coin.objectId), undefined)
  })

  it('pays with coinWithBalance, which draws on the address balance first and then on coins', async () => {
    const alice = funded({sui: [1_000_000_000n], usdc: [50n], usdcAddressBalance: 100n})
    const bob = new Ed25519Keypair().toSuiAddress()
    const transaction = transactionOf(alice)
    transaction.transferObjects([coinWithBalance({type: USDC, balance: 120n})], bob)
    const result = await signAndExecute(transaction, alice)
    assert.equal(result.Transaction?.status.success, true, JSON.stringify(result.FailedTransaction?.status))
    // The SDK merged the coin with a 70 redeemed from the address balance, split 120 off and sent the rest back.
    const commands = sui.ledger.transaction(result.Transaction!.digest)?.record.commands ?? []
    assert.deepEqual(commands.flatMap((c) => (c.kind === 'moveCall' ? [c.call.function] : [])), ['redeem_funds', 'send_funds'])
    assert.equal(await usdcCoins(bob), '120')
    const alices = await client.core.getBalance({owner: alice.toSuiAddress(), coinType: USDC})
    assert.deepEqual([alices.balance.coinBalance, alices.balance.addressBalance], ['0', '30'])
  })

  it('pays gas from the address balance when the sender holds no SUI coin', async () => {
    const alice = funded({suiAddressBalance: 1_000_000_000n, usdcAddressBalance: 80n})
    const bob = new Ed25519Keypair().toSuiAddress()
    const transaction = transactionOf(alice)
    transaction.moveCall({target: '0x2::balance::send_funds', typeArguments: [USDC], arguments: [transaction.balance({type: USDC, balance: 80n}), transaction.pure.address(bob)]})
    const result = await signAndExecute(transaction, alice)
    assert.equal(result.Transaction?.status.success, true, JSON.stringify(result.FailedTransaction?.status))
    assert.deepEqual(sui.ledger.transaction(result.Transaction!.digest)?.record.gasPayment.objects, [], 'no gas coin in the payment')
    const gasUsed = result.Transaction!.effects!.gasUsed
    const net = BigInt(gasUsed.computationCost) + BigInt(gasUsed.storageCost) - BigInt(gasUsed.storageRebate)
    assert.equal((await client.core.getBalance({owner: alice.toSuiAddress()})).balance.addressBalance, String(1_000_000_000n - net))
    assert.equal((await client.core.getBalance({owner: bob, coinType: USDC})).balance.addressBalance, '80')
  })

  it('fails a transaction whose command cannot run, charging only gas', async () => {
    const alice = funded({sui: [1_000_000_000n], usdc: [10n]})
    const [coin] = sui.ledger.coins(alice.toSuiAddress(), USDC)
    const [gasCoin] = sui.ledger.coins(alice.toSuiAddress(), SUI)
    assert.ok(coin && gasCoin)
    const transaction = transactionOf(alice)
    const [part] = transaction.splitCoins(transaction.objectRef({objectId: coin.objectId, version: coin.version.toString(), digest: coin.digest}), [11])
    transaction.transferObjects([part!], alice.toSuiAddress())
    // Fully specified, so the SDK builds it without the dry run that would refuse it.
    transaction.setGasPrice(750)
    transaction.setGasBudget(5_000_000)
    transaction.setGasPayment([{objectId: gasCoin.objectId, version: gasCoin.version.toString(), digest: gasCoin.digest}])
    const result = await signAndExecute(transaction, alice)
    assert.equal(result.$kind, 'FailedTransaction')
    assert.match(result.FailedTransaction?.status.error?.message ?? '', /Insufficient coin balance/)
    assert.deepEqual(result.FailedTransaction?.balanceChanges?.map((c) => c.coinType), [SUI])
    assert.equal(await usdcCoins(alice.toSuiAddress()), '10')
    assert.equal(sui.ledger.store.get(coin.objectId)?.version, coin.version + 1n, 'inputs are written even when it fails')
  })

  it('refuses a transaction signed by someone other than its sender, as a node does', async () => {
    const alice = funded({sui: [1_000_000_000n]})
    const mallory = new Ed25519Keypair()
    const transaction = transactionOf(alice)
    transaction.transferObjects([transaction.splitCoins(transaction.gas, [1])], mallory.toSuiAddress())
    const bytes = await transaction.build({client})
    const {signature} = await mallory.signTransaction(bytes)
    const error = await client.core.executeTransaction({transaction: bytes, signatures: [signature]}).then(() => undefined, (e: unknown) => e as {code: string; message: string})
    assert.equal(error?.code, 'INVALID_ARGUMENT')
    assert.match(error?.message ?? '', new RegExp(`Invalid user signature: .*${alice.toSuiAddress()}`))
    assert.equal(sui.ledger.executeCount, 0)
    const tampered = Uint8Array.from(bytes)
    const {signature: good} = await alice.signTransaction(bytes)
    tampered[tampered.length - 1]! ^= 1
    assert.equal(await statusOf(client.core.executeTransaction({transaction: tampered, signatures: [good]})), 'INVALID_ARGUMENT')
  })

  it('accepts Secp256k1 and Secp256r1 senders', async () => {
    for (const keypair of [new Secp256k1Keypair(), new Secp256r1Keypair()]) {
      sui.ledger.mint(keypair.toSuiAddress(), SUI, 1_000_000_000n)
      sui.ledger.produceCheckpoint()
      const transaction = new Transaction()
      transaction.setSender(keypair.toSuiAddress())
      transaction.transferObjects([transaction.splitCoins(transaction.gas, [7])], new Ed25519Keypair().toSuiAddress())
      const bytes = await transaction.build({client})
      const {signature} = await keypair.signTransaction(bytes)
      const result = await client.core.executeTransaction({transaction: bytes, signatures: [signature]})
      assert.equal(result.Transaction?.status.success, true, keypair.getKeyScheme())
    }
    assert.equal(sui.ledger.executeCount, 2)
  })

  it('refuses what it cannot execute, naming it, and what exceeds protocol limits', async () => {
    const alice = funded({sui: [1_000_000_000n], usdc: [10n]})
    const [coin] = sui.ledger.coins(alice.toSuiAddress(), USDC)
    const [gasCoin] = sui.ledger.coins(alice.toSuiAddress(), SUI)
    assert.ok(coin && gasCoin)
    const offline = (build: (t: Transaction) => void) => {
      const transaction = transactionOf(alice)
      transaction.setGasPrice(750)
      transaction.setGasBudget(10_000_000)
      transaction.setGasPayment([{objectId: gasCoin.objectId, version: gasCoin.version.toString(), digest: gasCoin.digest}])
      build(transaction)
      return transaction
    }
    const refusal = async (transaction: Transaction) => {
      const bytes = await transaction.build()
      const {signature} = await alice.signTransaction(bytes)
      return client.core.executeTransaction({transaction: bytes, signatures: [signature]}).then(() => undefined, (e: unknown) => e as {code: string; message: string})
    }
    const pay = offline((t) => {
      const usdc = t.objectRef({objectId: coin.objectId, version: coin.version.toString(), digest: coin.digest})
      t.moveCall({target: `0x${'cd'.repeat(32)}::pay::pay`, typeArguments: [USDC], arguments: [usdc, t.pure.u64(5)]})
    })
    const payError = await refusal(pay)
    assert.equal(payError?.code, 'UNIMPLEMENTED')
    assert.match(payError?.message ?? '', /MoveCall 0x(cd){32}::pay::pay/)
    const publish = offline((t) => {
      t.transferObjects([t.publish({modules: [[1, 2, 3]], dependencies: ['0x1', '0x2']})], alice.toSuiAddress())
    })
    assert.match((await refusal(publish))?.message ?? '', /Publish/)
    const tooMany = offline((t) => {
      t.splitCoins(t.gas, Array.from({length: 512}, () => 1))
    })
    const limitError = await refusal(tooMany)
    assert.equal(limitError?.code, 'INVALID_ARGUMENT')
    assert.match(limitError?.message ?? '', /maximum arguments .* 512/)
    assert.equal(sui.ledger.executeCount, 0)
    assert.equal(sui.ledger.pendingTransactions.length, 0)
  })

  it('simulates on a scratch copy: effects, balance changes and resulting coins, nothing committed', async () => {
    const alice = funded({sui: [1_000_000_000n], usdc: [70n, 30n]})
    const bob = new Ed25519Keypair().toSuiAddress()
    const transaction = transactionOf(alice)
    transaction.transferObjects([coinWithBalance({type: USDC, balance: 90n})], bob)
    const height = sui.ledger.checkpointHeight
    const simulated = await client.core.simulateTransaction({transaction, include: {balanceChanges: true, effects: true, bcs: true}})
    assert.equal(simulated.$kind, 'Transaction')
    assert.equal(simulated.Transaction?.balanceChanges?.find((c) => c.address === bob)?.amount, '90')
    assert.equal(simulated.Transaction?.digest, TransactionDataBuilder.getDigestFromBytes(simulated.Transaction!.bcs!), 'the digest of the transaction as resolved')
    const raw = await client.transactionExecutionService.simulateTransaction({
      transaction: {bcs: {value: await transaction.build({client})}},
      readMask: {paths: ['transaction.objects', 'transaction.effects.status', 'transaction.effects.changed_objects']},
    })
    const outputs = raw.response.transaction?.objects?.objects.filter((o) => o.objectType?.includes('usdc')) ?? []
    assert.ok(outputs.some((o) => o.owner?.address === bob && o.balance === 90n), 'the resulting coin and its balance')
    // Nothing was executed, committed or sealed.
    assert.equal(sui.ledger.executeCount, 0)
    assert.equal(sui.ledger.checkpointHeight, height)
    assert.equal(await usdcCoins(alice.toSuiAddress()), '30,70')
    assert.equal(await usdcCoins(bob), '')
  })

  it('simulates with gas selection and reports the sender paying gas', async () => {
    const alice = sui.ledger.createAddress()
    sui.ledger.mint(alice, SUI, 1_000_000_000n)
    const {response} = await client.transactionExecutionService.simulateTransaction({
      transaction: {sender: alice},
      doGasSelection: true,
      readMask: {paths: ['transaction.transaction.gas_payment', 'transaction.effects.status', 'transaction.balance_changes']},
    })
    assert.equal(response.transaction?.effects?.status?.success, true)
    assert.equal(response.transaction?.transaction?.gasPayment?.objects[0]?.objectId, sui.ledger.coins(alice)[0]?.objectId)
    assert.equal(response.transaction?.balanceChanges[0]?.address, alice)
    assert.equal(sui.ledger.balance(alice, SUI).coinBalance, 1_000_000_000n) // nothing moved
  })

  /** The owner's coins of USDC, their balances sorted and joined: '' for none. */
  async function usdcCoins(owner: string): Promise<string> {
    const {objects} = await client.core.listCoins({owner, coinType: USDC})
    return objects.map((o) => BigInt(o.balance)).sort((x, y) => Number(x - y)).join(',')
  }
})
