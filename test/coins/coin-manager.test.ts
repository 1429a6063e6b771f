// CoinManager's selection, paging and consolidation plans: the pure rules on made-up holdings, and
// the reads against the local Sui server.
import assert from 'node:assert/strict'
import type {GrpcTypes} from '@mysten/sui/grpc'
import {Transaction} from '@mysten/sui/transactions'
import type {GrpcChainReader} from '../../src/chain/index.ts'
import {decodeEpoch} from '../../src/chain/wire/state-decoder.ts'
import {InsufficientBalanceError, TooManyCoinsError} from '../../src/coins/coin-errors.ts'
import {dustOf, dustThresholdOf} from '../../src/coins/coin-holding.ts'
import {CoinManager} from '../../src/coins/coin-manager.ts'
import {selectCoins} from '../../src/coins/coin-selection.ts'
import {consolidationDue, paymentCapacity, planConsolidation} from '../../src/coins/consolidation-plan.ts'
import {consolidationStep} from '../../src/coins/consolidation-step.ts'
import {refOf} from '../../src/coins/coin-commands.ts'
import {prepareExactAmount} from '../../src/coins/exact-amount.ts'
import {coinCapacity, MAINNET_LIMITS, type ProtocolLimits, protocolLimitsOf} from '../../src/coins/protocol-limits.ts'
import {UsageError} from '../../src/errors.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {testReader} from '../chain/chain-test-support.ts'
import {startSuiServer, type SuiTestServer} from '../../sui-server/index.ts'
import {coin, CUSD, CUSD_TYPE, holding, many, OWNER, SUI} from './coin-support.ts'

const CAPACITY = paymentCapacity(CUSD, MAINNET_LIMITS)
const limits = (overrides: Partial<ProtocolLimits>): ProtocolLimits => ({...MAINNET_LIMITS, ...overrides})
const balances = (coins: readonly {balance: bigint}[]) => coins.map((c) => c.balance)

describe('coin selection', () => {
  it('takes the smallest single coin that covers the amount', () => {
    const selection = selectCoins(holding([5n, 100n, 20n, 7n]), 15n, CAPACITY)
    assert.deepEqual(balances(selection.coins), [20n])
    assert.deepEqual([selection.coinAmount, selection.fromAddressBalance], [20n, 0n])
  })

  it('otherwise takes the fewest coins, largest first', () => {
    const selection = selectCoins(holding([5n, 20n, 30n, 7n, 1n]), 45n, CAPACITY)
    assert.deepEqual(balances(selection.coins), [30n, 20n])
    assert.equal(selection.coinAmount, 50n)
  })

  it('pays an amount exactly equal to one coin, or to all of them', () => {
    assert.deepEqual(balances(selectCoins(holding([5n, 20n, 30n]), 20n, CAPACITY).coins), [20n])
    const all = selectCoins(holding([5n, 20n, 30n]), 55n, CAPACITY)
    assert.deepEqual([balances(all.coins), all.coinAmount], [[30n, 20n, 5n], 55n])
  })

  it('states the shortfall in display units when the balance is insufficient', () => {
    const short = () => selectCoins(holding([1_000_000n, 500_000n], 250_000n), 2_000_000n, CAPACITY)
    assert.throws(short, (error: unknown) => {
      assert.ok(error instanceof InsufficientBalanceError)
      assert.equal(error.shortfall, 250_000n)
      assert.equal(error.message, `${OWNER} holds 1.75 CUSD, 0.25 CUSD short of 2 CUSD`)
      assert.equal(error.exitCode, 1)
      return true
    })
  })

  it('draws on the address balance for what the coins lack', () => {
    const selection = selectCoins(holding([10n], 5n), 12n, CAPACITY)
    assert.deepEqual([balances(selection.coins), selection.fromAddressBalance], [[10n], 2n])
  })

  it('stays within the input limit: the address balance makes up the rest, or it refuses and says to consolidate', () => {
    const few = limits({maxInputObjects: 20}) // room kept for a withdrawal and 16 gas coins: 3 coins
    const capacity = paymentCapacity(CUSD, few)
    assert.equal(capacity, 3)
    assert.throws(() => selectCoins(holding(many(5, 10n)), 40n, capacity), (error: unknown) => {
      assert.ok(error instanceof TooManyCoinsError)
      assert.match(error.message, /takes more than 3 coins/)
      assert.match(error.oneLine(), /confio coins consolidate --address 0x0+a11ce --token CUSD$/)
      return true
    })
    const withBalance = selectCoins(holding(many(5, 10n), 10n), 40n, capacity)
    assert.deepEqual([withBalance.coins.length, withBalance.fromAddressBalance], [3, 10n])
    // On mainnet the transaction size binds first: 1,627 coin inputs fit in 128 KiB, not 2,048.
    assert.equal(CAPACITY, 1_627)
    assert.throws(() => selectCoins(holding(many(2_000, 1n)), 1_700n, CAPACITY), TooManyCoinsError)
    assert.equal(selectCoins(holding(many(2_000, 1n)), 1_627n, CAPACITY).coins.length, 1_627)
  })

  it('counts SUI coins in the gas payment as well as inputs', () => {
    const capacity = coinCapacity(MAINNET_LIMITS, {reserved: 1, gasCoins: true})
    assert.deepEqual(capacity, {inputs: 1_388, gas: 256})
    assert.equal(paymentCapacity(SUI, MAINNET_LIMITS), 1_644)
  })
})

