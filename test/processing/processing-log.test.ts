// The processing log's failure updates are fenced by the claim, the outbox leaves transactions that
// failed for good to the operator (and those just stored to the poller), and --retry-failed pages
// through them.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {Redis} from 'ioredis'
import {retryFailed} from '../../src/processing/failed-jobs.ts'
import {markFailed, markRetrying} from '../../src/processing/processing-log.ts'
import {Outbox} from '../../src/queue/outbox.ts'
import {TransactionQueue} from '../../src/queue/transaction-queue.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {deleteKeysWithPrefix} from '../support/redis-keys.ts'

describe('the processing log', function () {
  this.timeout(60_000)
  let db: Database
  const run = randomBytes(4).toString('hex')
  const digest = (i: number) => `plog${run}${String(i).padStart(5, '0')}`
  const log = (d: string) => db('transaction_processing_log').where({tx_digest: d}).first('status', 'error_message', 'claimed_by')

  before(() => (db = createDatabase({url: process.env.DATABASE_URL as string})))
  after(async () => {
    await db('transaction_processing_log').where('tx_digest', 'like', `plog${run}%`).delete()
    await db('raw_blockchain_events').where('tx_digest', 'like', `plog${run}%`).delete()
    await db.destroy()
  })

  it('a worker paused past its claim cannot change a row another run claimed or completed', async () => {
    await db('transaction_processing_log').insert([
      {tx_digest: digest(1), status: 'completed', claimed_by: 'host-b:77:1'},
      {tx_digest: digest(2), status: 'processing', claimed_by: 'host-b:77:2'},
      {tx_digest: digest(3), status: 'processing', claimed_by: 'host-a:42:9'},
      {tx_digest: digest(4), status: 'processing', claimed_by: 'host-a:421:1'},
    ])
    assert.equal(await markRetrying(db, digest(1), 'late', 'host-a:42'), false)
    assert.deepEqual(await markFailed(db, digest(2), 'late', 'host-a:42', ['SUI']), {recorded: false, staled: 0})
    assert.deepEqual(await markFailed(db, digest(4), 'late', 'host-a:42', ['SUI']), {recorded: false, staled: 0}, 'pid 42 is not pid 421')
    assert.equal(await markRetrying(db, digest(3), 'timeout', 'host-a:42'), true)
    assert.deepEqual((await log(digest(1)))?.status, 'completed')
    assert.deepEqual((await log(digest(2)))?.status, 'processing')
    assert.deepEqual(await log(digest(3)), {status: 'pending', error_message: 'timeout', claimed_by: 'host-a:42:9'})
  })

  describe('with the queue', () => {
    let queue: TransactionQueue
    const prefix = `${process.env.REDIS_PREFIX}plog${run}:`
    before(async () => {
      queue = new TransactionQueue({redisUrl: process.env.REDIS_URL as string, redisPrefix: prefix})
      await queue.ready()
    })
    after(async () => {
      await queue.close()
      await deleteKeysWithPrefix(process.env.REDIS_URL as string, prefix)
    })

    const rawEvent = (d: string, storedAgo: boolean) => ({
      tx_digest: d, checkpoint: '1', tx_index: 0, sender: `0x${'1'.repeat(64)}`, ...(storedAgo ? {created_at: db.raw("now() - interval '1 hour'")} : {}),
    })

    it('the outbox leaves a transaction that failed for good alone, and one stored a moment ago, and queues the others again', async () => {
      await db('raw_blockchain_events').insert([rawEvent(digest(10), true), rawEvent(digest(11), true), rawEvent(digest(12), false), rawEvent(digest(13), true)])
      await db('transaction_processing_log').insert({tx_digest: digest(10), status: 'failed', error_message: 'undecodable'})
      await queue.enqueue([digest(13)])
      const swept = await new Outbox(db, queue).sweep()
      assert.deepEqual(
        await queue.missing([digest(10), digest(11), digest(12), digest(13)]),
        [digest(10), digest(12)],
        'the lost job is queued again; the failed one waits for --retry-failed, the new one for the poller',
      )
      assert.ok(swept.requeued >= 1)
      const redis = new Redis(process.env.REDIS_URL as string)
      const waiting = await redis.lrange(`${prefix}bq:process-transaction:waiting`, 0, -1).finally(() => redis.disconnect())
      assert.equal(waiting.filter((id) => id === digest(13)).length, 1, 'a job Redis has is not queued twice')
    })

    it('--retry-failed requeues 2,500 failed transactions page by page, each once', async () => {
      const digests = Array.from({length: 2_500}, (_, i) => digest(1_000 + i))
      for (let i = 0; i < digests.length; i += 500) {
        await db('transaction_processing_log').insert(digests.slice(i, i + 500).map((d) => ({tx_digest: d, status: 'failed', attempts: 3, error_message: 'boom'})))
      }
      const result = await retryFailed(db, queue)
      assert.ok(result.found >= 2_500)
      const statuses = await db('transaction_processing_log').whereIn('tx_digest', digests).select('status', 'attempts')
      assert.ok(statuses.every((r) => r.status === 'pending' && r.attempts === 0))
      assert.equal((await queue.counts()).waiting >= 2_500, true)
    })
  })
})
