import {Flags} from '@oclif/core'
import {ConfioCommand, WORKER_STOP_GRACE_MS} from '../cli/base-command.ts'
import {workerFlags} from '../cli/pipeline-flags.ts'
import {describeWorkerResult} from '../cli/render/process-summaries.ts'
import {type RetryFailedResult, retryFailed} from '../src/processing/failed-jobs.ts'
import type {WorkerResult} from '../src/processing/transaction-worker.ts'
import {WORKER_CONNECTIONS, WorkerProcess} from '../src/processes/worker-process.ts'
import {BeatConsumer} from '../src/queue/beat-consumer.ts'
import {TransactionConsumer} from '../src/queue/transaction-consumer.ts'
import {TransactionQueue} from '../src/queue/transaction-queue.ts'

export type WorkerCommandResult = {retryFailed?: RetryFailedResult} & Partial<WorkerResult>

export default class Worker extends ConfioCommand<typeof Worker> {
  static override summary = 'Process queued transactions: account history, contract records, balances kept exact.'
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    "Takes process-transaction jobs from the queue the poller fills and turns each stored transaction into account_transactions rows (received, sent, fee) and contract_events rows (PAY and P2P_TRADE), and adds the chain's own net change of each known account's balance to the balance kept for it (a change it cannot take exactly, such as one inside the height window its base was read in, marks the balance stale instead, for the beat's refresh). Each job's writes are one PostgreSQL transaction, shared with the jobs that arrive beside it: a job delivered twice leaves the rows of one run.",
    'The same transaction queues each changed balance for Redis (balance_cache_outbox); a relay in the worker writes them to Redis after the commit, newer versions only, so Redis being away delays the cache but never fails a job.',
    'A failed job is retried after --retry-delay x attempt until --max-attempts, then marked failed; a job whose worker died is redone by another, up to --stall-limit times. The worker also runs the jobs confio beat schedules.',
    'Runs until stopped (SIGTERM finishes the jobs in hand), or with --drain until its queues are empty.',
  ].join('\n\n')
  static override examples = [
    '<%= config.bin %> worker',
    '<%= config.bin %> worker --concurrency 128 --metrics-port 9465',
    '<%= config.bin %> worker --drain --json',
    '<%= config.bin %> worker --retry-failed',
  ]
  static override flags = {
    ...workerFlags,
    drain: Flags.boolean({summary: 'Exit once the queue is empty and nothing is in flight (backlog runs, tests).'}),
    'retry-failed': Flags.boolean({summary: 'Queue the failed transactions again with fresh attempts, then exit (with --drain: process them).'}),
  }

  async run(): Promise<WorkerCommandResult> {
    const {flags} = this
    const db = await this.db({kind: 'worker', poolMax: WORKER_CONNECTIONS})
    const redis = await this.redis()
    let retried: RetryFailedResult | undefined
    if (flags['retry-failed']) {
      const queue = await this.queue(TransactionQueue)
      await queue.ready()
      retried = await retryFailed(db, queue)
      if (!this.jsonEnabled()) this.log(`Queued ${retried.retried + retried.created} failed transactions again (${retried.present} were already queued).`)
      if (!flags.drain) return {retryFailed: retried}
    }
    const stallIntervalMs = flags['stall-interval']
    const queues = {transactions: await this.queue(TransactionConsumer, {stallIntervalMs}), beat: await this.queue(BeatConsumer, {stallIntervalMs})}
    const metrics = await this.serveMetrics('worker')
    const worker = new WorkerProcess({settings: this.settings, db, redis, queues, metrics, logger: this.logger}, {...flags, stopGraceMs: WORKER_STOP_GRACE_MS})
    const result = await worker.run(this.stopSignal)
    if (!this.jsonEnabled()) this.log(describeWorkerResult(result))
    return retried ? {retryFailed: retried, ...result} : result
  }
}
