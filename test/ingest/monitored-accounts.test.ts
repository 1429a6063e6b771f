import assert from 'node:assert/strict'
import {MonitoredAccounts, type ReadingPosition, type ScreenChange} from '../../src/ingest/monitored-accounts.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'

const addr = (n: number) => `0x${n.toString(16).padStart(64, '0')}`
/** A read stage that takes a change at once, standing at `position`. */
const standingAt = (position: ReadingPosition): ScreenChange => (_delta, applied) => Promise.resolve(applied(position))
/** A poller whose reading and deciding stand at the same checkpoint. */
const at = (next: bigint) => standingAt({nextToScreen: next, nextToDecide: next})

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
    await accounts.load(1n)
    assert.deepEqual([accounts.has(addr(1), 1n), accounts.has(addr(2), 1n), accounts.size], [true, false, 1])

    await db('accounts').insert({sui_address: addr(3)})
    await db('accounts').where({sui_address: addr(1)}).update({deleted_at: db.fn.now()})
    await db('accounts').where({sui_address: addr(2)}).update({deleted_at: null})
    const change = await accounts.refresh(at(5n))
    assert.ok(change, 'a read stage that takes it at once applies it')
    assert.deepEqual([change.added, change.removed, change.liveFrom], [2, 1, 5n])
    assert.deepEqual(change.picked.map((a) => a.address).sort(), [addr(2), addr(3)], 'the added and the returned count from the next checkpoint')
    assert.deepEqual([accounts.has(addr(1), 1n), accounts.has(addr(2), 1n), accounts.has(addr(3), 1n)], [false, true, true])
    const settled = await accounts.refresh(at(5n))
    assert.ok(settled)
    assert.deepEqual([settled.added, settled.removed], [0, 0], 'nothing is read twice once settled')
  })

  it('loads every active account across pages, whatever the ids the removed ones leave', async () => {
    await db('accounts').insert(Array.from({length: 250}, (_, i) => ({sui_address: addr(i + 1), ...(i % 7 === 3 ? {deleted_at: db.fn.now()} : {})})))
    const accounts = new MonitoredAccounts(db, {pageSize: 16})
    await accounts.load(1n)
    const expected = Array.from({length: 250}, (_, i) => i % 7 !== 3)
    assert.deepEqual(Array.from({length: 250}, (_, i) => accounts.has(addr(i + 1), 1n)), expected)
    assert.equal(accounts.size, expected.filter(Boolean).length)
    assert.equal(accounts.has(addr(251), 1n), false)
  })

  it('sees an account whose transaction commits after a refresh that started later', async () => {
    const accounts = new MonitoredAccounts(db)
    await accounts.load(1n)
    const slow = await db.transaction()
    await slow('accounts').insert({sui_address: addr(7)})
    // Others write and the poller refreshes while the slow writer is still open.
    await db('accounts').insert({sui_address: addr(8)})
    await accounts.refresh(at(1n))
    assert.ok(accounts.has(addr(8), 1n))
    assert.ok(!accounts.has(addr(7), 1n), 'not committed yet')
    await slow.commit()
    await accounts.refresh(at(1n))
    assert.ok(accounts.has(addr(7), 1n), 'the late commit is picked up')
  })
})

describe('MonitoredAccounts: monitored_from', () => {
  let db: Database

  before(async () => {
    db = createDatabase({url: process.env.DATABASE_URL as string})
  })

  beforeEach(async () => {
    await db.raw('TRUNCATE accounts, ingest_cursors RESTART IDENTITY CASCADE')
  })

  after(async () => {
    await db.raw('TRUNCATE accounts, ingest_cursors RESTART IDENTITY CASCADE')
    await db.destroy()
  })

  it('an account counts from its monitored_from, which defaults to the checkpoint after the cursor', async () => {
    await db('ingest_cursors').insert({name: POLLER_CURSOR, checkpoint: '41'})
    await db('accounts').insert({sui_address: addr(1)})
    const row = await db('accounts').where({sui_address: addr(1)}).first('monitored_from')
    assert.equal(row.monitored_from, '42')
    // A replay from before it (--reset-cursor back to 10) does not make it monitored earlier.
    const accounts = new MonitoredAccounts(db)
    await accounts.load(11n)
    assert.deepEqual([accounts.has(addr(1), 41n), accounts.has(addr(1), 42n)], [false, true])
  })

  it('picked up while checkpoints wait between screening and deciding: counts from the next to be screened, never before its own start', async () => {
    await db('accounts').insert({sui_address: addr(4)})
    const accounts = new MonitoredAccounts(db)
    await accounts.load(1n)
    await db('accounts').insert([{sui_address: addr(1), monitored_from: '12'}, {sui_address: addr(2), monitored_from: '3'}, {sui_address: addr(3)}])
    await db('accounts').where({sui_address: addr(4)}).update({email: 'four@test.io'})
    // Checkpoints 10..14 were screened with the set as it was; they are decided with the set as refreshed.
    const change = await accounts.refresh(standingAt({nextToScreen: 15n, nextToDecide: 10n}))
    assert.ok(change)
    assert.equal(change.liveFrom, 15n, 'the picked-up accounts are live from the next checkpoint screened')
    assert.deepEqual(change.picked.map((a) => a.address).sort(), [addr(1), addr(2), addr(3), addr(4)])
    assert.deepEqual([accounts.has(addr(1), 11n), accounts.has(addr(1), 12n)], [false, true], 'from its monitored_from, among the checkpoints screened already')
    assert.equal(accounts.has(addr(2), 10n), true, 'monitored from before: every checkpoint decided from now')
    assert.deepEqual([accounts.has(addr(3), 14n), accounts.has(addr(3), 15n)], [false, true], 'without a monitored_from: from the checkpoint markLive records as its own')
    assert.equal(accounts.has(addr(4), 10n), true, 'one already in the set was screened all along')
  })
})
