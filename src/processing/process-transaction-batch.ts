// process_transaction for the jobs that arrived together: each job's outcome is what it would be
// alone, but the batch shares its database round trips and its commit (job-batch-transaction.ts).
//
// 1. The log rows go to `processing` (committed on their own, so a worker that dies mid-batch
//    leaves a trace: the next run counts a stall; past the stall limit the job is failed, not run).
// 2. One PostgreSQL transaction: lock and read the raw events, route each to the handlers, write
//    every effect, set processed_at and the log's `completed`. A second delivery of a digest waits
//    for the lock, then finds processed_at set and writes nothing: exactly one run's rows.
// 3. After the commit: wake the cache relay, which sends the changed balances to Redis from the
//    outbox rows the commit wrote. Redis is never asked inside a job: an outage delays cache
//    updates but cannot fail, retry or re-run a job that has committed.
// A job that cannot run (no raw event, undecodable, past the stall limit) fails alone and at once.
// A job a stopped worker left `processing`, or one that stalled before, runs alone after the batch:
// a transaction that kills its worker must not take a batch of others to the stall limit with it.
// If the batch's write fails, it is redone job by job, so one bad transaction cannot hold back the
// others; a job that fails alone is retried (retryDelayMs × attempt) until maxAttempts, then
// `failed` with the error kept. That includes a row another session keeps locked: the worker's
// lock timeout (PG_LOCK_TIMEOUT, 5 s) fails the batch's statement, the batch is redone job by job,
// and only the job whose row is locked waits once more, at most as long, then fails with a retry.
import {hostname} from 'node:os'
import type {BalanceKey} from '../balances/balance-keys.ts'
import type {Logger} from '../logging/logger.ts'
import type {JobControl} from '../queue/transaction-consumer.ts'
import type {Database} from '../store/database.ts'
import {sessionTimeoutOf} from '../store/session-settings.ts'
import {type BatchStart, BatchStartError, JobBatchTransaction, type JobStart, type JobWrite} from './job-batch-transaction.ts'
import {markFailed, markRetrying} from './processing-log.ts'
import {nextRetryDelay, PermanentJobError, type RetryPolicy} from './retry-policy.ts'
import type {TransactionRouter} from './transaction-router.ts'

export type JobStatus = 'completed' | 'already-processed'

export interface JobOutcome {
  readonly digest: string
  readonly status: JobStatus
  readonly handler: string
  readonly unhandled: readonly string[]
  readonly accountTransactions: number
  readonly contractEvents: number
  readonly touched: readonly BalanceKey[]
  readonly attempts: number
}

/** One queued job: its digest and how to tell the queue about a failure. */
export interface QueuedJob {
  readonly digest: string
  readonly control: JobControl
}

/** Per job, in the order given: its outcome, or the JobFailure it ended with. */
export type BatchResult = (JobOutcome | JobFailure)[]

export interface ProcessTransactionBatchOptions {
  readonly db: Database
  readonly router: TransactionRouter
  /** Called after each commit that changed balances: the cache relay's wake(). */
  readonly onBalancesChanged?: () => void
  /**
   * Queue a webhook event (webhook_deliveries) with every history row, in the same statement
   * (WEBHOOK_URL is set); onWebhooksQueued is called after each commit that queued some: the
   * sender's wake().
   */
  readonly webhooks?: boolean
  readonly onWebhooksQueued?: () => void
  readonly policy: RetryPolicy
  readonly logger: Logger
  /** This worker in the log's claimed_by; default `<host>:<pid>`. */
  readonly name?: string
}

/** Why a job did not complete, and whether it will run again. */
export class JobFailure extends Error {
  readonly digest: string
  readonly retryInMs: number | undefined

  constructor(digest: string, message: string, retryInMs: number | undefined, cause: unknown) {
    super(message, {cause})
    this.name = 'JobFailure'
    this.digest = digest
    this.retryInMs = retryInMs
  }
}

interface Refusal {
  readonly job: QueuedJob
  readonly attempts: number
  readonly error: unknown
}

interface RoutedJob {
  readonly write: JobWrite
  readonly attempts: number
  readonly unhandled: readonly string[]
}

export class ProcessTransactionBatch {
  private readonly options: ProcessTransactionBatchOptions
  /** `<host>:<pid>`: with a run number, what the log's claimed_by says while a job runs here. */
  private readonly name: string
  private runs = 0

