import assert from 'node:assert/strict'
import {Transaction} from '@mysten/sui/transactions'
import {toBase64} from '@mysten/sui/utils'
import {type SuiTestServer, startSuiServer} from '../support/sui-server/index.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {clientFor} from './client.ts'

describe('sui test server: TransactionExecutionService against the real client', () => {
  let sui: SuiTestServer

  beforeEach(async () => {
    sui = await startSuiServer()
  })
  afterEach(() => sui.close())

  it('executes a split-and-transfer built by the SDK, moving balances under its real digest', async () => {
    const client = clientFor(sui.port)
    const [alice, bob] = [sui.ledger.createAddress(), sui.ledger.createAddress()]
    sui.ledger.mint(alice, SUI_COIN_TYPE, 1_000_000_000n)
    const [gasCoin] = sui.ledger.coins(alice, SUI_COIN_TYPE)
    assert.ok(gasCoin)
    const transaction = new Transaction()
    transaction.setSender(alice)
    transaction.setGasPrice(750)
    transaction.setGasBudget(10_000_000)
    transaction.setGasPayment([{objectId: gasCoin.objectId, version: gasCoin.version.toString(), digest: gasCoin.digest}])
    const [coin] = transaction.splitCoins(transaction.gas, [12_345])
    transaction.transferObjects([coin!], bob)
    const bytes = await transaction.build({client})
    const signature = toBase64(new Uint8Array(97)) // not verified by the test server
    const result = await client.core.executeTransaction({transaction: bytes, signatures: [signature], include: {balanceChanges: true, effects: true}})
    assert.equal(result.$kind, 'Transaction')
    assert.equal(result.Transaction?.digest, await transaction.getDigest())
    sui.ledger.produceCheckpoint() // balances are read as of the latest checkpoint
    assert.equal((await client.core.getBalance({owner: bob})).balance.balance, '12345')
    const bobChange = result.Transaction?.balanceChanges?.find((c) => c.address === bob)
    assert.equal(bobChange?.amount, '12345')
    // The same bytes again are the same transaction, not a second transfer.
    await client.core.executeTransaction({transaction: bytes, signatures: [signature]})
    sui.ledger.produceCheckpoint()
    assert.equal((await client.core.getBalance({owner: bob})).balance.balance, '12345')
  })

  it('simulates with gas selection and reports the sender paying gas', async () => {
    const client = clientFor(sui.port)
    const alice = sui.ledger.createAddress()
    sui.ledger.mint(alice, SUI_COIN_TYPE, 1_000_000_000n)
    const {response} = await client.transactionExecutionService.simulateTransaction({
      transaction: {sender: alice},
      doGasSelection: true,
      readMask: {paths: ['transaction.transaction.gas_payment', 'transaction.effects.status', 'transaction.balance_changes']},
    })
    assert.equal(response.transaction?.effects?.status?.success, true)
    assert.equal(response.transaction?.transaction?.gasPayment?.objects[0]?.objectId, sui.ledger.coins(alice)[0]?.objectId)
    assert.equal(response.transaction?.balanceChanges[0]?.address, alice)
    assert.equal(sui.ledger.balance(alice, SUI_COIN_TYPE).coinBalance, 1_000_000_000n) // nothing moved
  })
})
