import {Flags} from '@oclif/core'
import {ConfioCommand, STOP_GRACE_MS} from '../cli/base-command.ts'
import {WORKER_CONNECTIONS, WorkerParts, type WorkerPartsResult, beatFlags, createBeatScheduler, createPoller, pollFlags, servePollerMetrics, workerFlags} from '../cli/pipeline-parts.ts'
import type {BeatResult, BeatScheduler} from '../src/beat/beat-scheduler.ts'
import type {PollerResult} from '../src/ingest/poller.ts'
import {BeatQueue} from '../src/queue/beat-queue.ts'
import {TransactionQueue} from '../src/queue/transaction-queue.ts'
import {counted} from '../src/support/counted.ts'
import {describeBeatResult} from './beat.ts'
import {describeWorkerResult} from './worker.ts'

export interface RunCommandResult {
  poll: PollerResult
  beat: BeatResult
  worker: WorkerPartsResult
}

export default class Run extends ConfioCommand<typeof Run> {
  static override summary = 'Poll, work and beat in one process: for small installs.'
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    'The poller, a worker and the beat in one process, with the same guarantees as `confio poll`, `confio worker` and `confio beat` run apart: the same leases (a second `confio run`, `confio poll` or `confio beat` waits as a standby), the same exactly-once processing, the same cache outbox, the same schedule. Fits installs under about 10,000 users; past that, run the processes apart and add workers.',
    'SIGINT/SIGTERM stop all three: the poller commits the batch in hand, the beat finishes the scheduling in hand and the worker finishes the jobs in flight. With --once the poller catches up to the tip seen at start, the beat schedules what is due, then the worker works off both queues, then it exits.',
  ].join('\n\n')
  static override examples = [
    {description: 'Follow the chain and process what it finds until stopped.', command: '<%= config.bin %> run'},
    {description: 'Catch up, process everything queued, print the counts as JSON and exit.', command: '<%= config.bin %> run --once --json'},
    {description: 'Poll every 2 s with Prometheus metrics and 64 jobs in flight.', command: '<%= config.bin %> run --mode poll --interval 2s --metrics-port 9464 --concurrency 64'},
  ]
  static override flags = {
    ...pollFlags,
    ...workerFlags,
    ...beatFlags,
    once: Flags.boolean({summary: 'Catch up to the tip seen at start, schedule what is due, process the queues, then exit.'}),
  }

  async run(): Promise<RunCommandResult> {
    const {flags} = this
    // The poller's pool (its commits, the monitored-accounts refresh, the outbox; the beat's
    // scheduling) beside the worker's: each with its own kind's timeouts.
    const pollDb = await this.db({kind: 'poller', poolMax: 6})
    const workDb = await this.db({kind: 'worker', poolMax: WORKER_CONNECTIONS})
    const redis = await this.redis()
    const chain = this.chain()
    const settings = this.settings
    const where = {redisUrl: settings.redisUrl, redisPrefix: settings.redisPrefix, logger: this.logger}
    const pollQueue = new TransactionQueue(where)
    const workQueue = new TransactionQueue({...where, isWorker: true, stallIntervalMs: flags['stall-interval']})
    const beatQueue = new BeatQueue(where)
    const {metrics, close: closeMetrics} = await servePollerMetrics(flags['metrics-port'], chain)
    // Any part failing stops the others: one process, one fate. (AbortSignal.any is aborted already
    // when the stop signal is: a SIGINT that came while the connections opened still stops the run.)
    const stop = new AbortController()
    const stopped = AbortSignal.any([this.stopSignal, stop.signal])
    try {
      const poller = createPoller({settings, db: pollDb, chain, queue: pollQueue, metrics, logger: this.logger.child({stage: 'poll'})}, flags)
      const beat = createBeatScheduler({settings, db: pollDb, queue: beatQueue, logger: this.logger.child({stage: 'beat'})}, flags)
      const worker = new WorkerParts({settings, db: workDb, redis, chain, queue: workQueue, logger: this.logger, stage: 'worker'}, {...flags, drain: flags.once, stopGraceMs: STOP_GRACE_MS - 1_000})
      const result = flags.once ? await this.inTurn(poller, beat, worker, stopped) : await this.together(poller, beat, worker, stop, stopped)
      if (!this.jsonEnabled()) {
        this.log(`Poller stopped (${result.poll.stoppedBy}) at cursor ${result.poll.cursor ?? 'none'}: ${counted(result.poll.checkpoints, 'checkpoint')}, ${counted(result.poll.relevant, 'relevant transaction')}.`)
        this.log(`Beat ${describeBeatResult(result.beat)}`)
        this.log(`Worker ${describeWorkerResult(result.worker)}`)
      }
      return result
    } finally {
      closeMetrics()
      await Promise.allSettled([pollQueue.close(), beatQueue.close(), workQueue.close(1_000)])
    }
  }

  /** --once: catch up and schedule first, then work off what was queued (a worker started together could find the queues empty too soon). */
  private async inTurn(poller: ReturnType<typeof createPoller>, beat: BeatScheduler, worker: WorkerParts, signal: AbortSignal): Promise<RunCommandResult> {
    const poll = await poller.run(signal)
    const scheduled = await beat.run(signal)
    return {poll, beat: scheduled, worker: await worker.run(signal)}
  }

  private async together(poller: ReturnType<typeof createPoller>, beat: BeatScheduler, worker: WorkerParts, stop: AbortController, stopped: AbortSignal): Promise<RunCommandResult> {
    // Whichever part ends first, by a signal or a failure, ends the others.
    const [poll, scheduled, work] = await Promise.allSettled([
      poller.run(stopped).finally(() => stop.abort()),
      beat.run(stopped).finally(() => stop.abort()),
      worker.run(stopped).finally(() => stop.abort()),
    ])
    if (poll.status === 'rejected') throw poll.reason
    if (scheduled.status === 'rejected') throw scheduled.reason
    if (work.status === 'rejected') throw work.reason
    return {poll: poll.value, beat: scheduled.value, worker: work.value}
  }
}
