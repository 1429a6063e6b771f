import assert from 'node:assert/strict'
import {MonitoredAccounts} from '../../src/ingest/monitored-accounts.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'

const addr = (n: number) => `0x${n.toString(16).padStart(64, '0')}`

describe('MonitoredAccounts', () => {
  let db: Database

  before(async () => {
    db = createDatabase({url: process.env.DATABASE_URL as string})
  })

  beforeEach(async () => {
    await db.raw('TRUNCATE accounts RESTART IDENTITY CASCADE')
  })

  after(async () => {
    await db.raw('TRUNCATE accounts RESTART IDENTITY CASCADE')
    await db.destroy()
  })

  it('loads the active accounts and follows adds, removals and returns', async () => {
    await db('accounts').insert([{sui_address: addr(1)}, {sui_address: addr(2), deleted_at: db.fn.now()}])
    const accounts = new MonitoredAccounts(db)
    await accounts.load()
    assert.deepEqual([accounts.has(addr(1)), accounts.has(addr(2)), accounts.size], [true, false, 1])

    await db('accounts').insert({sui_address: addr(3)})
    await db('accounts').where({sui_address: addr(1)}).update({deleted_at: db.fn.now()})
    await db('accounts').where({sui_address: addr(2)}).update({deleted_at: null})
    assert.deepEqual(await accounts.refresh(), {added: 2, removed: 1})
    assert.deepEqual([accounts.has(addr(1)), accounts.has(addr(2)), accounts.has(addr(3))], [false, true, true])
    assert.deepEqual(await accounts.refresh(), {added: 0, removed: 0}, 'nothing is read twice once settled')
  })

  it('sees an account whose transaction commits after a refresh that started later', async () => {
    const accounts = new MonitoredAccounts(db)
    await accounts.load()
    const slow = await db.transaction()
    await slow('accounts').insert({sui_address: addr(7)})
    // Others write and the poller refreshes while the slow writer is still open.
    await db('accounts').insert({sui_address: addr(8)})
    await accounts.refresh()
    assert.ok(accounts.has(addr(8)))
    assert.ok(!accounts.has(addr(7)), 'not committed yet')
    await slow.commit()
    await accounts.refresh()
    assert.ok(accounts.has(addr(7)), 'the late commit is picked up')
  })
})