  constructor(options: ProcessTransactionBatchOptions) {
    this.options = options
    this.name = options.name ?? `${hostname()}:${process.pid}`
  }

  /** Runs the jobs; each failure has told the queue (through its control) whether to retry. */
  async run(jobs: readonly QueuedJob[]): Promise<BatchResult> {
    const results = new Map<string, JobOutcome | JobFailure>()
    const first = new Map<string, QueuedJob>()
    for (const job of jobs) if (!first.has(job.digest)) first.set(job.digest, job)
    await this.attempt([...first.values()], true, results)
    // The same digest twice in one batch (a job handed out again while still running here) runs
    // after the first, like any second delivery.
    const again = jobs.filter((job) => first.get(job.digest) !== job)
    const repeated = again.length > 0 ? await this.run(again) : []
    return jobs.map((job) => (first.get(job.digest) === job ? results.get(job.digest)! : repeated[again.indexOf(job)]!))
  }

  private async attempt(jobs: readonly QueuedJob[], countAttempt: boolean, results: Map<string, JobOutcome | JobFailure>): Promise<void> {
    const byDigest = new Map(jobs.map((job) => [job.digest, job]))
    const state: {start?: BatchStart} = {}
    let outcomes: JobOutcome[]
    try {
      outcomes = await this.write(jobs, countAttempt, state, results)
    } catch (thrown) {
      const pending = jobs.filter((j) => !results.has(j.digest))
      const {start} = state
      // A start that failed part-way says which attempts it counted before it failed.
      const failedStart = thrown instanceof BatchStartError ? thrown : undefined
      const error = failedStart ? failedStart.cause : thrown
      const counted = start ? (digest: string) => wasCounted(start, digest) : failedStart ? (digest: string) => failedStart.claimed.has(digest) : undefined
      // Which job broke the write is unknown: each runs again alone (an attempt this run counted
      // is not counted again).
      if (counted && pending.length > 1) {
        for (const job of pending) await this.attempt([job], !counted(job.digest), results)
        return
      }
      for (const job of pending) {
        const attempts = start?.started.get(job.digest)?.attempt.attempts ?? failedStart?.attempts.get(job.digest) ?? 0
        results.set(job.digest, await this.fail(job, attempts, error))
      }
      return
    }
    this.committed(outcomes)
    for (const outcome of outcomes) results.set(outcome.digest, outcome)
    for (const {digest, counted} of state.start!.alone) await this.attempt([byDigest.get(digest)!], !counted, results)
  }

  /** Start, route and finish in one batch transaction; the outcomes are committed. */
  private async write(jobs: readonly QueuedJob[], countAttempt: boolean, state: {start?: BatchStart}, results: Map<string, JobOutcome | JobFailure>): Promise<JobOutcome[]> {
    const trx = await JobBatchTransaction.acquire(this.options.db, {webhooks: this.options.webhooks ?? false})
    let refused: Refusal[] = []
    try {
      this.runs += 1
      const start = await trx.start(
        jobs.map((j) => j.digest),
        {stallLimit: this.options.policy.stallLimit, countAttempt, claim: `${this.name}:${this.runs}`},
      )
      state.start = start
      const {routed, refusals} = this.route(
        jobs.filter((j) => start.started.has(j.digest)),
        start.started,
      )
      refused = refusals
      if (routed.length === 0) {
        await trx.commit()
        return []
      }
      const written = await trx.finish(routed.map((r) => r.write))
      return routed.map(({write, attempts, unhandled}) => ({
        digest: write.tx.digest,
        status: write.alreadyProcessed ? 'already-processed' : 'completed',
        handler: write.handler,
        unhandled,
        attempts,
        ...written.get(write.tx.digest)!,
      }))
    } finally {
      await trx.release()
      // Only now: recording a failure updates a log row this batch's transaction had locked.
      for (const {job, attempts, error} of refused) results.set(job.digest, await this.fail(job, attempts, error))
    }
  }

