// A row another session keeps locked holds back one job for at most the worker's lock timeout,
// never the batch it came in nor the worker: the batch's statement gives up at the lock timeout,
// the batch is redone job by job, the job whose row is locked fails with a retry naming the lock
// timeout while the others complete, and once the lock is gone it completes on its retry. The
// batch processor is driven in-process on a connection of the worker's kind, as `confio worker`
// opens it, with PG_LOCK_TIMEOUT at 1 s.
import assert from 'node:assert/strict'
import type {Knex} from 'knex'
import {createLogger} from '../../src/logging/logger.ts'
import {JobFailure, type JobOutcome, type QueuedJob} from '../../src/processing/process-transaction-batch.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {SESSION_DEFAULTS} from '../../src/store/session-settings.ts'
import {batchProcessor, historyOf, logOf, pollOnce, startFundedWorld, type WorkerWorld} from './worker-support.ts'

const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})
const LOCK_TIMEOUT_MS = 1_000

interface ControlledJob extends QueuedJob {
  readonly told: string[]
}

function job(digest: string): ControlledJob {
  const told: string[] = []
  return {digest, told, control: {retryIn: (ms) => told.push(`retry in ${ms}`), noRetry: () => told.push('no retry')}}
}

describe('worker: a row locked by another session', function () {
  this.timeout(60_000)
  let w: WorkerWorld
  let alice: string
  let bob: string
  /** The worker's own kind of pool, with a short lock timeout (PG_LOCK_TIMEOUT=1s). */
  let workerDb: Database

  before(async () => {
    ;({w, alice, bob} = await startFundedWorld())
    workerDb = createDatabase({url: process.env.DATABASE_URL as string, kind: 'worker', timeouts: {lockTimeoutMs: LOCK_TIMEOUT_MS}, poolMax: 5})
  })

  after(async () => {
    await workerDb?.destroy()
    await w?.close()
  })

  /** Holds the raw event's row lock in another session, as a stuck or slow transaction would. */
  async function holdRow(digest: string): Promise<Knex.Transaction> {
    const trx = await w.db.transaction()
    await trx.raw('SELECT tx_digest FROM raw_blockchain_events WHERE tx_digest = ? FOR UPDATE', [digest])
    return trx
  }

  it('holds back only its own job, for about the lock timeout; the job completes on its retry once the lock is gone', async () => {
    const digests = Array.from({length: 4}, (_, i) => w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: BigInt(i + 1)}).digest)
    await pollOnce(w)
    const locked = digests[1]!
    const processor = batchProcessor({...w, db: workerDb}, silent)
    const lock = await holdRow(locked)
    let results: (JobOutcome | JobFailure)[]
    let elapsed: number
    const jobs = digests.map(job)
    try {
      const started = performance.now()
      results = await processor.run(jobs)
      elapsed = performance.now() - started
    } finally {
      await lock.rollback()
    }

    // The batch waited one lock timeout, the locked job alone one more: bounded by the setting,
    // far from the worker's 5 s default.
    assert.ok(elapsed >= 2 * LOCK_TIMEOUT_MS - 100, `${elapsed} ms`)
    assert.ok(elapsed < SESSION_DEFAULTS.worker.lockTimeoutMs, `${elapsed} ms`)
    assert.deepEqual(
      results.map((r) => (r instanceof JobFailure ? 'failed' : r.status)),
      digests.map((d) => (d === locked ? 'failed' : 'completed')),
    )
    const failure = results[1] as JobFailure
    assert.ok(failure.retryInMs !== undefined, 'a retry, not a permanent failure')
    assert.match(failure.message, /^canceling statement due to lock timeout \(a row this transaction needs is locked by another session; PG_LOCK_TIMEOUT\)$/)
    assert.deepEqual(jobs[1]!.told, [`retry in ${failure.retryInMs}`])
    for (const [i, digest] of digests.entries()) {
      const log = await logOf(w.db, digest)
      assert.equal(log.attempts, 1, `${digest}: the batch and its redo are one attempt`)
      assert.equal(log.stalls, 0, `${digest}: waiting on a lock is no stall`)
      if (digest === locked) {
        assert.equal(log.status, 'pending')
        assert.match(log.error_message, /lock timeout.*PG_LOCK_TIMEOUT/)
        assert.deepEqual(await historyOf(w.db, digest), [])
      } else {
        assert.equal(log.status, 'completed')
        assert.ok((await historyOf(w.db, digest)).some((r) => r.token === 'CUSD' && r.amount === String(i + 1)))
      }
    }

    // The retry, with the lock gone.
    const [retried] = await processor.run([job(locked)])
    assert.ok(!(retried instanceof JobFailure), String(retried))
    assert.equal(retried!.status, 'completed')
    const log = await logOf(w.db, locked)
    assert.equal(log.status, 'completed')
    assert.equal(log.attempts, 2)
    assert.equal(log.error_message, null)
    assert.deepEqual((await historyOf(w.db, locked)).filter((r) => r.token === 'CUSD').map((r) => [r.account_id, r.direction, r.amount]), [
      [w.accounts[alice], 'sent', '2'],
      [w.accounts[bob], 'received', '2'],
    ])
  })

  it('a job locked alone fails at the lock timeout, and after its last attempt is failed for good', async () => {
    const {digest} = w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 9n})
    await pollOnce(w)
    const processor = batchProcessor({...w, db: workerDb}, silent)
    const lock = await holdRow(digest)
    try {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const started = performance.now()
        const [result] = await processor.run([job(digest)])
        const elapsed = performance.now() - started
        assert.ok(result instanceof JobFailure)
        assert.ok(elapsed < LOCK_TIMEOUT_MS + 1_500, `attempt ${attempt}: ${elapsed} ms`)
        // batchProcessor's policy: 3 attempts.
        assert.equal(result.retryInMs === undefined, attempt === 3, `attempt ${attempt}`)
        assert.equal((await logOf(w.db, digest)).attempts, attempt)
      }
    } finally {
      await lock.rollback()
    }
    const log = await logOf(w.db, digest)
    assert.equal(log.status, 'failed')
    assert.match(log.error_message, /lock timeout/)
  })
})
