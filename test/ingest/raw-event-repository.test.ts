// The poller's write of a batch's kept transactions: a batch of busy checkpoints can keep more rows
// than one PostgreSQL statement can carry (65,535 parameters), and must still commit whole.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import type {TransactionDetails} from '../../src/chain/index.ts'
import {insertRawEvents} from '../../src/ingest/raw-event-repository.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'

describe('raw event repository', function () {
  this.timeout(60_000)
  let db: Database
  const run = randomBytes(4).toString('hex')
  before(() => (db = createDatabase({url: process.env.DATABASE_URL as string})))
  after(async () => {
    await db('raw_blockchain_events').where('tx_digest', 'like', `big${run}%`).delete()
    await db.destroy()
  })

  it('stores 12,000 kept transactions of one batch in one transaction, each once', async () => {
    const address = `0x${'ab'.repeat(32)}`
    const tx = (i: number): TransactionDetails => ({
      digest: `big${run}${String(i).padStart(6, '0')}`,
      index: i % 90,
      checkpoint: BigInt(10 + Math.floor(i / 90)),
      timestampMs: 1_764_300_000_000,
      sender: address,
      gasOwner: address,
      moveCalls: [],
      events: [],
      balanceChanges: [{address, coinType: '0x2::sui::SUI', amount: -1n}],
      status: {success: true},
      gasUsed: 1n,
    })
    const events = Array.from({length: 12_000}, (_, i) => ({tx: tx(i), reasons: ['account-sender']}))
    const inserted = await db.transaction((trx) => insertRawEvents(trx, events))
    assert.equal(inserted.length, 12_000)
    assert.deepEqual(await db.transaction((trx) => insertRawEvents(trx, events.slice(0, 3_000))), [], 'a replay stores nothing twice')
    const [{n}] = (await db('raw_blockchain_events').where('tx_digest', 'like', `big${run}%`).count({n: '*'})) as [{n: string}]
    assert.equal(n, '12000')
  })

  it('stores each column as the chain described it: event JSON as it came, amounts exact, failures and parse errors', async () => {
    const address = `0x${'cd'.repeat(32)}`
    const json = {amount: '18446744073709551615', nested: {list: [1, 2.5, null, true, 'quote " and \\ and \u00e9'], empty: {}}}
    const tx: TransactionDetails = {
      digest: `big${run}rich`,
      index: 7,
      checkpoint: 9_007_199_254_740_993n,
      timestampMs: 1_764_300_000_123,
      sender: address,
      gasOwner: `0x${'ef'.repeat(32)}`,
      moveCalls: [{package: `0x${'01'.repeat(32)}`, module: 'pay', function: 'send'}],
      events: [{type: `0x${'01'.repeat(32)}::pay::Paid`, sender: address, json}],
      balanceChanges: [{address, coinType: '0x2::sui::SUI', amount: -18_446_744_073_709_551_615n}],
      status: {success: false, error: 'MoveAbort(7) in command 0'},
      gasUsed: 18_446_744_073_709_551_615n,
      parseError: 'balance change 1: amount is not a signed integer',
    }
    assert.deepEqual(await db.transaction((trx) => insertRawEvents(trx, [{tx, reasons: ['move-call', 'parse-error']}])), [tx.digest])
    const row = await db('raw_blockchain_events').where('tx_digest', tx.digest).first()
    assert.deepEqual(
      {...row, id: undefined, created_at: undefined},
      {
        id: undefined,
        created_at: undefined,
        tx_digest: tx.digest,
        checkpoint: '9007199254740993',
        tx_index: 7,
        timestamp_ms: '1764300000123',
        sender: address,
        success: false,
        execution_error: 'MoveAbort(7) in command 0',
        move_calls: tx.moveCalls,
        events: [{type: tx.events[0]!.type, sender: address, json}],
        balance_changes: [{address, coinType: '0x2::sui::SUI', amount: '-18446744073709551615'}],
        gas_used: '18446744073709551615',
        gas_owner: tx.gasOwner,
        parse_error: tx.parseError,
        reasons: ['move-call', 'parse-error'],
        processed_at: null,
      },
    )
  })
})
