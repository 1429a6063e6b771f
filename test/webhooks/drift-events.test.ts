// A drift record reconcile opens queues one `balance.drift` event in the same statement; the same
// drift seen again, or recorded without webhooks, queues none.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {closeDrift, recordDrift} from '../../src/reconcile/drift-records.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'

describe('drift events', () => {
  let db: Database
  let accountId: string
  const address = `0x${randomBytes(32).toString('hex')}`

  before(async () => {
    db = createDatabase({url: process.env.DATABASE_URL as string})
    const [row] = await db('accounts').insert({email: `drift-${randomBytes(3).toString('hex')}@webhooks.test`, sui_address: address}).returning('id')
    accountId = String(row.id)
    await db.raw('TRUNCATE webhook_deliveries')
  })
  after(async () => {
    await db.raw('TRUNCATE webhook_deliveries')
    await db('balance_drift').where({account_id: accountId}).delete()
    await db('accounts').where({id: accountId}).delete()
    await db.destroy()
  })

  const finding = (chain: bigint) => ({accountId, token: 'CUSD', cached: 100n, chain, difference: chain - 100n, checkpoint: 42n, address, email: null, corrected: true})
  const events = async () => (await db('webhook_deliveries').select('type', 'payload', 'source').orderBy('created_at')) as {type: string; payload: Record<string, unknown>; source: string}[]

  it('queues one event when a record opens, none when it is seen again', async () => {
    await recordDrift(db, [finding(150n)], {webhooks: true})
    await recordDrift(db, [finding(160n)], {webhooks: true})
    const [event, ...more] = await events()
    assert.equal(more.length, 0)
    const drift = await db('balance_drift').where({account_id: accountId}).first()
    assert.equal(event!.type, 'balance.drift')
    assert.equal(event!.source, `balance_drift:${drift.id}`)
    assert.deepEqual(
      {...event!.payload, firstSeen: undefined},
      {account: {id: accountId, email: (await db('accounts').where({id: accountId}).first()).email, address}, token: 'CUSD', cached: '100', chain: '150', difference: '50', checkpoint: '42', firstSeen: undefined},
    )
    assert.match(String(event!.payload.firstSeen), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })

  it('queues an event for a new record after the old one closed, and none without webhooks', async () => {
    await closeDrift(db, [{accountId, token: 'CUSD'}])
    await recordDrift(db, [finding(170n)], {webhooks: false})
    assert.equal((await events()).length, 1)
    await closeDrift(db, [{accountId, token: 'CUSD'}])
    await recordDrift(db, [finding(180n)], {webhooks: true})
    assert.deepEqual((await events()).map((e) => e.payload.chain), ['150', '180'])
  })
})
