// The worker loop in-process, on the real queue: jobs held together are written in fewer database
// transactions than there are jobs, and a long run reports its progress.
import assert from 'node:assert/strict'
import {createLogger} from '../../src/logging/logger.ts'
import {TransactionWorker} from '../../src/processing/transaction-worker.ts'
import {TransactionConsumer} from '../../src/queue/transaction-consumer.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {batchProcessor, historyOf, pollOnce, startFundedWorld, type WorkerWorld} from './worker-support.ts'

describe('transaction worker loop', function () {
  this.timeout(60_000)
  let w: WorkerWorld

  let alice: string
  let bob: string

  before(async () => {
    ;({w, alice, bob} = await startFundedWorld())
  })

  after(async () => {
    await w?.close()
  })

  it('write the queued jobs in batches, log progress, and count what it did', async () => {
    for (let i = 1; i <= 20; i++) w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: BigInt(i)})
    await pollOnce(w)
    const stored = (await w.db('raw_blockchain_events').count({n: '*'}).first())!.n
    const lines: Record<string, unknown>[] = []
    const logger = createLogger({level: 'info', scrubber: new SecretScrubber(), pretty: false, write: (line) => lines.push(JSON.parse(line))})
    const queue = new TransactionConsumer({redisUrl: process.env.REDIS_URL as string, redisPrefix: w.prefix, stallIntervalMs: 1_000})
    const processor = batchProcessor(w, logger)
    const worker = new TransactionWorker({queue, processor, concurrency: 8, parallelBatches: 2, drain: true, logger, stopGraceMs: 2_000, drainPollMs: 20, progressIntervalMs: 1})
    const result = await worker.run(new AbortController().signal)

    assert.equal(result.stoppedBy, 'drained')
    assert.equal(result.completed, Number(stored))
    assert.ok(result.batches >= 1 && result.batches < result.completed, `${result.completed} jobs in ${result.batches} batches`)
    const progress = lines.filter((l) => l.msg === 'worker progress')
    assert.ok(progress.length > 0, 'progress was logged')
    assert.ok(progress.every((l) => (l.completed as number) <= result.completed && (l.jobsPerSecond as number) > 0))
    const digests: {tx_digest: string}[] = await w.db('raw_blockchain_events').select('tx_digest')
    for (const {tx_digest} of digests) assert.ok((await historyOf(w.db, tx_digest)).length > 0, tx_digest)
  })
})
