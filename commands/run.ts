import {Flags} from '@oclif/core'
import {ConfioCommand, STOP_GRACE_MS} from '../cli/base-command.ts'
import {WORKER_CONNECTIONS, WorkerParts, createPoller, pollFlags, workerFlags} from '../cli/pipeline-parts.ts'
import type {PollerResult} from '../src/ingest/poller.ts'
import {PollerMetrics} from '../src/ingest/poller-metrics.ts'
import type {WorkerResult} from '../src/processing/transaction-worker.ts'
import {TransactionQueue} from '../src/queue/transaction-queue.ts'
import {describeWorkerResult} from './worker.ts'

export interface RunCommandResult {
  poll: PollerResult
  worker: WorkerResult
}

export default class Run extends ConfioCommand<typeof Run> {
  static override summary = 'Poll and work in one process: for small installs.'
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    'The poller and a worker in one process, with the same guarantees as `confio poll` and `confio worker` run apart: the same lease (a second `confio run` or `confio poll` waits as a standby), the same exactly-once processing, the same cache outbox. Fits installs under about 10,000 users; past that, run the processes apart and add workers.',
    'SIGINT/SIGTERM stop both: the poller commits the batch in hand and the worker finishes the jobs in flight. With --once the poller catches up to the tip seen at start, then the worker works off the queue, then it exits.',
  ].join('\n\n')
  static override examples = [
    {description: 'Follow the chain and process what it finds until stopped.', command: '<%= config.bin %> run'},
    {description: 'Catch up, process everything queued, print the counts as JSON and exit.', command: '<%= config.bin %> run --once --json'},
    {description: 'Poll every 2 s with Prometheus metrics and 64 jobs in flight.', command: '<%= config.bin %> run --mode poll --interval 2s --metrics-port 9464 --concurrency 64'},
  ]
  static override flags = {
    ...pollFlags,
    ...workerFlags,
    once: Flags.boolean({summary: 'Catch up to the tip seen at start, process the queue, then exit.'}),
  }

  async run(): Promise<RunCommandResult> {
    const {flags} = this
    // The poller's pool (its commits, the monitored-accounts refresh, the outbox) beside the worker's.
    const db = await this.db({poolMax: 6 + WORKER_CONNECTIONS})
    const redis = await this.redis()
    const chain = this.chain()
    const settings = this.settings
    const pollQueue = new TransactionQueue({redisUrl: settings.redisUrl, redisPrefix: settings.redisPrefix})
    const workQueue = new TransactionQueue({redisUrl: settings.redisUrl, redisPrefix: settings.redisPrefix, isWorker: true, stallIntervalMs: flags['stall-interval']})
    const metrics = new PollerMetrics(() => chain.metrics())
    const server = flags['metrics-port'] ? await metrics.serve(flags['metrics-port']) : undefined
    // Either half failing stops the other: one process, one fate.
    const stop = new AbortController()
    const onStop = () => stop.abort(this.stopSignal.reason)
    this.stopSignal.addEventListener('abort', onStop, {once: true})
    try {
      const poller = createPoller({settings, db, chain, queue: pollQueue, metrics, logger: this.logger.child({stage: 'poll'})}, flags)
      const worker = new WorkerParts({settings, db, redis, queue: workQueue, logger: this.logger.child({stage: 'worker'})}, {...flags, drain: flags.once, stopGraceMs: STOP_GRACE_MS - 1_000})
      const result = flags.once ? await this.inTurn(poller, worker, stop.signal) : await this.together(poller, worker, stop)
      if (!this.jsonEnabled()) {
        this.log(`Poller stopped (${result.poll.stoppedBy}) at cursor ${result.poll.cursor ?? 'none'}: ${result.poll.checkpoints} checkpoints, ${result.poll.relevant} relevant transactions.`)
        this.log(`Worker ${describeWorkerResult(result.worker)}`)
      }
      return result
    } finally {
      this.stopSignal.removeEventListener('abort', onStop)
      server?.close()
      await Promise.allSettled([pollQueue.close(), workQueue.close(1_000)])
    }
  }

  /** --once: catch up first, then work off what was queued (a worker started together could find the queue empty too soon). */
  private async inTurn(poller: ReturnType<typeof createPoller>, worker: WorkerParts, signal: AbortSignal): Promise<RunCommandResult> {
    const poll = await poller.run(signal)
    return {poll, worker: await worker.run(signal)}
  }

  private async together(poller: ReturnType<typeof createPoller>, worker: WorkerParts, stop: AbortController): Promise<RunCommandResult> {
    // Whichever half ends first, by a signal or a failure, ends the other.
    const [poll, work] = await Promise.allSettled([poller.run(stop.signal).finally(() => stop.abort()), worker.run(stop.signal).finally(() => stop.abort())])
    if (poll.status === 'rejected') throw poll.reason
    if (work.status === 'rejected') throw work.reason
    return {poll: poll.value, worker: work.value}
  }
}
