// `confio webhooks list`, `confio webhooks retry` and the webhooks section of `confio status`, run
// as an operator runs them, over rows in each state.
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {jsonOf, runCli} from '../support/cli.ts'

describe('confio webhooks', function () {
  this.timeout(60_000)
  let db: Database
  const ids = {failed: '', pending: '', delivered: ''}

  before(async () => {
    db = createDatabase({url: process.env.DATABASE_URL as string})
    await db.raw('TRUNCATE webhook_deliveries')
    for (const status of ['failed', 'pending', 'delivered'] as const) {
      const [row] = await db('webhook_deliveries')
        .insert({
          source: `test:${randomUUID()}`,
          type: 'account.transaction',
          payload: {digest: `digest-${status}`},
          status,
          attempts: 3,
          last_error: status === 'delivered' ? null : 'HTTP 500',
          created_at: db.raw(`now() - interval '2 hours'`),
          delivered_at: status === 'delivered' ? db.fn.now() : null,
        })
        .returning('id')
      ids[status] = row.id
    }
  })
  after(async () => {
    await db.raw('TRUNCATE webhook_deliveries')
    await db.destroy()
  })

  it('lists what is not delivered, or only the failed ones', async () => {
    const all = jsonOf<{deliveries: {id: string; status: string; lastError: string; subject: string}[]}>(await runCli(['webhooks', 'list', '--json']))
    assert.deepEqual(all.deliveries.map((d) => [d.status, d.lastError, d.subject]).sort(), [['failed', 'HTTP 500', 'digest-failed'], ['pending', 'HTTP 500', 'digest-pending']])
    const failed = await runCli(['webhooks', 'list', '--failed'])
    assert.equal(failed.code, 0)
    assert.match(failed.stdout, new RegExp(`${ids.failed}\\s+account.transaction\\s+failed\\s+3`))
    assert.doesNotMatch(failed.stdout, new RegExp(ids.pending))
  })

  it('shows the backlog and the failed ones in confio status, with an alarm', async () => {
    const result = await runCli(['status', '--json'])
    const report = jsonOf<{webhooks: {pending: number; oldestPendingMs: number; failed: number}; alarms: {code: string}[]}>(result)
    assert.equal(report.webhooks.pending, 1)
    assert.equal(report.webhooks.failed, 1)
    assert.ok(report.webhooks.oldestPendingMs >= 2 * 3_600_000 - 60_000)
    assert.ok(report.alarms.some((a) => a.code === 'WEBHOOKS_FAILED'))
    const text = await runCli(['status'])
    assert.match(text.stdout, /Webhooks\n\s+backlog\s+1 to deliver, oldest queued 2\.0 h ago\n\s+failed\s+1 \(confio webhooks list --failed\)/)
  })

  it('refuses an unknown id without changing anything, exit 2', async () => {
    const result = await runCli(['webhooks', 'retry', '--id', ids.failed, '--id', randomUUID(), '--json'])
    assert.equal(result.code, 2)
    assert.equal((await db('webhook_deliveries').where({id: ids.failed}).first()).status, 'failed')
    assert.equal((await runCli(['webhooks', 'retry'])).code, 2, 'one of --id and --all-failed is required')
  })

  it('makes the failed ones due again with a new 24 h, or the one named', async () => {
    const result = jsonOf<{retried: string[]}>(await runCli(['webhooks', 'retry', '--all-failed', '--json']))
    assert.deepEqual(result.retried, [ids.failed])
    const row = await db('webhook_deliveries').where({id: ids.failed}).first()
    assert.deepEqual([row.status, row.attempts], ['pending', 0])
    assert.ok(row.next_attempt_at.getTime() <= Date.now() + 1_000)
    assert.ok(row.give_up_at.getTime() > Date.now() + 23 * 3_600_000)
    const again = await runCli(['webhooks', 'retry', '--id', ids.delivered])
    assert.equal(again.code, 0)
    assert.match(again.stdout, /1 webhook event\(s\) due again/)
    assert.equal((await db('webhook_deliveries').where({id: ids.delivered}).first()).status, 'pending')
  })
})
