// bee-queue's own Redis client as confio makes it (src/queue/bee-queue-redis.ts), against a Redis
// that is not there, one that is something else (PostgreSQL's port), and a redis-server of this
// file's own that is killed and started again: no failure is ever left unhandled, each reconnection attempt is one
// line for all the queues of a process, a queue's close ends its connections whatever their state,
// and bee-queue's scripts work again after a restart.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {SecretScrubber} from '../../src/secrets.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {BeatQueue} from '../../src/queue/beat-queue.ts'
import {TransactionQueue} from '../../src/queue/transaction-queue.ts'
import {sleep} from '../../src/support/sleep.ts'
import {eventually} from '../support/child-process.ts'
import {postgresPortAsRedis, PrivateRedis} from '../support/private-redis.ts'

/** A logger whose lines (their messages) are kept. */
function capturing(): {logger: ReturnType<typeof createLogger>; messages: string[]} {
  const messages: string[] = []
  const logger = createLogger({level: 'info', scrubber: new SecretScrubber(), pretty: false, write: (line) => messages.push((JSON.parse(line) as {msg: string}).msg)})
  return {logger, messages}
}

describe("bee-queue's Redis client", function () {
  this.timeout(60_000)
  const prefix = `${process.env.REDIS_PREFIX}bqr-${randomBytes(3).toString('hex')}:`

  it('on a port where PostgreSQL answers: nothing is left unhandled while no one waits, ready() rejects, close() returns', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    const queue = new TransactionQueue({redisUrl: postgresPortAsRedis(), redisPrefix: prefix})
    // No one awaits ready() yet (a command opens its queue, then reads the chain): its failure
    // must not be an unhandled rejection, which ends a confio process with a stack trace.
    await sleep(1_000).finally(() => process.off('unhandledRejection', onUnhandled))
    assert.deepEqual(unhandled.map(String), [])
    await assert.rejects(queue.ready(), /Ready check failed/)
    await queue.close(1_000)
  })

  it('on a port where nothing listens: keeps trying, one line per attempt; close() ends the attempts', async () => {
    const {logger, messages} = capturing()
    const url = 'redis://127.0.0.1:1/0'
    const queues = [new TransactionQueue({redisUrl: url, redisPrefix: prefix, logger}), new BeatQueue({redisUrl: url, redisPrefix: prefix, logger})]
    const ready = Promise.race(queues.map((q) => q.ready().then(() => 'ready', () => 'rejected')))
    await eventually(async () => messages.filter((m) => /attempt 4\)$/.test(m)).length > 0, 10_000, 'the fourth attempt logged')
    assert.equal(await Promise.race([ready, sleep(100).then(() => 'waiting')]), 'waiting', 'ready() waits for Redis')
    const attempts = messages.map((m) => /^Redis at redis:\/\/127\.0\.0\.1:1\/0 cannot be reached \(.*ECONNREFUSED.*\); the queue tries again in [\d.]+ s \(attempt (\d+)\)$/.exec(m)?.[1])
    assert.ok(attempts.every((n) => n !== undefined), messages.join('\n'))
    // Two queues, three clients: still one line per attempt, in order.
    assert.deepEqual(attempts.map(Number), attempts.map((_, i) => i + 1))
    await Promise.all(queues.map((q) => q.close(500)))
    const after = messages.length
    await sleep(2_000)
    assert.equal(messages.length, after, `no attempt after close:\n${messages.slice(after).join('\n')}`)
  })

  describe('with Redis killed and started again', () => {
    let redis: PrivateRedis
    let queue: BeatQueue | undefined

    before(async () => {
      redis = await PrivateRedis.start()
    })

    after(async () => {
      await queue?.close(1_000)
      await redis.down()
    })

    it("says when Redis is back, and bee-queue's scripts (a beat job's save) work again", async () => {
      const {logger, messages} = capturing()
      queue = new BeatQueue({redisUrl: redis.url, redisPrefix: prefix, logger})
      await queue.ready()
      const job = (slot: string) => ({task: 'cleanup', slotStart: slot, params: {}})
      assert.equal(await queue.enqueue(job('2026-01-01T00:00:00.000Z')), true)
      await redis.down()
      await eventually(async () => (await queue!.has('none').catch(() => 'failed')) === 'failed', 10_000, 'Redis gone for the queue')
      await redis.up()
      // Back when a plain command (HGET) is answered again.
      await eventually(async () => (await queue!.has('none').catch(() => undefined)) === false, 15_000, 'Redis answering the queue again')
      // Redis came back empty: without bee-queue's scripts loaded again every save fails with NOSCRIPT.
      let saved: boolean | undefined
      await eventually(
        async () => {
          saved = await queue!.enqueue(job('2026-01-02T00:00:00.000Z')).catch(() => undefined)
          return saved !== undefined
        },
        10_000,
        'a beat job saved after the restart',
      )
      assert.equal(saved, true)
      assert.equal(await queue.has('cleanup:2026-01-02T00:00:00.000Z'), true)
      assert.ok(messages.includes(`Redis at ${redis.url} answers again`), messages.join('\n'))
    })
  })
})