describe('dust', () => {
  it('counts the coins below the threshold, in any token precision', () => {
    assert.equal(dustThresholdOf('0.01', 6), 10_000n)
    assert.equal(dustThresholdOf('0.0000001', 6), 0n)
    assert.equal(dustThresholdOf('2', 9), 2_000_000_000n)
    assert.deepEqual(dustOf(holding([9_999n, 10_000n, 5n, 3_000_000n]), 10_000n), {count: 2, amount: 10_004n})
  })
})

describe('consolidation plans', () => {
  it('is due above maxCoins coins, not at it', () => {
    const at = consolidationDue(holding(many(50, 1_000_000n)), MAINNET_LIMITS, {maxCoins: 50, payment: 1_000_000n})
    assert.deepEqual([at.due, at.reason], [false, '50 coins (at most 50); paying 1 CUSD takes 1 coin (at most 10)'])
    const above = consolidationDue(holding(many(51, 1_000_000n)), MAINNET_LIMITS, {maxCoins: 50, payment: 1_000_000n})
    assert.deepEqual([above.due, above.reason], [true, '51 coins, more than 50'])
  })

  it('is due when a payment takes more than 10 inputs, not 10', () => {
    const twenty = holding(many(20, 1_000_000n))
    const ten = consolidationDue(twenty, MAINNET_LIMITS, {payment: 10_000_000n})
    assert.deepEqual([ten.due, ten.paymentInputs], [false, 10])
    const eleven = consolidationDue(twenty, MAINNET_LIMITS, {payment: 10_000_001n})
    assert.deepEqual([eleven.due, eleven.reason], [true, 'paying 10.000001 CUSD takes 11 coins, more than 10'])
    // By default the payment is half of what the address holds; the address balance pays first.
    assert.deepEqual([consolidationDue(twenty, MAINNET_LIMITS).payment, consolidationDue(twenty, MAINNET_LIMITS).paymentInputs], [10_000_000n, 10])
    assert.equal(consolidationDue(holding(many(20, 1_000_000n), 30_000_000n), MAINNET_LIMITS).paymentInputs, 0)
  })

  it('says a payment past one transaction\'s limit is due', () => {
    const due = consolidationDue(holding(many(10, 1n)), limits({maxInputObjects: 20}), {payment: 5n})
    assert.deepEqual([due.due, due.paymentInputs, due.reason], [true, null, 'paying 0.000005 CUSD takes more coins than one transaction can'])
  })

  it('folds every coin into the address balance, smallest first, in transactions within the limits', () => {
    const h = holding([70n, 10n, 40n, 20n, 90n, 30n, 60n, 50n, 80n, 100n], 5n)
    const plan = planConsolidation(h, limits({maxInputObjects: 21})) // 16 kept for gas coins: 5 coins
    assert.equal(plan.into, 'address-balance')
    assert.equal(plan.target, undefined)
    assert.deepEqual(plan.transactions.map((t) => balances(t.coins)), [[10n, 20n, 30n, 40n, 50n], [60n, 70n, 80n, 90n, 100n]])
    assert.deepEqual(plan.transactions.map((t) => t.amount), [150n, 400n])
    assert.deepEqual(plan.expected, {coins: 0, coinBalance: 0n, addressBalance: 555n})
  })

  it('merges into the largest coin, which is an input of every transaction', () => {
    const h = holding([70n, 10n, 40n, 20n, 90n, 30n, 60n, 50n, 80n, 100n])
    const plan = planConsolidation(h, limits({maxInputObjects: 21}), {into: 'coin'}) // and the target: 4
    assert.equal(plan.target?.balance, 100n)
    assert.deepEqual(plan.transactions.map((t) => balances(t.coins)), [[10n, 20n, 30n, 40n], [50n, 60n, 70n, 80n], [90n]])
    assert.deepEqual(plan.expected, {coins: 1, coinBalance: 550n, addressBalance: 0n})
  })

  it('lets SUI coins ride in the gas payment, the largest being the gas coin, for both targets', () => {
    const h = holding(Array.from({length: 14}, (_, i) => BigInt(i + 1)), 0n, SUI)
    const small = limits({maxInputObjects: 7, maxGasPaymentObjects: 4}) // 3 in the gas payment besides the gas coin, 3 inputs
    for (const into of ['address-balance', 'coin'] as const) {
      const plan = planConsolidation(h, small, {into})
      assert.equal(plan.target?.balance, 14n)
      assert.deepEqual(plan.transactions.map((t) => [t.coins.length, t.gasPaymentCoins]), [[6, 3], [6, 3], [1, 0]])
      assert.ok(plan.transactions.every((t) => t.coins.every((c) => c.objectId !== plan.target?.objectId)), 'the gas coin is never an input')
    }
    assert.deepEqual(planConsolidation(h, small).expected, {coins: 1, coinBalance: 14n, addressBalance: 91n})
    assert.deepEqual(planConsolidation(h, small, {into: 'coin'}).expected, {coins: 1, coinBalance: 105n, addressBalance: 0n})
  })

  it('needs 7 transactions for 10,000 coins on mainnet', () => {
    const tokenPlan = planConsolidation(holding(many(10_000, 1n)), MAINNET_LIMITS)
    assert.deepEqual(tokenPlan.transactions.map((t) => t.coins.length), [1_627, 1_627, 1_627, 1_627, 1_627, 1_627, 238])
    const suiPlan = planConsolidation(holding(many(10_000, 1n), 0n, SUI), MAINNET_LIMITS, {into: 'coin'})
    assert.deepEqual(suiPlan.transactions.map((t) => t.coins.length), [1_643, 1_643, 1_643, 1_643, 1_643, 1_643, 141])
    assert.ok(suiPlan.transactions.every((t) => t.gasPaymentCoins <= 255))
  })

  it('leaves the largest coins it is told to keep, and has nothing to do with one coin', () => {
    const plan = planConsolidation(holding([1n, 2n, 3n, 4n]), MAINNET_LIMITS, {keep: 2})
    assert.deepEqual([balances(plan.kept), plan.transactions.map((t) => balances(t.coins))], [[4n, 3n], [[1n, 2n]]])
    assert.deepEqual(plan.expected, {coins: 2, coinBalance: 7n, addressBalance: 3n})
    assert.deepEqual(planConsolidation(holding([5n]), MAINNET_LIMITS, {into: 'coin'}).transactions, [])
    const keepAll = planConsolidation(holding([1n, 2n, 3n]), MAINNET_LIMITS, {keep: 5})
    assert.deepEqual([keepAll.kept.length, keepAll.transactions], [3, []])
  })

  it('merges into a coin where the network has no address balances, and refuses to fold there', () => {
    const without = limits({addressBalances: false, protocolVersion: 118n})
    assert.equal(planConsolidation(holding([1n, 2n]), without).into, 'coin')
    assert.throws(() => planConsolidation(holding([1n, 2n]), without, {into: 'address-balance'}), UsageError)
  })

  it('builds a full mainnet transaction under 128 KiB, merging at most 511 coins a command', async () => {
    const sui = coin(10_000_000_000n, 99_999)
    const cases = [
      {token: CUSD, into: 'coin' as const, count: 1_627, target: coin(5n, 99_998)},
      {token: CUSD, into: 'address-balance' as const, count: 1_627, target: undefined},
      {token: SUI, into: 'address-balance' as const, count: 1_643, target: sui},
    ]
    for (const c of cases) {
      const coins = Array.from({length: c.count}, (_, i) => coin(1n, i + 1))
      const gasPaymentCoins = c.token === SUI ? 255 : 0
      const {transaction} = consolidationStep({coins, gasPaymentCoins}, {owner: OWNER, token: c.token, into: c.into, limits: MAINNET_LIMITS, gasPrice: 750n, gasBudget: 50_000_000n, target: c.target, gasCoins: [sui]})
      const bytes = await transaction.build()
      // A signature (the largest, secp256r1, 98 bytes as base64 text's bytes) comes on top.
      assert.ok(bytes.length + 200 <= MAINNET_LIMITS.maxTransactionBytes, `${c.token.symbol} ${c.into}: ${bytes.length} bytes`)
      const data = transaction.getData()
      assert.ok(data.inputs.length <= MAINNET_LIMITS.maxInputObjects)
      assert.ok((data.gasData.payment?.length ?? 0) <= MAINNET_LIMITS.maxGasPaymentObjects)
      for (const command of data.commands) if (command.MergeCoins) assert.ok(command.MergeCoins.sources.length <= 511)
    }
  })
})

