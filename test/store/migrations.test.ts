import assert from 'node:assert/strict'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {migrateLatest, migrationStatus, rollbackLast} from '../../src/store/migrator.ts'
import {createScratchDatabase, dropDatabase, TEST_DATABASE} from '../support/global-setup.ts'

const TABLES = ['accounts', 'balances', 'raw_blockchain_events', 'transaction_processing_log', 'account_transactions', 'ingest_cursors', 'contract_events', 'pending_balance_changes', 'balance_cache_outbox', 'balance_drift', 'reconcile_runs', 'beat_runs', 'leases', 'cache_generation', 'webhook_deliveries']

async function tables(db: Database): Promise<string[]> {
  const {rows} = await db.raw<{rows: {table_name: string}[]}>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'knex_%'`)
  return rows.map((r) => r.table_name).sort()
}

describe('migrations', () => {
  let db: Database

  before(async () => {
    db = createDatabase({url: await createScratchDatabase('migrations')})
  })

  after(async () => {
    await db.destroy()
    await dropDatabase(`${TEST_DATABASE}_migrations`)
  })

  it('go up, down and up again', async () => {
    assert.equal((await migrationStatus(db)).applied.length, 0)
    const applied = await migrateLatest(db)
    assert.ok(applied.length > 0)
    assert.deepEqual(await tables(db), [...TABLES].sort())
    assert.deepEqual((await migrationStatus(db)).pending, [])

    await rollbackLast(db)
    assert.deepEqual(await tables(db), [])
    assert.deepEqual((await migrationStatus(db)).applied, [])

    assert.deepEqual(await migrateLatest(db), applied)
    assert.deepEqual(await tables(db), [...TABLES].sort())
  })

  it('store u64 amounts exactly and refuse negative balances', async () => {
    const [account] = await db('accounts').insert({sui_address: `0x${'1'.repeat(64)}`}).returning('id')
    await db('balances').insert({account_id: account.id, token: 'CUSD', amount: '18446744073709551615'})
    const row = await db('balances').where({account_id: account.id}).first()
    assert.equal(BigInt(row.amount), 18_446_744_073_709_551_615n)
    await assert.rejects(db('balances').insert({account_id: account.id, token: 'SUI', amount: '-1'}), /balances_amount_check/)
    await assert.rejects(db('accounts').insert({sui_address: '0xABC'}), /accounts_sui_address_check/)
  })
})
