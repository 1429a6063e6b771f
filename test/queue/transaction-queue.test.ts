// enqueue writes jobs in bee-queue's own form, many to a script run: a bee-queue worker takes each
// once, and a job that exists (waiting, or taken and failed) is left as it is. missing finds the
// ids that have no job, many to a script run too.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import type {QueueSide} from '../../src/queue/queue-base.ts'
import {TransactionConsumer} from '../../src/queue/transaction-consumer.ts'
import {TransactionQueue} from '../../src/queue/transaction-queue.ts'
import {deleteKeysWithPrefix} from '../support/redis-keys.ts'

describe('TransactionQueue.enqueue and missing', function () {
  this.timeout(60_000)
  const redisUrl = process.env.REDIS_URL as string
  let prefix: string
  let producer: TransactionQueue
  const queues: QueueSide[] = []

  beforeEach(async () => {
    prefix = `${process.env.REDIS_PREFIX}tq-${randomBytes(4).toString('hex')}:`
    producer = new TransactionQueue({redisUrl, redisPrefix: prefix})
    queues.push(producer)
    await producer.ready()
  })

  afterEach(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.close(1_000)))
    await deleteKeysWithPrefix(redisUrl, prefix)
  })

  /** Takes jobs with a consumer until `count` have run, then stops it. */
  async function consume(count: number, handler: (digest: string) => Promise<void> = async () => undefined): Promise<string[]> {
    const worker = new TransactionConsumer({redisUrl, redisPrefix: prefix})
    queues.push(worker)
    const seen: string[] = []
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} jobs ran within 20 s`)), 20_000)
      worker.consume({concurrency: 4, parallel: 2}, async (jobs) => {
        const errors: unknown[] = []
        for (const {digest, control} of jobs) {
          seen.push(digest)
          if (seen.length === count) {
            clearTimeout(timer)
            setImmediate(resolve)
          }
          control.noRetry()
          errors.push(await handler(digest).then(() => undefined, (error: unknown) => error))
        }
        return errors
      })
    })
    await worker.close(2_000)
    return seen
  }

  it('creates a job per digest across script runs; a bee-queue worker takes each once with its digest', async () => {
    const digests = Array.from({length: 2_345}, (_, i) => `tq${String(i).padStart(6, '0')}`)
    const {queued, failed} = await producer.enqueue(digests)
    assert.deepEqual(failed, [])
    assert.deepEqual(queued, digests)
    assert.equal((await producer.counts()).waiting, digests.length)
    const job = await producer.queue.getJob(digests[1_500]!)
    assert.deepEqual({id: job.id, data: job.data, status: job.status}, {id: digests[1_500], data: {digest: digests[1_500]}, status: 'created'}, 'bee-queue reads the job as its own')
    const asked = [...digests.slice(0, 500), 'tq-absent-1', ...digests.slice(500), 'tq-absent-2']
    assert.deepEqual(await producer.missing(asked), ['tq-absent-1', 'tq-absent-2'], 'missing asks across script runs, in order')
    const seen = await consume(digests.length)
    assert.deepEqual([...seen].sort(), digests)
  })

  it('leaves a job that exists as it is: a second enqueue adds no waiting entry, and a failed job stays failed', async () => {
    await producer.enqueue(['tq-a', 'tq-b'])
    const again = await producer.enqueue(['tq-a', 'tq-b', 'tq-c'])
    assert.deepEqual(again, {queued: ['tq-a', 'tq-b', 'tq-c'], failed: []})
    assert.equal((await producer.counts()).waiting, 3, 'tq-a and tq-b wait once each')

    await consume(3, async (digest) => {
      if (digest === 'tq-b') throw new Error('fails for good')
    })
    assert.deepEqual(await producer.failedDigests(), ['tq-b'])
    await producer.enqueue(['tq-b'])
    const counts = await producer.counts()
    assert.deepEqual({waiting: counts.waiting, failed: counts.failed}, {waiting: 0, failed: 1}, 'the failed job is not queued again by enqueue')
    assert.deepEqual(await producer.missing(['tq-a', 'tq-b', 'tq-c']), ['tq-a', 'tq-c'], 'finished jobs are removed; the failed one remains')
  })
})
