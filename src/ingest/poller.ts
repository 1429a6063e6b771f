// `confio poll`: the process that must never miss a transaction. It holds the lease (one active
// poller per database), follows checkpoints from the cursor on, keeps the relevant transactions
// and the cursor in one commit per batch, and queues a job per stored transaction.
//
// It is a line of stages, as in Sui's indexer framework, each a class of its own joined to the
// next by a BoundedChannel (a slow stage holds back the one before it, never fills memory):
//
//   CheckpointReader --> RelevanceDecider --> BatchPreparer --> CheckpointCommitter --> JobQueuer
//   read and screen      decide (decoding     fetch details     rows + cursor, one      a job per
//   (checkpoint-source,  guard, relevance)    of the relevant   fenced transaction      stored
//    relevance-screen)                        few, in full      per batch, in order     transaction
//
// The read stage may run on a thread of its own (POLL_READING_THREAD; reading-thread.ts), the
// others always on the main thread. Each stage's header states its contract and its error policy;
// a failure travels down the line behind the work that came before it, so what was read before it
// still commits. The poller only wires the stages and handles stop and failure: it ends when the
// commit stage does, then stops the rest and waits for them, so nothing of a run writes after the
// lease is released. SIGTERM and SIGINT stop the reading and the fetches at once; the stores in
// flight finish (the batch in hand), and their jobs are queued.
//
// Around it: the monitored accounts are refreshed every few seconds (live-accounts.ts: an account
// picked up counts from the next checkpoint screened, what came before is filled between two
// commits), the outbox re-queues what Redis lost, and the lease is checked; losing it stops the
// poller. Every commit is fenced by the lease (checked in the commit's transaction), so a poller
// that lost it writes nothing. While it holds the lease it keeps the pipeline marker
// (pipeline-heartbeat.ts), which tells balance readers whether the pipeline is close enough behind
// the chain for cached balances to be trusted; each commit makes a progress line and updates the
// metrics (poller-progress.ts).
//
// A node outage (a transient failure the chain layer's own attempts did not get past) does not end
// the run: it is waited out (node-outage.ts) and following starts again from the cursor, exactly as
// a restart would, but holding the lease. Anything else (a permanent chain error, PostgreSQL, the
// lease) ends it. With --once nothing is waited out: its next run is the retry.
import type {ChainOptions, ChainReader, CheckpointView} from '../chain/index.ts'
import {messageOf} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import {Outbox} from '../queue/outbox.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import {readCursor} from '../store/ingest-cursor.ts'
import {type Lease, LeaseLostError} from '../store/lease.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import {BatchPreparer, type PreparedBatch} from './batch-preparer.ts'
import {BoundedChannel} from './bounded-channel.ts'
import {CheckpointCommitter, type StoredBatch} from './checkpoint-committer.ts'
import {CheckpointReader} from './checkpoint-reader.ts'
import type {FollowMode} from './checkpoint-source.ts'
import {JobQueuer} from './job-queuer.ts'
import {LiveAccounts} from './live-accounts.ts'
import type {ScreenChange} from './monitored-accounts.ts'
import {isTransientNodeFailure, NodeOutage} from './node-outage.ts'
import type {PipelineHeartbeat} from './pipeline-heartbeat.ts'
import type {PollerMetrics} from './poller-metrics.ts'
import {PollerProgress} from './poller-progress.ts'
import {RelevanceDecider, type DecidedCheckpoint} from './relevance-decider.ts'
import {RelevanceFilter} from './relevance-filter.ts'
import {type StartPoint, startPoint} from './start-point.ts'

