// The intake makes bee-queue's moves on bee-queue's keys, many jobs a call: these tests read the
// keys themselves (waiting, active, stalling, delayed, failed, the jobs hash), so a change in how
// either side uses them fails here, and they check what bee-queue's own parts then do with them
// (its stall check, its delayed-job timer, its counts).
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {Redis} from 'ioredis'
import {type IntakeJob, JobIntake} from '../../src/queue/job-intake.ts'
import type {BeeQueueInternals, QueueSide} from '../../src/queue/queue-base.ts'
import {TransactionConsumer} from '../../src/queue/transaction-consumer.ts'
import {TransactionQueue} from '../../src/queue/transaction-queue.ts'
import {sleep} from '../../src/support/sleep.ts'
import {deleteKeysWithPrefix} from '../support/redis-keys.ts'

const STALL_MS = 1_000

describe('JobIntake on bee-queue keys', function () {
  this.timeout(60_000)
  const redisUrl = process.env.REDIS_URL as string
  let prefix: string
  let producer: TransactionQueue
  let redis: Redis
  const queues: QueueSide[] = []
  const intakes: JobIntake[] = []

  beforeEach(async () => {
    prefix = `${process.env.REDIS_PREFIX}ji-${randomBytes(4).toString('hex')}:`
    producer = new TransactionQueue({redisUrl, redisPrefix: prefix})
    queues.push(producer)
    await producer.ready()
    redis = new Redis(redisUrl)
  })

  afterEach(async () => {
    for (const intake of intakes.splice(0)) intake.end()
    await Promise.all(queues.splice(0).map((queue) => queue.close(1_000)))
    await deleteKeysWithPrefix(redisUrl, prefix)
    redis.disconnect()
  })

  const key = (name: string) => `${prefix}bq:process-transaction:${name}`

  /** An intake on a consumer of its own; errors are collected. */
  async function intake(): Promise<{intake: JobIntake; consumer: TransactionConsumer; errors: Error[]}> {
    const consumer = new TransactionConsumer({redisUrl, redisPrefix: prefix, stallIntervalMs: STALL_MS})
    queues.push(consumer)
    await consumer.ready()
    const errors: Error[] = []
    const made = new JobIntake({queue: consumer.queue as unknown as BeeQueueInternals, stallIntervalMs: STALL_MS, onError: (error) => errors.push(error)})
    intakes.push(made)
    made.start()
    return {intake: made, consumer, errors}
  }

  const digests = (n: number, from = 0) => Array.from({length: n}, (_, i) => `ji${String(from + i).padStart(5, '0')}`)

  async function until(what: string, check: () => Promise<boolean>, deadlineMs = 10_000): Promise<void> {
    const end = Date.now() + deadlineMs
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`${what}: not within ${deadlineMs} ms`)
      await sleep(50)
    }
  }

  it('takes many jobs in one call, oldest first, with their data; done jobs leave every key', async () => {
    const all = digests(50)
    const before = Date.now()
    await producer.enqueue(all)
    const {intake: taking} = await intake()
    const jobs = await taking.take(20)
    assert.deepEqual(
      jobs.map((job) => job.id),
      all.slice(0, 20),
    )
    assert.deepEqual(jobs[3]!.data, {digest: all[3]})
    assert.ok(jobs[3]!.createdAtMs! >= before - 1_000 && jobs[3]!.createdAtMs! <= Date.now(), 'createdAtMs is the job timestamp')
    assert.equal(taking.heldCount, 20)
    assert.equal(await redis.llen(key('waiting')), 30)
    assert.deepEqual((await redis.lrange(key('active'), 0, -1)).sort(), all.slice(0, 20))

    await taking.finish(jobs.map((job) => ({job, ending: {kind: 'done'}})))
    assert.equal(taking.heldCount, 0)
    assert.equal(await redis.llen(key('active')), 0)
    assert.equal(await redis.hexists(key('jobs'), all[0]!), 0)
    assert.equal(await redis.hexists(key('jobs'), all[20]!), 1)
    const counts = await producer.counts()
    assert.deepEqual(counts, {waiting: 30, active: 0, delayed: 0, failed: 0})
  })

  it('ends each job as told: again at once, again later (raised by bee-queue when due), failed with its error', async () => {
    await producer.enqueue(['ji-now', 'ji-later', 'ji-failed', 'ji-done'])
    const {intake: taking} = await intake()
    const jobs = await taking.take(10)
    const byId = (id: string) => jobs.find((job) => job.id === id)!
    const due = Date.now() + 1_500
    await taking.finish([
      {job: byId('ji-now'), ending: {kind: 'again', delayMs: 0, error: new Error('first try failed')}},
      {job: byId('ji-later'), ending: {kind: 'again', delayMs: 1_500, error: new Error('wait a while')}},
      {job: byId('ji-failed'), ending: {kind: 'failed', error: new Error('never works')}},
      {job: byId('ji-done'), ending: {kind: 'done'}},
    ])
    assert.deepEqual(await redis.lrange(key('waiting'), 0, -1), ['ji-now'])
    assert.deepEqual(await redis.smembers(key('failed')), ['ji-failed'])
    const score = Number(await redis.zscore(key('delayed'), 'ji-later'))
    assert.ok(Math.abs(score - due) < 500, `due at ${score}, asked for about ${due}`)
    assert.equal(await redis.llen(key('active')), 0)

    const failed = JSON.parse((await redis.hget(key('jobs'), 'ji-failed'))!) as {data: unknown; status: string; options: {stacktraces: string[]}}
    assert.deepEqual(failed.data, {digest: 'ji-failed'})
    assert.equal(failed.status, 'failed')
    assert.match(failed.options.stacktraces[0]!, /never works/)
    assert.deepEqual(await producer.failedDigests(), ['ji-failed'], 'the producer finds it failed (worker --retry-failed)')
    const retried = await producer.requeue(['ji-failed'])
    assert.deepEqual(retried.retried, ['ji-failed'], 'bee-queue reads it as its own failed job')

    // The intake started bee-queue's delayed-job timer; it hears the announcement and raises the job.
    await until('the delayed job is raised', async () => (await redis.lrange(key('waiting'), 0, -1)).includes('ji-later'))
    assert.ok(Date.now() >= due - 100, 'not raised before it was due')
    const again = await taking.take(10)
    assert.deepEqual(again.map((job) => job.id).sort(), ['ji-failed', 'ji-later', 'ji-now'])
    const now = again.find((job) => job.id === 'ji-now')!
    assert.match((now.stored.options!.stacktraces as string[])[0]!, /first try failed/)
  })

  it('waits for work when none is waiting, and takes what came with it', async () => {
    const {intake: taking} = await intake()
    const taken = taking.take(10)
    await sleep(300)
    await producer.enqueue(digests(3))
    const jobs = await taken
    assert.ok(jobs.length >= 1, 'the first job ends the wait')
    const rest = jobs.length < 3 ? await taking.take(10) : []
    assert.deepEqual([...jobs, ...rest].map((job) => job.id).sort(), digests(3))
  })

  it('stop ends a wait at once, with nothing taken', async () => {
    const {intake: taking} = await intake()
    const taken = taking.take(10)
    await sleep(200)
    const stopped = Date.now()
    await taking.stop()
    assert.deepEqual(await taken, [])
    assert.ok(Date.now() - stopped < 1_000, 'the blocking wait did not run to its deadline')
    await producer.enqueue(digests(1))
    assert.equal(await redis.llen(key('waiting')), 1, 'a stopped intake takes nothing more')
  })

  it('a stop at any moment of a take (its script, the wait starting) ends it at once', async () => {
    for (const delayMs of [0, 0, 1, 1, 2, 3, 5, 8]) {
      const {intake: taking} = await intake()
      const taken = taking.take(10)
      await sleep(delayMs)
      const stopped = Date.now()
      await taking.stop()
      assert.deepEqual(await taken, [])
      assert.ok(Date.now() - stopped < 1_000, `stopped ${delayMs} ms into the take: the wait ran on (${Date.now() - stopped} ms)`)
    }
  })

  it('a job a wait moves as it is stopped is either taken or given back, never left in active', async () => {
    for (let round = 0; round < 10; round++) {
      const {intake: taking} = await intake()
      const taken = taking.take(10)
      await sleep(50)
      await Promise.all([producer.enqueue([`ji-race-${round}`]), taking.stop()])
      const jobs = await taken
      const [waiting, active] = [await redis.lrange(key('waiting'), 0, -1), await redis.lrange(key('active'), 0, -1)]
      if (jobs.length > 0) assert.deepEqual({waiting, active}, {waiting: [], active: [`ji-race-${round}`]}, 'taken: held')
      else assert.deepEqual({waiting, active}, {waiting: [`ji-race-${round}`], active: []}, 'not taken: waiting, at the tail')
      await redis.del(key('waiting'), key('active'))
    }
  })

  it('renews its claims past several stall checks; a job it no longer renews is put back by bee-queue', async () => {
    await producer.enqueue(digests(2))
    const {intake: holding} = await intake()
    const held: IntakeJob[] = await holding.take(10)
    assert.equal(held.length, 2)
    const {consumer: checker} = await intake()
    const stalled: string[] = []
    checker.onStalled((id) => stalled.push(id))
    checker.startStallChecks()
    await sleep(STALL_MS * 3.5)
    assert.deepEqual(stalled, [], 'held jobs are renewed')
    assert.equal(await redis.llen(key('active')), 2)

    holding.end()
    // The check's LPUSH can be seen here before its reply reaches the checker, which then says so.
    await until('the jobs are put back', async () => (await redis.llen(key('waiting'))) === 2 && stalled.length === 2)
    assert.deepEqual(stalled.sort(), digests(2))
  })

  it('drops an id whose job is gone from active at once', async () => {
    await redis.lpush(key('waiting'), 'ji-gone')
    await producer.enqueue(['ji-here'])
    const {intake: taking} = await intake()
    const jobs = await taking.take(10)
    assert.deepEqual(
      jobs.map((job) => job.id),
      ['ji-here'],
    )
    assert.deepEqual(await redis.lrange(key('active'), 0, -1), ['ji-here'])
  })
})