describe('exact amounts', () => {
  const commandsOf = (tx: Transaction) => tx.getData().commands.map((c) => c.$kind)
  const build = () => {
    const tx = new Transaction()
    tx.setSender(OWNER)
    return tx
  }

  it('takes the SDK\'s balance intent where the address balance covers the amount', () => {
    const tx = build()
    const exact = prepareExactAmount(tx, holding([9_000_000n], 2_000_000n), 2_000_000n, MAINNET_LIMITS)
    assert.deepEqual([exact.source, exact.coins, exact.fromAddressBalance, exact.buildOptions], ['address-balance', [], 2_000_000n, {assumeSufficientAddressBalances: true}])
    assert.deepEqual(commandsOf(tx), ['$Intent'])
  })

  it('merges the selected coins and splits the amount off, or hands over a coin of exactly the amount', () => {
    const merged = build()
    const exact = prepareExactAmount(merged, holding([5n, 30n, 20n]), 45n, MAINNET_LIMITS)
    assert.deepEqual([exact.source, balances(exact.coins)], ['coins', [30n, 20n]])
    assert.deepEqual(commandsOf(merged), ['MergeCoins', 'SplitCoins'])
    const whole = build()
    assert.deepEqual(prepareExactAmount(whole, holding([5n, 30n, 20n]), 20n, MAINNET_LIMITS).coin, {$kind: 'Input', Input: 0, type: 'object'})
    assert.deepEqual(commandsOf(whole), [])
    // The coins and the address balance add up to the amount: the merged coin is the payment.
    const topped = build()
    const withBalance = prepareExactAmount(topped, holding([5n, 30n], 15n), 45n, MAINNET_LIMITS)
    assert.equal(withBalance.fromAddressBalance, 10n)
    assert.deepEqual(commandsOf(topped), ['MergeCoins', 'MoveCall', 'MergeCoins'])
  })

  it('pays SUI from the gas coin: the chosen coins become the gas payment, or the caller\'s payment is used', () => {
    const tx = build()
    tx.setGasBudget(10n)
    const exact = prepareExactAmount(tx, holding([100n, 60n, 50n], 0n, SUI), 120n, MAINNET_LIMITS)
    assert.deepEqual([exact.source, balances(exact.coins)], ['gas-coin', [100n, 60n]])
    assert.deepEqual(tx.getData().gasData.payment?.map((ref) => ref.objectId), exact.coins.map((c) => c.objectId))
    assert.deepEqual(commandsOf(tx), ['SplitCoins'])
    const paid = build()
    paid.setGasPayment([refOf(coin(1_000n, 77))])
    assert.deepEqual(prepareExactAmount(paid, holding([100n], 0n, SUI), 120n, MAINNET_LIMITS).coins, [])
    assert.deepEqual(paid.getData().gasData.payment?.map((ref) => ref.objectId), [coin(1_000n, 77).objectId])
  })
})