  /** Routes each loaded transaction; the jobs that cannot run are refused, to be failed at once. */
  private route(jobs: readonly QueuedJob[], started: Map<string, JobStart>): {routed: RoutedJob[]; refusals: Refusal[]} {
    const {router, policy} = this.options
    const routed: RoutedJob[] = []
    const refusals: Refusal[] = []
    for (const job of jobs) {
      const {attempt, loaded} = started.get(job.digest)!
      try {
        if (attempt.stalls >= policy.stallLimit) {
          throw new PermanentJobError(`stalled ${attempt.stalls} times (limit ${policy.stallLimit}): a worker stopped mid-job each time`)
        }
        if (!loaded) throw new PermanentJobError('no raw_blockchain_events row has this digest')
        const {tx, accounts} = loaded
        // A partly decoded transaction could hide a transfer: failing it loudly beats recording half.
        if (tx.parseError !== null) throw new PermanentJobError(`the poller could not decode this transaction: ${tx.parseError}`)
        const {handlers, unhandled, effects} = router.route(tx, accounts)
        const handler = handlers.length > 0 ? handlers.join(',') : unhandled.length > 0 ? 'unhandled' : 'none'
        routed.push({write: {tx, effects, handler, alreadyProcessed: tx.processedAt !== null}, attempts: attempt.attempts, unhandled})
      } catch (error) {
        refusals.push({job, attempts: attempt.attempts, error})
      }
    }
    return {routed, refusals}
  }

  private committed(outcomes: readonly JobOutcome[]): void {
    const {onBalancesChanged, onWebhooksQueued, webhooks, logger} = this.options
    if (outcomes.some((o) => o.touched.length > 0)) onBalancesChanged?.()
    if (webhooks && outcomes.some((o) => o.accountTransactions > 0)) onWebhooksQueued?.()
    for (const outcome of outcomes) {
      if (outcome.unhandled.length > 0) logger.info({digest: outcome.digest, unhandled: outcome.unhandled}, 'monitored package activity no handler takes')
    }
  }

  /**
   * Records a job failed for good, and marks stale the balances of every account it names, in the
   * same commit (a transaction never applied must leave no trusted balance behind).
   */
  private async failForGood(digest: string, message: string): Promise<boolean> {
    const {db, router, onBalancesChanged, logger} = this.options
    const {recorded, staled} = await markFailed(db, digest, message, this.name, router.tokenSymbols)
    if (staled > 0) {
      logger.warn({digest, staled}, 'balances of the accounts a failed transaction names marked stale')
      onBalancesChanged?.()
    }
    return recorded
  }

  /** Records a failure, tells the queue whether to retry, and returns it. */
  private async fail(job: QueuedJob, attempts: number, error: unknown): Promise<JobFailure> {
    const {db, policy, logger} = this.options
    const {digest, control} = job
    const message = errorMessage(error)
    const permanent = error instanceof PermanentJobError
    // attempts is 0 when the log could not even be written (PostgreSQL down): retry after one delay.
    const retryInMs = permanent ? undefined : nextRetryDelay(policy, Math.max(attempts, 1))
    if (retryInMs === undefined) control.noRetry()
    else control.retryIn(retryInMs)
    try {
      const recorded = retryInMs === undefined ? await this.failForGood(digest, message) : await markRetrying(db, digest, message, this.name)
      if (!recorded) logger.warn({digest, err: message}, 'job failure not recorded: the log row is no longer this worker\'s (another run claimed or finished it)')
    } catch (logError) {
      logger.error({digest, err: errorMessage(logError)}, 'could not record the job failure in transaction_processing_log')
    }
    if (retryInMs === undefined) logger.error({digest, attempts, err: message}, 'transaction failed; no more retries')
    else logger.warn({digest, attempts, retryInMs, err: message}, 'transaction failed; will retry')
    return new JobFailure(digest, message, retryInMs, error)
  }
}

/** Whether this run already counted the job's attempt (it claimed the job). */
function wasCounted(start: BatchStart, digest: string): boolean {
  return start.started.has(digest) || start.alone.some((a) => a.digest === digest && a.counted)
}

function errorMessage(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error)
  // knex prefixes a PostgreSQL error's message with the whole statement: keep PostgreSQL's part.
  if (error && typeof error === 'object' && 'severity' in error && /^\s*(with|select|insert|update|delete)\b/i.test(text) && text.includes(' - ')) {
    text = text.slice(text.lastIndexOf(' - ') + 3)
  }
  // PostgreSQL's own words say which deadline it was; the log row also says where it is set.
  if (sessionTimeoutOf(error) === 'PG_LOCK_TIMEOUT') text = `${text} (a row this transaction needs is locked by another session; PG_LOCK_TIMEOUT)`
  else if (sessionTimeoutOf(error) === 'PG_STATEMENT_TIMEOUT') text = `${text} (PG_STATEMENT_TIMEOUT)`
  return text.split('\n')[0]!.slice(0, 1_000)
}
