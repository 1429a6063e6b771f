// process_transaction: one process-transaction job, start to finish.
//
// 1. The log row goes to `processing` (committed on its own, so a worker that dies mid-job leaves
//    a trace: the next run counts a stall; past the stall limit the job is failed, not run).
// 2. One PostgreSQL transaction: lock and read the raw event, route it to the handlers, write every
//    effect, set processed_at and the log's `completed`. A second delivery of the same digest waits
//    for the lock, then finds processed_at set and writes nothing: exactly one run's rows.
// 3. After the commit: delete the touched balances' cache entries and publish their invalidation.
//    A re-delivered finished job repeats this step (it is idempotent), which is what makes a crash
//    between the commit and Redis harmless.
// A failure schedules a retry (retryDelayMs × attempt) until maxAttempts, then `failed` with the
// error kept; a permanent error (the stored event cannot be processed) fails at once.
import type {BalanceInvalidator} from '../balances/balance-invalidator.ts'
import type {BalanceKey} from '../balances/balance-keys.ts'
import type {Logger} from '../logging/logger.ts'
import type {JobControl} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import {JobTransaction} from '../store/effects-repository.ts'
import {markCompleted, markFailed, markRetrying} from '../store/processing-log.ts'
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

export interface ProcessTransactionJobOptions {
  readonly db: Database
  readonly router: TransactionRouter
  readonly invalidator: BalanceInvalidator
  readonly policy: RetryPolicy
  readonly logger: Logger
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

export class ProcessTransactionJob {
  private readonly options: ProcessTransactionJobOptions

  constructor(options: ProcessTransactionJobOptions) {
    this.options = options
  }

  /** Runs the job; on failure tells the queue whether to retry (through control) and throws JobFailure. */
  async run(digest: string, control: JobControl): Promise<JobOutcome> {
    const {db, policy, logger} = this.options
    let attempts = 0
    try {
      return await this.process(digest, (n) => (attempts = n))
    } catch (error) {
      const message = errorMessage(error)
      const permanent = error instanceof PermanentJobError
      // attempts is 0 when the log could not even be written (PostgreSQL down): retry after one delay.
      const retryInMs = permanent ? undefined : nextRetryDelay(policy, Math.max(attempts, 1))
      if (retryInMs === undefined) control.noRetry()
      else control.retryIn(retryInMs)
      try {
        if (retryInMs === undefined) await markFailed(db, digest, message)
        else await markRetrying(db, digest, message)
      } catch (logError) {
        logger.error({digest, err: errorMessage(logError)}, 'could not record the job failure in transaction_processing_log')
      }
      if (retryInMs === undefined) logger.error({digest, attempts, err: message}, 'transaction failed; no more retries')
      else logger.warn({digest, attempts, retryInMs, err: message}, 'transaction failed; will retry')
      throw new JobFailure(digest, message, retryInMs, error)
    }
  }

  private async process(digest: string, onStart: (attempts: number) => void): Promise<JobOutcome> {
    const {db, router, invalidator, logger, policy} = this.options
    const trx = await JobTransaction.acquire(db)
    let result
    let attempts: number
    try {
      const {attempt, loaded} = await trx.start(digest, policy.stallLimit)
      attempts = attempt.attempts
      onStart(attempts)
      if (attempt.stalls >= policy.stallLimit) {
        throw new PermanentJobError(`stalled ${attempt.stalls} times (limit ${policy.stallLimit}): a worker stopped mid-job each time`)
      }
      if (!loaded) throw new PermanentJobError('no raw_blockchain_events row has this digest')
      const {tx, accounts} = loaded
      // A partly decoded transaction could hide a transfer: failing it loudly beats recording half.
      if (tx.parseError !== null) throw new PermanentJobError(`the poller could not decode this transaction: ${tx.parseError}`)
      const routed = router.route(tx, accounts)
      const handler = routed.handlers.length > 0 ? routed.handlers.join(',') : routed.unhandled.length > 0 ? 'unhandled' : 'none'
      if (tx.processedAt !== null) {
        await trx.commit()
        result = {status: 'already-processed' as const, handler, unhandled: routed.unhandled, accountTransactions: 0, contractEvents: 0, touched: routed.effects.touched}
      } else {
        const written = await trx.finish(tx, routed.effects, handler)
        result = {status: 'completed' as const, handler, unhandled: routed.unhandled, ...written}
      }
    } finally {
      await trx.release()
    }
    await invalidator.invalidate(result.touched, digest)
    if (result.status === 'already-processed') await markCompleted(db, digest, result.handler)
    if (result.unhandled.length > 0) logger.info({digest, unhandled: result.unhandled}, 'monitored package activity no handler takes')
    return {digest, attempts, ...result}
  }
}

function errorMessage(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error)
  // knex prefixes a PostgreSQL error's message with the whole statement: keep PostgreSQL's part.
  if (error && typeof error === 'object' && 'severity' in error && /^\s*(with|select|insert|update|delete)\b/i.test(text) && text.includes(' - ')) {
    text = text.slice(text.lastIndexOf(' - ') + 3)
  }
  return text.split('\n')[0]!.slice(0, 1_000)
}
