// WebhookSender against a real HTTP receiver that drops, hangs and answers 500 part of the time:
// every event acknowledged exactly once (no sender was killed, so no lease lapsed), every
// signature valid; an event failing past its give_up_at is kept `failed` and `retry` resends it.
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {bodyOf, listDeliveries, readWebhookBacklog, retryDeliveries} from '../../src/webhooks/webhook-deliveries.ts'
import {WebhookSender, type WebhookSenderOptions} from '../../src/webhooks/webhook-sender.ts'
import {signatureHeader, verifySignature} from '../../src/webhooks/webhook-signature.ts'
import {eventually} from '../support/child-process.ts'
import {FlakyReceiver} from './flaky-receiver.ts'

const SECRET = 'whsec_test_0123456789'
const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})

/** Queues `count` events as the worker would (the payload is only carried, never read, by the sender). */
async function queueEvents(db: Database, count: number): Promise<string[]> {
  const rows = Array.from({length: count}, (_, i) => ({source: `test:${randomUUID()}`, type: 'account.transaction', payload: {n: i, amount: '-5'}}))
  const inserted: {id: string}[] = await db('webhook_deliveries').insert(rows).returning('id')
  return inserted.map((r) => r.id)
}

async function statusCounts(db: Database): Promise<Record<string, number>> {
  const rows: {status: string; n: string}[] = await db('webhook_deliveries').select('status').count('* as n').groupBy('status')
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
}

describe('webhook sender', function () {
  this.timeout(60_000)
  let db: Database
  let receiver: FlakyReceiver | undefined
  let sender: WebhookSender | undefined

  const startSender = (options: Partial<WebhookSenderOptions> = {}) => {
    sender = new WebhookSender({db, url: receiver!.url, secret: SECRET, logger: silent, concurrency: 8, timeoutMs: 1_000, retry: {baseMs: 20, maxMs: 200}, idleIntervalMs: 50, ...options})
    sender.start()
    return sender
  }

  before(() => {
    db = createDatabase({url: process.env.DATABASE_URL as string})
  })
  beforeEach(async () => {
    await db.raw('TRUNCATE webhook_deliveries')
  })
  afterEach(async () => {
    await sender?.stop()
    sender = undefined
    await receiver?.close()
    receiver = undefined
  })
  after(async () => {
    await db.raw('TRUNCATE webhook_deliveries')
    await db.destroy()
  })

  it('signs "<t>.<body>" with HMAC-SHA256 and verifies only a fresh, untouched one', () => {
    const body = '{"id":"x"}'
    const header = signatureHeader(SECRET, body, 1_700_000_000)
    assert.match(header, /^t=1700000000,v1=[0-9a-f]{64}$/)
    assert.equal(verifySignature(SECRET, header, body, 1_700_000_000 + 299), true)
    assert.equal(verifySignature(SECRET, header, body, 1_700_000_000 + 301), false, 'older than 5 minutes')
    assert.equal(verifySignature(SECRET, header, `${body} `, 1_700_000_000), false, 'body changed')
    assert.equal(verifySignature('other', header, body, 1_700_000_000), false, 'other secret')
  })

  it('delivers every event through drops, hangs and 500s, each acknowledged once, every signature valid', async () => {
    receiver = await FlakyReceiver.start(SECRET, {drop: 0.15, hang: 0.1, error: 0.2}, 7)
    const ids = await queueEvents(db, 300)
    startSender()
    await eventually(async () => (await statusCounts(db)).delivered === ids.length, 45_000, 'every event delivered')
    assert.deepEqual(receiver.badSignatures, [])
    assert.deepEqual([...receiver.ids].sort(), [...ids].sort())
    assert.deepEqual([...receiver.acknowledged.values()].filter((n) => n !== 1), [], 'each id acknowledged once')
    assert.ok(receiver.requests > ids.length, 'the faults were exercised')
    const retried: {n: string}[] = await db('webhook_deliveries').where('attempts', '>', 1).count('* as n')
    assert.ok(Number(retried[0]!.n) > 0, 'some events needed more than one attempt')
    // The body is the stored event, the same bytes on every attempt.
    const row = await db('webhook_deliveries').where({id: ids[0]}).first()
    assert.deepEqual(receiver.events.get(ids[0]!), JSON.parse(bodyOf({id: row.id, type: row.type, createdAt: row.created_at.toISOString(), payload: row.payload})))
    assert.deepEqual(await readWebhookBacklog(db), {pending: 0, oldestPendingMs: null, failed: 0})
  })

  it('keeps an event failed once its 24 h are over, lists it, and delivers it again on retry', async () => {
    receiver = await FlakyReceiver.start(SECRET, {error: 1})
    const [gone, young] = await queueEvents(db, 2)
    await db('webhook_deliveries').where({id: gone}).update({give_up_at: db.raw(`now() - interval '1 second'`)})
    startSender()
    await eventually(async () => (await statusCounts(db)).failed === 1, 10_000, 'the old event failed')
    const failed = await listDeliveries(db, {failedOnly: true, limit: 10})
    assert.deepEqual(failed.map((d) => [d.id, d.status, d.lastError]), [[gone, 'failed', 'HTTP 500']])
    const backlog = await readWebhookBacklog(db)
    assert.equal(backlog.failed, 1)
    assert.equal(backlog.pending, 1, 'the young one is still being retried')
    const young1 = await db('webhook_deliveries').where({id: young}).first()
    assert.equal(young1.status, 'pending')
    assert.equal(young1.last_error, 'HTTP 500')

    receiver.faults = {}
    assert.deepEqual(await retryDeliveries(db, undefined), [gone])
    await eventually(async () => (await statusCounts(db)).delivered === 2, 10_000, 'both delivered')
    assert.deepEqual([...receiver.ids].sort(), [gone, young].sort())
  })

  it('counts a hung request as a failure after its deadline, without holding up the others', async () => {
    receiver = await FlakyReceiver.start(SECRET, {hang: 1})
    const ids = await queueEvents(db, 20)
    startSender({timeoutMs: 200, retry: {baseMs: 60_000, maxMs: 60_000}})
    await eventually(async () => Number((await db('webhook_deliveries').whereNotNull('last_error').count('* as n'))[0]!.n) === ids.length, 10_000, 'every event attempted')
    const rows: {last_error: string; attempts: number}[] = await db('webhook_deliveries').select('last_error', 'attempts')
    assert.deepEqual(new Set(rows.map((r) => r.last_error)), new Set(['no answer within 200 ms']))
    assert.deepEqual(new Set(rows.map((r) => r.attempts)), new Set([1]))
  })

  it('stops within its grace while the receiver hangs, giving the unsent events back', async () => {
    receiver = await FlakyReceiver.start(SECRET, {hang: 1})
    await queueEvents(db, 5)
    startSender({timeoutMs: 30_000, stopGraceMs: 200})
    await eventually(async () => receiver!.requests === 5, 10_000, 'all five sent')
    const started = Date.now()
    await sender!.stop()
    assert.ok(Date.now() - started < 5_000, 'stop did not wait for the receiver')
    const rows: {status: string; attempts: number}[] = await db('webhook_deliveries').select('status', 'attempts')
    assert.deepEqual(rows.map((r) => [r.status, r.attempts]), Array.from({length: 5}, () => ['pending', 0]))
    const due: {n: string}[] = await db('webhook_deliveries').where('next_attempt_at', '<=', db.fn.now()).count('* as n')
    assert.equal(Number(due[0]!.n), 5, 'due again at once')
  })
})
