// `confio poll`: the process that must never miss a transaction. It holds the lease (one active
// poller per database), follows checkpoints from the cursor on, keeps the relevant transactions
// and the cursor in one commit per batch, and queues a job per stored transaction.
//
//   CheckpointSource -> relevance --(bounded channel)--> CheckpointCommitter --> TransactionQueue
//                                                            |     (two stores at once,
//                                                            |      committed in order)
//                                  ChainReader.transactionDetails (the relevant few, in full)
//
// Around it: the monitored accounts are refreshed every few seconds, the outbox re-queues what
// Redis lost, and the lease is checked; losing it stops the poller. An account picked up by a
// refresh counts from the next checkpoint decided; what came before, from its monitored_from on,
// is filled by a separate read (HistoryFill) before the next commit, and at start for any fill a
// crash cut short (account-coverage.ts). Every commit is fenced by the
// lease (checked in the commit's transaction), so a poller that lost it writes nothing. While it
// holds the lease it keeps the pipeline marker (pipeline-heartbeat.ts), which tells balance readers
// whether the pipeline is close enough behind the chain for cached balances to be trusted.
//
// A node outage (a transient failure the chain layer's own attempts did not get past) does not end
// the run: it is waited out (node-outage.ts) and following starts again from the cursor, exactly as
// a restart would, but holding the lease. Anything else (a permanent chain error, PostgreSQL, the
// lease) ends it. With --once nothing is waited out: its next run is the retry.
import type {ChainReader, ServiceInfo} from '../chain/index.ts'
import type {Logger} from '../logging/logger.ts'
import {Outbox} from '../queue/outbox.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import {checkCursorChain, readCursor} from '../store/ingest-cursor.ts'
import {type Lease, LeaseLostError} from '../store/lease.ts'
import {messageOf, RuntimeFailure} from '../errors.ts'
import {pause} from '../support/pause.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import {BoundedChannel} from './bounded-channel.ts'
import {CheckpointCommitter, type DecidedCheckpoint, type PreparedBatch, type StoredBatch} from './checkpoint-committer.ts'
import {CheckpointSource, type FollowMode} from './checkpoint-source.ts'
import {type CoverageGap, coverageGaps, markFilled, markLive, startCoverage} from './account-coverage.ts'
import {HistoryFill} from './history-fill.ts'
import {MonitoredAccounts} from './monitored-accounts.ts'
import {isTransientNodeFailure, NodeOutage} from './node-outage.ts'
import type {PipelineHeartbeat} from './pipeline-heartbeat.ts'
import type {PollerMetrics} from './poller-metrics.ts'
import {RelevanceFilter} from './relevance-filter.ts'
import {RelevanceScreen} from './relevance-screen.ts'