describe('TransactionConsumer.consume', function () {
  this.timeout(60_000)
  const redisUrl = process.env.REDIS_URL as string
  let prefix: string
  const queues: QueueSide[] = []

  beforeEach(() => {
    prefix = `${process.env.REDIS_PREFIX}tc-${randomBytes(4).toString('hex')}:`
  })

  afterEach(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.close(1_000)))
    await deleteKeysWithPrefix(redisUrl, prefix)
  })

  /** Runs `count` jobs through consume at these limits; answers the most held at once and the batch sizes. */
  async function run(count: number, concurrency: number, parallel: number): Promise<{most: number; sizes: number[]}> {
    const producer = new TransactionQueue({redisUrl, redisPrefix: prefix})
    const consumer = new TransactionConsumer({redisUrl, redisPrefix: prefix})
    queues.push(producer, consumer)
    await producer.enqueue(Array.from({length: count}, (_, i) => `tc${i}`))
    let held = 0
    let most = 0
    let done = 0
    const sizes: number[] = []
    await new Promise<void>((resolve) => {
      consumer.consume({concurrency, parallel}, async (jobs) => {
        held += jobs.length
        most = Math.max(most, held)
        sizes.push(jobs.length)
        await sleep(5)
        held -= jobs.length
        done += jobs.length
        if (done === count) resolve()
        return jobs.map(() => undefined)
      })
    })
    return {most, sizes}
  }

  for (const [concurrency, parallel] of [
    [5, 2],
    [1, 2],
    [32, 2],
  ] as const) {
    it(`holds at most ${concurrency} jobs at once with ${parallel} batches`, async () => {
      const {most, sizes} = await run(200, concurrency, parallel)
      assert.ok(most <= concurrency, `held ${most} at once`)
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        200,
      )
      if (concurrency > 1) assert.ok(Math.max(...sizes) > 1, 'jobs come in batches')
    })
  }

  it("ends a failed job as its control said, and a job whose handler said nothing as failed; a handler that throws fails its batch's jobs", async () => {
    const producer = new TransactionQueue({redisUrl, redisPrefix: prefix})
    const consumer = new TransactionConsumer({redisUrl, redisPrefix: prefix})
    queues.push(producer, consumer)
    await producer.enqueue(['tc-again', 'tc-failed', 'tc-silent', 'tc-done'])
    const seen = new Map<string, number>()
    await new Promise<void>((resolve) => {
      consumer.consume({concurrency: 8, parallel: 1}, async (jobs) => {
        for (const job of jobs) seen.set(job.digest, (seen.get(job.digest) ?? 0) + 1)
        if (seen.get('tc-again') === 2) {
          setImmediate(resolve)
          throw new Error('the whole batch failed')
        }
        return jobs.map((job) => {
          if (job.digest === 'tc-again') job.control.retryIn(0)
          if (job.digest === 'tc-failed') job.control.noRetry()
          return job.digest === 'tc-done' ? undefined : new Error(`${job.digest} did not work`)
        })
      })
    })
    await sleep(200)
    assert.deepEqual(Object.fromEntries(seen), {'tc-again': 2, 'tc-failed': 1, 'tc-silent': 1, 'tc-done': 1})
    assert.deepEqual((await producer.failedDigests()).sort(), ['tc-again', 'tc-failed', 'tc-silent'])
    assert.equal((await producer.counts()).waiting, 0)
  })
})
