import {Flags} from '@oclif/core'
import {ConfioCommand, WORKER_STOP_GRACE_MS} from '../cli/base-command.ts'
import {beatFlags, pollFlags, workerFlags} from '../cli/pipeline-flags.ts'
import {describeBeatResult, describeRunPollerResult, describeWorkerResult} from '../cli/render/process-summaries.ts'
import type {BeatResult, BeatScheduler} from '../src/beat/beat-scheduler.ts'
import type {Poller, PollerResult} from '../src/ingest/poller.ts'
import {createBeatScheduler} from '../src/processes/beat-process.ts'
import {createPoller} from '../src/processes/poller-process.ts'
import {runTogether} from '../src/processes/run-together.ts'
import {WORKER_CONNECTIONS, WorkerProcess, type WorkerProcessResult} from '../src/processes/worker-process.ts'
import {BeatConsumer} from '../src/queue/beat-consumer.ts'
import {BeatQueue} from '../src/queue/beat-queue.ts'
import {TransactionConsumer} from '../src/queue/transaction-consumer.ts'
import {TransactionQueue} from '../src/queue/transaction-queue.ts'

export interface RunCommandResult {
  poll: PollerResult
  beat: BeatResult
  worker: WorkerProcessResult
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
    {description: 'Poll every 2 s with Prometheus metrics and 128 jobs in flight.', command: '<%= config.bin %> run --mode poll --interval 2s --metrics-port 9464 --concurrency 128'},
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
    const pollQueue = await this.queue(TransactionQueue)
    const beatQueue = await this.queue(BeatQueue)
    const stallIntervalMs = flags['stall-interval']
    // The beat lanes' queue speaks as the worker does (stage: worker).
    const workQueues = {transactions: await this.queue(TransactionConsumer, {stallIntervalMs}), beat: await this.queue(BeatConsumer, {stallIntervalMs, logger: this.logger.child({stage: 'worker'})})}
    const metrics = await this.serveMetrics('run')
    const poller = createPoller({settings, db: pollDb, chain, queue: pollQueue, metrics, logger: this.logger.child({stage: 'poll'})}, flags)
    const beat = createBeatScheduler({settings, db: pollDb, queue: beatQueue, transactions: pollQueue, metrics, logger: this.logger.child({stage: 'beat'})}, flags)
    const worker = new WorkerProcess({settings, db: workDb, redis, chain, queues: workQueues, metrics, logger: this.logger, stage: 'worker'}, {...flags, drain: flags.once, stopGraceMs: WORKER_STOP_GRACE_MS})
    const result = flags.once ? await this.inTurn(poller, beat, worker) : await this.together(poller, beat, worker)
    if (!this.jsonEnabled()) {
      this.log(describeRunPollerResult(result.poll))
      this.log(`Beat ${describeBeatResult(result.beat)}`)
      this.log(`Worker ${describeWorkerResult(result.worker)}`)
    }
    return result
  }

  /** --once: catch up and schedule first, then work off what was queued (a worker started together could find the queues empty too soon). */
  private async inTurn(poller: Poller, beat: BeatScheduler, worker: WorkerProcess): Promise<RunCommandResult> {
    const poll = await poller.run(this.stopSignal)
    const scheduled = await beat.run(this.stopSignal)
    return {poll, beat: scheduled, worker: await worker.run(this.stopSignal)}
  }

  /** Any part ending, by a signal or a failure, ends the others: one process, one fate. */
  private async together(poller: Poller, beat: BeatScheduler, worker: WorkerProcess): Promise<RunCommandResult> {
    const [poll, scheduled, work] = await runTogether(this.stopSignal, [(signal) => poller.run(signal), (signal) => beat.run(signal), (signal) => worker.run(signal)])
    return {poll, beat: scheduled, worker: work}
  }
}