// Decided checkpoints waiting for their commit: enough to keep the reader busy while a batch is
// written. Each holds only its relevant transactions, so a deep buffer costs little memory.
const CHANNEL_CHECKPOINTS = 500
// Batches whose details are being fetched while one is written: with one, a fetch slower than a
// write (a busy node) left the poller idle; two gave a few percent at 10% relevant (bench:poll).
const PREPARED_AHEAD = 2
// Batches being stored at once. Their inserts overlap, so the database works on one while the
// other waits for a core or the disk; they commit in order (CheckpointCommitter.store).
const STORES_AHEAD = 2

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
  private readonly accounts: MonitoredAccounts
  private readonly outbox: Outbox
  private lastLog = 0
  private tip: bigint | undefined
  /** The chain the node serves, as GetServiceInfo said at start. */
  private chainId: string | undefined
  /** The last checkpoint whose relevance has been decided (with the account set of that moment). */
  private decidedThrough = -1n
  /** Accounts' history still to fill (picked up by a refresh, or left by a crash). */
  private gaps: CoverageGap[] = []
  private readonly outage: NodeOutage
  /** The first checkpoint this run read, and what it committed, over every start from the cursor. */
  private firstStart: bigint | undefined
  private readonly committed = {checkpoints: 0, relevant: 0}

  constructor(options: PollerOptions) {
    this.options = options
    this.accounts = new MonitoredAccounts(options.db)
    this.outbox = new Outbox(options.db, options.queue, {logger: options.logger})
    this.outage = new NodeOutage({maxDelayMs: options.retryMaxDelayMs ?? 30_000, logger: options.logger})
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
    const {start, cursor, stopAfter, tip} = await this.startPoint(signal)
    this.firstStart ??= start
    this.options.heartbeat?.start(start - 1n, tip)
    this.decidedThrough = start - 1n
    // The accounts load (a second or more with a million) while the follower is set up; no
    // checkpoint is read before they are loaded, since reading screens it with them.
    const ready = this.loadAccounts(start, signal)
    ready.catch(() => undefined) // awaited by follow(); this only keeps an early failure from being "unhandled"
    return await this.follow(start, cursor, stopAfter, ready, signal)
  }

  /** The account set, and the fills a crash cut short. */
  private async loadAccounts(start: bigint, signal: AbortSignal): Promise<void> {
    const {db, logger} = this.options
    await startCoverage(db, start)
    // The fills a crash cut short are looked up beside the load (both only read now).
    const gaps = coverageGaps(db)
    gaps.catch(() => undefined) // awaited below; this only keeps an early failure from being "unhandled"
    await this.accounts.load(start)
    logger.info({accounts: this.accounts.size}, 'monitored accounts loaded')
    this.gaps = await gaps
    await this.fillGaps(signal)
  }

  private async startPoint(signal: AbortSignal) {
    const {db, chain, cursorName, fromCheckpoint, once, logger} = this.options
    const cursor = await readCursor(db, cursorName)
    let info = await chain.serviceInfo({signal})
    await checkCursorChain(db, cursorName, info, {record: true})
    this.chainId = info.chainId
    if (cursor !== undefined && info.checkpointHeight < cursor) info = await this.waitForNode(cursor, info, signal)
    if (cursor !== undefined && fromCheckpoint !== undefined) {
      logger.warn({cursor: cursor.toString(), fromCheckpoint: fromCheckpoint.toString()}, '--from-checkpoint ignored: a cursor exists and polling resumes from it (move it with --reset-cursor)')
    }
    const tip = info.checkpointHeight
    const start = cursor !== undefined ? cursor + 1n : (fromCheckpoint ?? tip)
    logger.info({start: start.toString(), cursor: cursor?.toString() ?? null, once}, cursor === undefined ? 'no cursor yet; starting' : 'resuming after the cursor')
    return {start, cursor, tip, stopAfter: once ? tip : undefined}
  }

  /**
   * A node whose tip is behind the cursor (a restarted local node, a provider replica that lags)
   * has nothing this poller needs yet: it is said so and waited on, never taken for "caught up".
   * With once the wait has a deadline.
   */
  private async waitForNode(cursor: bigint, first: ServiceInfo, signal: AbortSignal): Promise<ServiceInfo> {
    const {chain, once, logger, intervalMs} = this.options
    const deadline = Date.now() + (this.options.nodeBehindWaitMs ?? 30_000)
    let info = first
    let said = 0
    while (info.checkpointHeight < cursor) {
      const message = `the node is at checkpoint ${info.checkpointHeight}, behind this database's cursor ${cursor}`
      if (once && Date.now() > deadline) {
        throw new RuntimeFailure(message, {code: 'NODE_BEHIND_CURSOR', remedy: `point SUI_GRPC_URL at a node that has checkpoint ${cursor + 1n}, or wait for this one`})
      }
      if (Date.now() - said >= 30_000) {
        logger.warn({node: info.checkpointHeight.toString(), cursor: cursor.toString()}, `${message} (a restarted node, or a replica that lags): waiting for it`)
        said = Date.now()
      }
      // A stop while waiting ends the run as any stop does (the follower sees the signal).
      await pause(intervalMs, signal)
      if (signal.aborted) return info
      info = await chain.serviceInfo({signal})
    }
    logger.info({node: info.checkpointHeight.toString(), cursor: cursor.toString()}, 'the node has reached the cursor')
    return info
  }

  private async follow(start: bigint, cursor: bigint | undefined, stopAfter: bigint | undefined, ready: Promise<void>, signal: AbortSignal): Promise<PollerResult> {
    const {db, chain, queue, cursorName, logger, metrics} = this.options
    const stop = new AbortController()
    const abortOnSignal = () => stop.abort()
    signal.addEventListener('abort', abortOnSignal, {once: true})
    // A stop that came while the start point was read has no event left to fire.
    if (signal.aborted) stop.abort()
    const source = new CheckpointSource(chain, start, {
      mode: this.options.mode,
      intervalMs: this.options.intervalMs,
      ...(stopAfter !== undefined ? {stopAfter} : {}),
      logger,
      onTip: (tip) => {
        this.tip = tip
        metrics?.tipSeen(tip)
        this.options.heartbeat?.tipSeen(tip)
        if (tip <= (committer.position ?? start - 1n)) this.outage.over()
      },
      // Only the transactions that may be relevant are decoded (most of the poller's CPU was decoding the rest).
      screen: new RelevanceScreen(this.options.packages, this.accounts),
    })
    const filter = new RelevanceFilter({packages: this.options.packages, tokens: this.options.tokens, accounts: this.accounts})
    const committer = new CheckpointCommitter({db, chain, cursorName, cursor, filter, queue, logger, signal: stop.signal, detailsRetry: {deadlineMs: this.options.detailsDeadlineMs}, fence: this.options.lease.fence, ...(this.chainId ? {chainId: this.chainId} : {})})
    // Relevance is decided as each checkpoint is read, so the channel holds a checkpoint's place and
    // its few relevant transactions, not the whole decoded checkpoint.
    const channel = new BoundedChannel<DecidedCheckpoint>(CHANNEL_CHECKPOINTS)
    const background = this.startBackgroundTasks(stop, ready)
    // A failed loading ends the run even while nothing is read (a quiet chain, streaming).
    ready.catch((error: unknown) => channel.fail(error))
    // Jobs a crash or a Redis restart lost are queued again at start, beside the reading rather
    // than before it: with the worker behind, checking tens of thousands of unprocessed events
    // takes seconds, and none of it bears on what is read next.
    const startSweep = this.outbox.sweep().catch((error: unknown) => logger.warn({err: messageOf(error)}, 'outbox sweep failed'))
    const producer = this.decide(source, committer, channel, ready, stop.signal)
    let queuing = Promise.resolve()
    let reported = Promise.resolve()
    const stores: Array<Promise<StoredBatch>> = []
    try {
      const maxBatch = this.options.maxBatch ?? 250
      // Up to PREPARED_AHEAD batches are prepared (their relevant transactions fetched in full)
      // while the one before them is written, so the database and the node work at the same time;
      // writes stay strictly in order.
      const preparing: Array<{promise: Promise<PreparedBatch>; lastTimestampMs: number}> = []
      const prepare = (batch: DecidedCheckpoint[]) => {
        const promise = committer.prepare(batch)
        promise.catch(() => undefined) // awaited below; this only keeps an early failure from being "unhandled"
        preparing.push({promise, lastTimestampMs: batch[batch.length - 1]!.timestampMs})
      }
      // Stores in flight (STORES_AHEAD at most), oldest first; each one's jobs are queued once it
      // has committed and the jobs before it are queued.
      const settleOldest = async () => {
        const stored = await stores.shift()!
        this.committed.checkpoints += Number(stored.last - stored.first) + 1
        this.committed.relevant += stored.relevant
      }
      for (;;) {
        if (background.failure) throw background.failure
        if (preparing.length === 0) {
          let batch = channel.takeReady(maxBatch)
          if (!batch) {
            // Nothing to read on: see the stores through (a failed one ends the run now, not at the next checkpoint).
            while (stores.length > 0) await settleOldest()
            batch = await channel.take(maxBatch)
          }
          if (!batch) break
          prepare(batch)
        }
        const head = preparing.shift()!
        // A details fetch the stop cut short stored nothing: the run ends like any stop, at the cursor.
        const prepared = await head.promise.catch((error: unknown) => {
          if (stop.signal.aborted) return undefined
          throw error
        })
        if (!prepared) break
        while (preparing.length < PREPARED_AHEAD && !stop.signal.aborted) {
          const next = channel.takeReady(maxBatch)
          if (!next) break
          prepare(next)
        }
        // A fill stores rows a store in flight may hold too: it runs alone.
        if (this.gaps.length > 0) while (stores.length > 0) await settleOldest()
        await this.fillGaps(stop.signal)
        const stored = committer.store(prepared)
        stored.catch(() => undefined) // settled below; this only keeps an early failure from being "unhandled"
        stores.push(stored)
        // The commit is reported as soon as it is made, not after its jobs are queued: a line read
        // after a pause (SIGSTOP, a slow Redis) names only what was committed after it.
        reported = Promise.all([stored, reported]).then(([batch]) => this.report(batch, head.lastTimestampMs), () => undefined)
        queuing = Promise.all([stored, queuing]).then(([batch]) => this.queueJobs(committer, batch), () => undefined)
        if (stores.length >= STORES_AHEAD) await settleOldest()
        if (stop.signal.aborted) break
      }
      while (stores.length > 0) await settleOldest()
      if (background.failure) throw background.failure
      // Nothing read (--once at the tip): the loading, and the fills it started, still complete.
      await ready
    } finally {
      stop.abort()
      channel.close()
      background.stop()
      signal.removeEventListener('abort', abortOnSignal)
      await producer
      // Nothing of this run writes after the lease is released.
      await Promise.allSettled(stores)
      await reported
      await queuing
      // A failed read does not leave the loading, or the sweep, writing after the lease is released.
      await ready.catch(() => undefined)
      await startSweep
    }
    return {startedAt: this.firstStart, cursor: committer.position, ...this.committed, stoppedBy: signal.aborted ? 'signal' : 'caught-up'}
  }

  /**
   * Decides each checkpoint as it is read, with the account set of that moment, into the channel:
   * an account picked up from then on counts from the next checkpoint. A checkpoint is screened
   * (as it is taken from the source) and decided in one turn, with nothing awaited in between, so
   * no refresh can change the account set between the two; and none is read before the set is loaded.
   */
  private async decide(source: CheckpointSource, committer: CheckpointCommitter, channel: BoundedChannel<DecidedCheckpoint>, ready: Promise<void>, stop: AbortSignal): Promise<void> {
    try {
      await ready
      for await (const checkpoint of source.checkpoints(stop)) {
        const [decided] = committer.decide([checkpoint])
        this.decidedThrough = checkpoint.sequenceNumber
        await channel.put(decided!)
      }
      channel.close()
    } catch (error) {
      // A read cut short by the stop signal is the normal way out, not a failure.
      if (stop.aborted) channel.close()
      else channel.fail(error)
    }
  }

  private startBackgroundTasks(stop: AbortController, ready: Promise<void>) {
    const {lease, logger} = this.options
    const state: {failure: unknown; stop: () => void} = {failure: undefined, stop: () => undefined}
    let loaded = false
    ready.then(() => (loaded = true), () => undefined)
    const every = (ms: number, task: () => Promise<unknown>) => {
      let running = false
      const timer = setInterval(() => {
        if (running) return
        running = true
        task().finally(() => (running = false))
      }, ms)
      timer.unref()
      return timer
    }
    const timers = [
      every(this.options.accountsRefreshMs ?? 2_000, async () => {
        if (!loaded) return
        const change = await this.accounts.refresh(() => this.decidedThrough + 1n).catch((error: unknown) => logger.warn({err: messageOf(error)}, 'could not refresh monitored accounts'))
        if (!change) return
        if (change.added || change.removed) logger.info({added: change.added, removed: change.removed, accounts: this.accounts.size}, 'monitored accounts changed')
        if (change.picked.length > 0) await this.pickUp(change.picked.map((a) => a.id), change.liveFrom).catch((error: unknown) => logger.warn({err: messageOf(error)}, 'could not record picked-up accounts; a restart finds them'))
      }),
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

  /** Records from when the accounts count, and queues what came before for a fill. */
  private async pickUp(accountIds: string[], liveFrom: bigint): Promise<void> {
    await markLive(this.options.db, accountIds, liveFrom)
    this.gaps.push(...(await coverageGaps(this.options.db, accountIds)))
  }

  /**
   * Stores the history of the accounts' gaps (one read of their combined range) and records them
   * filled, in a commit fenced like every other. A gap the node has pruned is said and left for a
   * backfill from a node that has it.
   */
  private async fillGaps(signal: AbortSignal): Promise<void> {
    if (this.gaps.length === 0) return
    const gaps = this.gaps
    this.gaps = []
    const {db, chain, queue, packages, tokens, logger, lease} = this.options
    const {lowestAvailableCheckpoint} = await chain.serviceInfo({signal})
    const pruned = gaps.filter((gap) => gap.from < lowestAvailableCheckpoint)
    for (const gap of pruned) {
      logger.error({account: gap.accountId, address: gap.address, from: gap.from.toString(), to: gap.to.toString()}, `the history of account ${gap.accountId} misses checkpoints ${gap.from}..${gap.to}: pruned on this node; run confio backfill against a node that has them`)
    }
    const targets = gaps.filter((gap) => gap.from >= lowestAvailableCheckpoint)
    if (targets.length === 0) return
    const fill = new HistoryFill({db, chain, queue, packages, tokens, logger, signal, fence: lease.fence, detailsRetry: {deadlineMs: this.options.detailsDeadlineMs}})
    const result = await fill.run(targets, 'scan', {onComplete: (trx) => markFilled(trx, targets.map((t) => ({accountId: t.accountId, through: t.to})))})
    logger.info({accounts: targets.length, checkpoints: result.checkpointsTotal.toString(), found: result.found, stored: result.stored}, 'filled the history of accounts added while polling')
  }

  /** Queues a stored batch's jobs. Never fails: what is not queued, the outbox queues. */
  private async queueJobs(committer: CheckpointCommitter, stored: StoredBatch): Promise<void> {
    try {
      const {enqueueFailures} = await committer.queueJobs(stored)
      if (enqueueFailures > 0) this.options.metrics?.enqueueFailures.inc(enqueueFailures)
    } catch (error) {
      this.options.logger.error({err: messageOf(error), first: stored.first.toString(), last: stored.last.toString()}, 'could not queue a committed batch; the outbox will')
    }
  }

  private report(result: StoredBatch, lastTimestampMs: number): void {
    this.outage.over()
    this.options.metrics?.committed(result.last, lastTimestampMs, Number(result.last - result.first) + 1, result.relevant)
    this.options.heartbeat?.committed(result.last)
    const fields = {
      cursor: result.last.toString(),
      tip: this.tip?.toString() ?? null,
      lagCheckpoints: this.tip !== undefined && this.tip > result.last ? Number(this.tip - result.last) : 0,
      checkpoints: Number(result.last - result.first) + 1,
      transactions: result.transactions,
      relevant: result.relevant,
      inserted: result.inserted.length,
      lagSeconds: Math.max(0, (Date.now() - lastTimestampMs) / 1000),
    }
    // A line per batch that stored something, and at least one every 5 s otherwise.
    if (result.relevant > 0 || Date.now() - this.lastLog >= 5_000) {
      this.options.logger.info(fields, 'checkpoints committed')
      this.lastLog = Date.now()
    } else {
      this.options.logger.debug(fields, 'checkpoints committed')
    }
  }
}