// Checkpoints read and screened, waiting to be decided: the decide stage takes all there are at
// once, and is quick. Few, so that a read checkpoint's objects die young (they are decided soon
// after they are read) even while the stages behind hold the reader back.
const READ_AHEAD = 16
// Decided checkpoints waiting for their batch: enough to keep the reader busy while a batch is
// written. Each holds only its relevant transactions, so a deep buffer costs little memory.
const DECIDED_AHEAD = 500
// Prepared batches waiting for the commit stage. With the one the details stage holds until there
// is room for it, two batches' details are fetched ahead of the one the commit stage awaits while
// batches are written: with one ahead, a fetch slower than a write (a busy node) left the poller
// idle; two gave a few percent at 10% relevant (bench:poll).
const PREPARED_AHEAD = 1
// Committed batches waiting for their jobs to be queued. The queue stage takes all there are at
// once, so only a Redis that does not answer for long fills this; commits then wait for it.
const COMMITTED_AHEAD = 1_000

export interface PollerOptions {
  readonly db: Database
  readonly chain: ChainReader
  readonly queue: TransactionQueue
  readonly lease: Lease
  readonly packages: readonly string[]
  readonly tokens: TokenRegistry
  readonly cursorName: string
  readonly mode: FollowMode
  readonly intervalMs: number
  /** Catch up to the tip seen at start, then return; a lease held by another poller means nothing to do. */
  readonly once: boolean
  /** Where to start when there is no cursor yet (default: the tip). */
  readonly fromCheckpoint?: bigint
  readonly logger: Logger
  readonly metrics?: PollerMetrics
  readonly accountsRefreshMs?: number
  readonly outboxIntervalMs?: number
  readonly leaseCheckMs?: number
  readonly maxBatch?: number
  /** With once: how long to wait for a node that is behind the cursor before giving up (default 30 s). */
  readonly nodeBehindWaitMs?: number
  /** How long fetching a batch's relevant transactions in full may take before the poller stops (default 30 s). */
  readonly detailsDeadlineMs?: number
  /** Keeps the pipeline marker while the lease is held: told every tip seen and every commit. */
  readonly heartbeat?: PipelineHeartbeat
  /** The longest wait between two attempts while a node outage is waited out (SUI_RETRY_MAX_DELAY; default 30 s). */
  readonly retryMaxDelayMs?: number
  /** Read and screen checkpoints on a thread of their own, with a chain reader on these options (none: on the main thread, through `chain`). */
  readonly readingThread?: ChainOptions
}

export interface PollerResult {
  /** The first checkpoint this run read (undefined: it never held the lease). */
  readonly startedAt: bigint | undefined
  /** Where the cursor is now (a standby's too: the active poller's). */
  readonly cursor: bigint | undefined
  readonly checkpoints: number
  readonly relevant: number
  /** standby: with once, another poller holds the lease, so there was nothing to do. */
  readonly stoppedBy: 'caught-up' | 'signal' | 'standby'
}

export class Poller {
  private readonly options: PollerOptions
  private readonly accounts: LiveAccounts
  private readonly outbox: Outbox
  private readonly outage: NodeOutage
  private readonly progress: PollerProgress
  /** The first checkpoint this run read, and what it committed, over every start from the cursor. */
  private firstStart: bigint | undefined
  private readonly committed = {checkpoints: 0, relevant: 0}

  constructor(options: PollerOptions) {
    this.options = options
    const {db, chain, queue, packages, tokens, logger, lease, detailsDeadlineMs} = options
    this.accounts = new LiveAccounts({db, chain, queue, packages, tokens, logger, fence: lease.fence, detailsDeadlineMs})
    this.outbox = new Outbox(db, queue, {logger})
    this.outage = new NodeOutage({maxDelayMs: options.retryMaxDelayMs ?? 30_000, logger})
    this.progress = new PollerProgress({outage: this.outage, metrics: options.metrics, heartbeat: options.heartbeat})
  }