describe('protocol limits', () => {
  it('are read from the protocol configuration, each missing value keeping its mainnet default', () => {
    const read = protocolLimitsOf({
      epoch: 9n,
      referenceGasPrice: 750n,
      protocol: {version: 141n, featureFlags: {enable_accumulators: true}, attributes: {max_input_objects: '1024', max_tx_size_bytes: '65536', max_gas_payment_objects: 'junk'}},
    })
    assert.deepEqual(read, {...MAINNET_LIMITS, maxInputObjects: 1_024, maxTransactionBytes: 65_536, protocolVersion: 141n, source: 'node'})
    const old = protocolLimitsOf({epoch: 1n, referenceGasPrice: 1_000n, protocol: {version: 120n, featureFlags: {}, attributes: {}}})
    assert.equal(old.addressBalances, false)
    assert.equal(protocolLimitsOf({epoch: 1n, referenceGasPrice: 1_000n}), MAINNET_LIMITS)
  })

  it('reads GetEpoch\'s lossless configs map over the deprecated attributes and flags', () => {
    type Value = GrpcTypes.ProtocolConfig['configs'][string]
    const value = (kind: Value['kind']): Value => ({kind})
    const epoch = decodeEpoch({
      epoch: 3n,
      referenceGasPrice: 500n,
      protocolConfig: {
        protocolVersion: 140n,
        featureFlags: {enable_accumulators: true},
        attributes: {max_arguments: '100'},
        configs: {
          max_arguments: value({oneofKind: 'stringValue', stringValue: '512'}),
          max_gas_payment_objects: value({oneofKind: 'numberValue', numberValue: 128}),
          enable_accumulators: value({oneofKind: 'boolValue', boolValue: false}),
        },
      },
    } as GrpcTypes.Epoch)
    assert.deepEqual([epoch.epoch, epoch.referenceGasPrice, epoch.protocol?.version], [3n, 500n, 140n])
    const read = protocolLimitsOf(epoch)
    assert.deepEqual([read.maxArguments, read.maxGasPaymentObjects, read.addressBalances], [512, 128, false])
  })
})

