import {Flags} from '@oclif/core'
import {ConfioCommand, STOP_GRACE_MS} from '../cli/base-command.ts'
import {durationFlag} from '../cli/durations.ts'
import {CacheOutboxRelay} from '../src/balances/cache-outbox-relay.ts'
import {RedisBalanceStore} from '../src/balances/redis-balance-store.ts'
import {type RetryFailedResult, retryFailed} from '../src/processing/failed-jobs.ts'
import {ProcessTransactionBatch} from '../src/processing/process-transaction-batch.ts'
import {DEFAULT_RETRY_POLICY} from '../src/processing/retry-policy.ts'
import {TransactionRouter} from '../src/processing/transaction-router.ts'
import {TransactionWorker, type WorkerResult} from '../src/processing/transaction-worker.ts'
import {TransactionQueue} from '../src/queue/transaction-queue.ts'

/** One batch can be in PostgreSQL while the next is read and routed; more only adds lock waits. */
const PARALLEL_BATCHES = 2

export type WorkerCommandResult = {retryFailed?: RetryFailedResult} & Partial<WorkerResult>

export default class Worker extends ConfioCommand<typeof Worker> {
  static override summary = 'Process queued transactions: account history, contract records, stale balances.'
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    "Takes process-transaction jobs from the queue the poller fills and turns each stored transaction into account_transactions rows (received, sent, fee), contract_events rows (PAY and P2P_TRADE), stale balances and deleted balance cache entries. Each job's writes are one PostgreSQL transaction: a job delivered twice leaves the rows of one run.",
    'A failed job is retried after --retry-delay x attempt until --max-attempts, then marked failed; a job whose worker died is redone by another, up to --stall-limit times.',
    'Runs until stopped (SIGTERM finishes the jobs in hand), or with --drain until the queue is empty.',
  ].join('\n\n')
  static override examples = [
    '<%= config.bin %> worker',
    '<%= config.bin %> worker --concurrency 64',
    '<%= config.bin %> worker --drain --json',
    '<%= config.bin %> worker --retry-failed',
  ]
  static override flags = {
    concurrency: Flags.integer({min: 1, max: 256, default: 32, summary: 'Jobs this process holds at once; those waiting together are processed as one batch.'}),
    drain: Flags.boolean({summary: 'Exit once the queue is empty and nothing is in flight (backlog runs, tests).'}),
    'retry-failed': Flags.boolean({summary: 'Queue the failed transactions again with fresh attempts, then exit (with --drain: process them).'}),
    'max-attempts': Flags.integer({min: 1, default: DEFAULT_RETRY_POLICY.maxAttempts, summary: 'Runs a failing job gets before it is marked failed.'}),
    'retry-delay': durationFlag({default: DEFAULT_RETRY_POLICY.retryDelayMs, minMs: 0, summary: 'Wait before a retry, multiplied by the attempt number (e.g. 60s).'}),
    'stall-limit': Flags.integer({min: 1, default: DEFAULT_RETRY_POLICY.stallLimit, summary: 'Times a job may stop mid-run (its worker died) before it is marked failed.'}),
    'stall-interval': durationFlag({default: 5_000, minMs: 1_000, summary: 'A job not renewed by its worker for this long is given to another (same value on every worker).'}),
  }

  async run(): Promise<WorkerCommandResult> {
    const {flags} = this
    // Each batch in flight holds a connection for its transaction, failures are recorded on
    // another, and the cache relay has one.
    const db = await this.db({poolMax: PARALLEL_BATCHES + 2})
    const redis = await this.redis()
    const queue = new TransactionQueue({redisUrl: this.settings.redisUrl, redisPrefix: this.settings.redisPrefix, isWorker: true, stallIntervalMs: flags['stall-interval']})
    let relay: CacheOutboxRelay | undefined
    try {
      let retried: RetryFailedResult | undefined
      if (flags['retry-failed']) {
        await queue.ready()
        retried = await retryFailed(db, queue)
        if (!this.jsonEnabled()) this.log(`Queued ${retried.retried + retried.created} failed transactions again (${retried.present} were already queued).`)
        if (!flags.drain) return {retryFailed: retried}
      }
      relay = new CacheOutboxRelay({db, redis: new RedisBalanceStore(redis, this.settings.redisPrefix), logger: this.logger.child({stage: 'cache-outbox'})})
      relay.start()
      const processor = new ProcessTransactionBatch({
        db,
        router: new TransactionRouter({tokens: this.settings.tokens, contracts: this.settings.contracts}),
        onBalancesChanged: () => relay?.wake(),
        policy: {maxAttempts: flags['max-attempts'], retryDelayMs: flags['retry-delay'], stallLimit: flags['stall-limit']},
        logger: this.logger,
      })
      const worker = new TransactionWorker({queue, processor, concurrency: flags.concurrency, parallelBatches: PARALLEL_BATCHES, drain: flags.drain, logger: this.logger, stopGraceMs: STOP_GRACE_MS - 1_000})
      const result = await worker.run(this.stopSignal)
      await relay.stop()
      // A drain ends with the cache up to date when Redis lets it; otherwise the next relay does it.
      if (flags.drain) await relay.drain().catch((error: Error) => this.logger.warn({err: error.message}, 'balance cache outbox not empty at exit'))
      if (!this.jsonEnabled()) {
        this.log(
          `Stopped (${result.stoppedBy}): ${result.completed} completed, ${result.alreadyProcessed} already processed, ${result.retrying} to retry, ${result.failed} failed` +
            ` in ${(result.durationMs / 1000).toFixed(1)} s (${result.jobsPerSecond} jobs/s, ${result.batches} batches).`,
        )
      }
      return retried ? {retryFailed: retried, ...result} : result
    } finally {
      await relay?.stop()
      await queue.close(1_000)
    }
  }
}