  async run(signal: AbortSignal): Promise<PollerResult> {
    const {lease, logger, once, db, cursorName} = this.options
    const onHeld = () => logger.info(once ? 'another poller holds the lease and polls; nothing to do' : 'another poller holds the lease; waiting as a hot standby')
    if (!(await lease.acquire(signal, {wait: !once, onHeld}))) {
      // A standby read nothing: its summary names where the database's cursor is (the active poller's).
      return {startedAt: undefined, cursor: await readCursor(db, cursorName), checkpoints: 0, relevant: 0, stoppedBy: once && !signal.aborted ? 'standby' : 'signal'}
    }
    logger.info({token: lease.token?.toString()}, 'holding the poller lease')
    try {
      return await this.followThroughOutages(signal)
    } catch (error) {
      // A poller that lost its lease fails in whatever it does next (the commit's fence, a
      // connection PostgreSQL ended, a stream cut while it was stopped): the loss is what to say.
      if (!(error instanceof LeaseLostError)) await lease.check()
      throw error
    } finally {
      await this.options.heartbeat?.stop()
      await lease.release()
    }
  }

  /** Follows from the cursor; a node outage is waited out, then following starts from the cursor again. */
  private async followThroughOutages(signal: AbortSignal): Promise<PollerResult> {
    for (;;) {
      try {
        return await this.followFromCursor(signal)
      } catch (error) {
        // A stop during a start (a chain call's backoff ends with the signal's reason) is a stop.
        if (signal.aborted) return this.stopped()
        if (this.options.once || !isTransientNodeFailure(error)) throw error
        // The marker's lag grows with the outage, and status is told of it, from now until it is over.
        this.options.heartbeat?.reportOutage(this.outage)
        await this.outage.waitOut(error, signal).catch(() => undefined)
        if (signal.aborted) return this.stopped()
        await this.options.lease.check()
      }
    }
  }

  /** What the poller was doing as it was cut off: the cursor as stored is where it stands. */
  private async stopped(): Promise<PollerResult> {
    const {db, cursorName} = this.options
    const cursor = await readCursor(db, cursorName).catch(() => undefined)
    return {startedAt: this.firstStart, cursor, ...this.committed, stoppedBy: 'signal'}
  }

  /** One start from the cursor, as a process start makes it. */
  private async followFromCursor(signal: AbortSignal): Promise<PollerResult> {
    const point = await startPoint(this.options, signal)
    this.firstStart ??= point.start
    this.options.heartbeat?.start(point.start - 1n, point.tip)
    // The accounts load (a second or more with a million) while the stages are set up; no
    // checkpoint is read before they are loaded, since reading screens it with them.
    const ready = this.accounts.load(point.start, signal)
    ready.catch(() => undefined) // awaited by follow(); this only keeps an early failure from being "unhandled"
    return await this.follow(point, ready, signal)
  }

  /** Runs the stages from `point` until the commit stage ends (caught up with --once, a stop, a failure). */
  private async follow(point: StartPoint, ready: Promise<void>, signal: AbortSignal): Promise<PollerResult> {
    const stop = new AbortController()
    const abortOnSignal = () => stop.abort()
    signal.addEventListener('abort', abortOnSignal, {once: true})
    // A stop that came while the start point was read has no event left to fire.
    if (signal.aborted) stop.abort()
    const {reader, decider, preparer, committer, queuer} = this.stages(point, stop.signal)
    const read = new BoundedChannel<CheckpointView>(READ_AHEAD)
    const decided = new BoundedChannel<DecidedCheckpoint>(DECIDED_AHEAD)
    const prepared = new BoundedChannel<Promise<PreparedBatch>>(PREPARED_AHEAD)
    const committed = new BoundedChannel<StoredBatch>(COMMITTED_AHEAD)
    const screen: ScreenChange = (delta, applied) => reader.changeScreen(delta, (nextToScreen) => applied({nextToScreen, nextToDecide: decider.next}))
    const background = this.startBackgroundTasks(stop, screen)
    // Jobs a crash or a Redis restart lost are queued again at start, beside the reading rather
    // than before it: with the worker behind, checking tens of thousands of unprocessed events
    // takes seconds, and none of it bears on what is read next.
    const startSweep = this.outbox.sweep().catch((error: unknown) => this.options.logger.warn({err: messageOf(error)}, 'outbox sweep failed'))
    // None of these fails: each passes its failure on down the line, to the commit stage.
    const others = [reader.run(ready, read, stop.signal), decider.run(read, decided), preparer.run(decided, prepared), queuer.run(committed)]
    try {
      await committer.run(prepared, committed)
      if (background.failure) throw background.failure
      // Nothing read (--once at the tip): the loading, and the fills it started, still complete.
      await ready
    } finally {
      stop.abort()
      // Stages waiting to put (the commit stage has ended) are let go; the queue stage drains what was committed.
      for (const channel of [read, decided, prepared]) channel.close()
      background.stop()
      signal.removeEventListener('abort', abortOnSignal)
      // Nothing of this run writes after the lease is released.
      await Promise.allSettled(others)
      // A failed read does not leave the loading, or the sweep, writing after the lease is released.
      await ready.catch(() => undefined)
      await startSweep
    }
    return {startedAt: this.firstStart, cursor: committer.position, ...this.committed, stoppedBy: signal.aborted ? 'signal' : 'caught-up'}
  }