describe('CoinManager against the local Sui server', function () {
  this.timeout(20_000)
  let sui: SuiTestServer
  let chain: GrpcChainReader
  let manager: CoinManager
  const tokens = new TokenRegistry([CUSD, SUI])

  before(async () => {
    sui = await startSuiServer()
    chain = testReader(sui.url)
    manager = new CoinManager({chain, tokens})
  })
  after(async () => {
    chain.close()
    await sui.close()
  })

  it('reads every coin across pages of 1,000, smallest first, with the address balance', async () => {
    const alice = sui.ledger.createAddress()
    for (let i = 1; i <= 2_345; i++) sui.ledger.mint(alice, CUSD_TYPE, BigInt(((i * 7_919) % 5_000) + 1))
    sui.ledger.mint(alice, CUSD_TYPE, 123_456n, {addressBalance: true})
    sui.ledger.produceCheckpoint()
    const before = sui.faults.calls('ListOwnedObjects')
    const h = await manager.coins(alice, 'CUSD')
    assert.equal(sui.faults.calls('ListOwnedObjects') - before, 3)
    assert.equal(h.coins.length, 2_345)
    assert.ok(h.coins.every((c, i) => i === 0 || (h.coins[i - 1] as {balance: bigint}).balance <= c.balance), 'ascending')
    const onChain = sui.ledger.balance(alice, CUSD_TYPE)
    assert.deepEqual([h.coinBalance, h.addressBalance, h.total], [onChain.coinBalance, 123_456n, onChain.coinBalance + 123_456n])
    assert.equal(new Set(h.coins.map((c) => c.objectId)).size, 2_345)
  })

  it('takes the mainnet limits from a node that sends no protocol configuration', async () => {
    assert.equal(await manager.protocolLimits(), MAINNET_LIMITS)
    assert.equal(await manager.referenceGasPrice(), 750n)
  })

  it('selects and plans from what the node holds, by symbol or coin type', async () => {
    const bob = sui.ledger.createAddress()
    for (const amount of [3_000_000n, 1_000_000n, 2_000_000n]) sui.ledger.mint(bob, CUSD_TYPE, amount)
    sui.ledger.produceCheckpoint()
    assert.deepEqual(balances((await manager.select(bob, CUSD_TYPE, 1_500_000n)).coins), [2_000_000n])
    await assert.rejects(manager.select(bob, 'CUSD', 7_000_000n), /1 CUSD short of 7 CUSD/)
    const plan = await manager.planConsolidation(bob, 'CUSD', {maxCoins: 2})
    assert.deepEqual([plan.due.due, plan.due.reason, plan.transactions.length], [true, '3 coins, more than 2', 1])
    await assert.rejects(manager.coins(bob, 'NOPE'), /unknown token "NOPE"/)
    assert.equal((await manager.coins(bob, SUI_COIN_TYPE)).coins.length, 0)
  })
})
