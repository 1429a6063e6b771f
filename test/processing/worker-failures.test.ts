// confio worker when things go wrong: failing jobs, retries, a worker killed mid-job, a
// transaction that kills every worker (the stall limit), and SIGTERM.
import assert from 'node:assert/strict'
import type {Knex} from 'knex'
import {dropInjectedFailures, drain, historyOf, injectFailures, logOf, pollOnce, startFundedWorld, type WorkerWorld} from './worker-support.ts'
import {TransactionQueue} from '../../src/queue/transaction-queue.ts'
import {sleep} from '../../src/support/sleep.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'

describe('confio worker failures', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let alice: string
  let bob: string

  before(async () => {
    ;({w, alice, bob} = await startFundedWorld())
    await drain(w)
  })

  afterEach(async () => {
    await dropInjectedFailures(w.db)
  })

  after(async () => {
    await w?.close()
  })

  /** A cUSD transfer alice -> bob, stored and queued by the poller. */
  async function queuedTransfer(amount = 1n): Promise<string> {
    const {digest} = w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount})
    await pollOnce(w)
    return digest
  }

  /** Holds the raw event's row lock, so a worker that picks the job up blocks mid-job. */
  async function holdRow(digest: string): Promise<Knex.Transaction> {
    const trx = await w.db.transaction()
    await trx.raw('SELECT 1 FROM raw_blockchain_events WHERE tx_digest = ? FOR UPDATE', [digest])
    return trx
  }

  async function processingRun(digest: string, attempts: number): Promise<void> {
    await eventually(async () => {
      const log = await logOf(w.db, digest)
      return log?.status === 'processing' && log.attempts === attempts
    }, 20_000, `run ${attempts} of ${digest} started`)
  }

  function worker(args: string[] = []): ConfioProcess {
    // These tests hold a raw event's row to keep a job mid-run for as long as they need: the lock
    // timeout (5 s) must not end that wait first (worker-lock-timeout.test.ts is about that).
    return new ConfioProcess(['worker', '--stall-interval', '1s', ...args], {...w.env, PG_LOCK_TIMEOUT: '10m'})
  }

  it('retry a failing job after the delay, then succeed', async () => {
    const digest = await queuedTransfer()
    await injectFailures(w.db, digest, 1)
    const {json} = await drain(w, ['--retry-delay', '200ms'])
    assert.equal(json.retrying, 1)
    assert.equal(json.completed, 1)
    const log = await logOf(w.db, digest)
    assert.equal(log.status, 'completed')
    assert.equal(log.attempts, 2)
    assert.equal(log.error_message, null)
    assert.equal((await historyOf(w.db, digest)).filter((r) => r.token === 'CUSD').length, 2)
  })

  it('mark a job failed with its error after the last attempt; --retry-failed queues it again', async () => {
    const digest = await queuedTransfer()
    await injectFailures(w.db, digest, 1_000)
    const {json} = await drain(w, ['--retry-delay', '100ms', '--max-attempts', '2'])
    assert.equal(json.retrying, 1)
    assert.equal(json.failed, 1)
    let log = await logOf(w.db, digest)
    assert.equal(log.status, 'failed')
    assert.equal(log.attempts, 2)
    assert.match(log.error_message, /injected failure/)
    assert.deepEqual(await historyOf(w.db, digest), [])
    const raw = await w.db('raw_blockchain_events').where({tx_digest: digest}).first()
    assert.equal(raw.processed_at, null)

    await dropInjectedFailures(w.db)
    const again = await drain(w, ['--retry-failed'])
    assert.deepEqual(again.json.retryFailed, {found: 1, retried: 1, created: 0, present: 0, errors: []})
    assert.equal(again.json.completed, 1)
    log = await logOf(w.db, digest)
    assert.equal(log.status, 'completed')
    assert.equal(log.attempts, 1)
  })

  it('a worker killed mid-job: another worker finds the job stalled and finishes it, once', async () => {
    const digest = await queuedTransfer(3n)
    const lock = await holdRow(digest)
    const first = worker()
    try {
      await processingRun(digest, 1)
      first.kill('SIGKILL')
      assert.equal(await first.exited, null)
    } finally {
      await lock.rollback()
    }
    const {json} = await drain(w)
    assert.equal(json.completed, 1)
    const log = await logOf(w.db, digest)
    assert.equal(log.status, 'completed')
    assert.equal(log.attempts, 2)
    assert.equal(log.stalls, 1)
    assert.deepEqual(
      (await historyOf(w.db, digest)).map((r) => [r.account_id, r.token, r.direction, r.amount]),
      [
        [w.accounts[alice], 'CUSD', 'sent', '3'],
        [w.accounts[alice], 'SUI', 'fee', (await historyOf(w.db, digest)).find((r) => r.direction === 'fee')!.amount],
        [w.accounts[bob], 'CUSD', 'received', '3'],
      ].sort(),
    )
  })

  it('a transaction that stops its worker every time is failed at the stall limit', async () => {
    const digest = await queuedTransfer(4n)
    const lock = await holdRow(digest)
    try {
      for (let run = 1; run <= 3; run++) {
        const doomed = worker()
        await processingRun(digest, run)
        doomed.kill('SIGKILL')
        await doomed.exited
      }
      const {json} = await drain(w)
      assert.equal(json.failed, 1)
      assert.equal(json.completed, 0)
    } finally {
      await lock.rollback()
    }
    const log = await logOf(w.db, digest)
    assert.equal(log.status, 'failed')
    assert.equal(log.stalls, 3)
    assert.match(log.error_message, /stalled 3 times \(limit 3\)/)
    assert.deepEqual(await historyOf(w.db, digest), [])
    // Once the cause is gone, an operator re-runs it.
    const again = await drain(w, ['--retry-failed'])
    assert.equal(again.json.completed, 1)
    assert.equal((await logOf(w.db, digest)).status, 'completed')
  })

  it('SIGTERM: finish the job in flight, take no new one, exit 0', async () => {
    const digest = await queuedTransfer(5n)
    const lock = await holdRow(digest)
    const running = worker()
    let next: string
    try {
      await processingRun(digest, 1)
      running.kill('SIGTERM')
      await sleep(300)
      next = await queuedTransfer(6n)
      await sleep(500)
      assert.equal(running.child.exitCode, null, 'still finishing its job')
    } finally {
      await lock.rollback()
    }
    assert.equal(await running.exited, 0, running.stderr)
    assert.equal((await logOf(w.db, digest)).status, 'completed')
    assert.equal(await logOf(w.db, next), undefined, 'the job queued after SIGTERM was not taken')
    const queue = new TransactionQueue({redisUrl: process.env.REDIS_URL as string, redisPrefix: w.prefix})
    try {
      assert.equal((await queue.counts()).waiting, 1)
    } finally {
      await queue.close()
    }
    const {json} = await drain(w)
    assert.equal(json.completed, 1)
  })
})