  /** The stages of one start from the cursor. */
  private stages(point: StartPoint, stop: AbortSignal) {
    const {db, chain, queue, packages, tokens, cursorName, lease, logger, metrics} = this.options
    const {start, cursor, stopAfter, chainId} = point
    const accounts = this.accounts.set
    const reader = new CheckpointReader(chain, start, {
      mode: this.options.mode,
      intervalMs: this.options.intervalMs,
      ...(stopAfter !== undefined ? {stopAfter} : {}),
      packages,
      accounts,
      thread: this.options.readingThread,
      onTip: (tip) => this.progress.tipSeen(tip, committer.position ?? start - 1n),
      logger,
    })
    const decider = new RelevanceDecider({filter: new RelevanceFilter({packages, tokens, accounts}), start})
    const committer = new CheckpointCommitter({
      db,
      cursorName,
      chainId,
      cursor,
      fence: lease.fence,
      signal: stop,
      // A fill stores rows a store in flight may hold too: it runs alone, between two commits.
      between: {due: () => this.accounts.fillDue, run: () => this.accounts.fill(stop)},
      onCommitted: (batch, stageLogger) => {
        this.committed.checkpoints += Number(batch.last - batch.first) + 1
        this.committed.relevant += batch.relevant
        this.progress.committed(batch, stageLogger)
      },
      logger,
    })
    const preparer = new BatchPreparer({chain, maxBatch: this.options.maxBatch, retry: {deadlineMs: this.options.detailsDeadlineMs}, signal: stop, logger, position: () => committer.position, tip: () => reader.tip})
    const queuer = new JobQueuer({queue, metrics, logger})
    return {reader, decider, preparer, committer, queuer}
  }

  /** The account refresh, the outbox sweep and the lease check, every few seconds while following. */
  private startBackgroundTasks(stop: AbortController, screen: ScreenChange) {
    const {lease, logger} = this.options
    const state: {failure: unknown; stop: () => void} = {failure: undefined, stop: () => undefined}
    const timers = [
      every(this.options.accountsRefreshMs ?? 2_000, () => this.accounts.refresh(screen)),
      every(this.options.outboxIntervalMs ?? 30_000, () => this.outbox.sweep().catch((error: unknown) => logger.warn({err: messageOf(error)}, 'outbox sweep failed'))),
      every(this.options.leaseCheckMs ?? 2_000, () =>
        lease.check().catch((error: unknown) => {
          state.failure = error
          stop.abort()
        }),
      ),
    ]
    state.stop = () => timers.forEach(clearInterval)
    return state
  }
}

/** Runs `task` every `ms`, skipping a beat while the last run is still going. */
function every(ms: number, task: () => Promise<unknown>): NodeJS.Timeout {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    task().finally(() => (running = false))
  }, ms)
  timer.unref()
  return timer
}
