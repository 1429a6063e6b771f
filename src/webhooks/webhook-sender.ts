// Sends the webhook outbox (webhook_deliveries) to WEBHOOK_URL, inside the worker process beside
// its job loops and never in their way: it has its own loop, its own PostgreSQL statements (a claim
// and at most two updates per round, whatever the number of rows) and no lock a job waits for.
//
// Each round claims the rows due now (webhook-deliveries.ts: a lease, so two senders never send a
// row at once and a killed sender's rows come due again by themselves), POSTs each, at most
// `concurrency` at a time, signed (webhook-signature.ts), with a deadline; then records the
// outcomes: a 2xx answer delivers the row, anything else (a refused connection, no answer within
// the deadline, a non-2xx status, a redirect: not followed) schedules another attempt with capped exponential
// backoff, until the row's give_up_at (24 h), when it is `failed`. Delivery is at least once: a
// sender killed between a receiver's answer and the update sends the row again after the lease; the
// id stays the same, and receivers de-duplicate by it.
//
// Error policy: a PostgreSQL failure is logged and the round tried again with backoff (the rows
// stay where they were); a receiver's failure is that row's outcome, never the sender's. Nothing
// thrown here reaches the worker.
import type {WebhookSettings} from '../config/config.ts'
import {messageOf} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import {type BackoffPolicy, backoffDelayMs} from '../support/backoff.ts'
import {ConcurrencyLimiter} from '../support/concurrency-limiter.ts'
import {pause} from '../support/pause.ts'
import {bodyOf, type ClaimedDelivery, claimDue, type DeliveryOutcome, recordOutcomes} from './webhook-deliveries.ts'
import type {MetricsRegistry} from '../support/metric-families.ts'
import {WebhookMetrics} from './webhook-metrics.ts'
import {postWebhook, webhookAgent, WebhookTimeout} from './webhook-request.ts'
import {SIGNATURE_HEADER, signatureHeader} from './webhook-signature.ts'
import type {Agent} from 'node:http'

export interface WebhookSenderOptions {
  readonly db: Database
  readonly url: string
  readonly secret: string
  readonly logger: Logger
  /** Requests in flight at once (default 16). */
  readonly concurrency?: number
  /** Longest wait for a receiver's answer (default 10 s). */
  readonly timeoutMs?: number
  /** Delay before the next attempt after failed attempt n: base·2^(n-1) capped, jittered (default 5 s to 1 h). */
  readonly retry?: BackoffPolicy
  /** How often to look when nobody woke the sender: rows other processes queued, retries come due (default 1 s). */
  readonly idleIntervalMs?: number
  /** How long stop() lets requests in flight finish before it cuts them off (default 5 s). */
  readonly stopGraceMs?: number
  /** This sender in claimed_by; default `<pid>`. */
  readonly name?: string
  /** Where its attempts are counted (--metrics-port). */
  readonly metrics?: WebhookMetrics
}

/** The sender WEBHOOK_URL's settings ask for, as every process that sends runs it (`confio worker`, `confio webhooks send`); its attempts counted in `registry` when given. */
export function webhookSenderFor(settings: WebhookSettings, parts: {db: Database; logger: Logger; stopGraceMs: number; registry?: MetricsRegistry | undefined}): WebhookSender {
  const metrics = parts.registry ? new WebhookMetrics() : undefined
  if (parts.registry && metrics) metrics.register(parts.registry)
  return new WebhookSender({
    db: parts.db,
    url: settings.url,
    secret: settings.secret,
    timeoutMs: settings.timeoutMs,
    retry: {baseMs: settings.retryDelayMs, maxMs: 3_600_000},
    logger: parts.logger,
    stopGraceMs: Math.min(parts.stopGraceMs, 5_000),
    ...(metrics ? {metrics} : {}),
  })
}

const DB_RETRY: BackoffPolicy = {baseMs: 500, maxMs: 10_000}
const FAILURE_LOG_INTERVAL_MS = 60_000

export class WebhookSender {
  private readonly options: WebhookSenderOptions
  private readonly concurrency: number
  private readonly timeoutMs: number
  private readonly retry: BackoffPolicy
  /** Rows claimed at most: enough that the requests never wait for a claim, few enough to send within a lease. */
  private readonly capacity: number
  private readonly leaseMs: number
  private readonly limiter: ConcurrencyLimiter
  private readonly url: URL
  private readonly agent: Agent
  private readonly inFlight = new Set<Promise<void>>()
  private outcomes: DeliveryOutcome[] = []
  /** Aborted when stop()'s grace is over: requests still open are cut off and their rows released. */
  private readonly cutOff = new AbortController()
  /** Ends the wait in hand (wake, a request done, stop). */
  private readonly nudges = new EventTarget()
  private nudged = false
  private stopping = false
  private running: Promise<void> | undefined
  /** Failures not logged yet, and when the last was: one warning a minute while a receiver fails, not one per event. */
  private unlogged = 0
  private loggedAt = 0

  constructor(options: WebhookSenderOptions) {
    this.options = options
    this.concurrency = options.concurrency ?? 16
    this.timeoutMs = options.timeoutMs ?? 10_000
    this.retry = options.retry ?? {baseMs: 5_000, maxMs: 3_600_000}
    this.capacity = this.concurrency * 8
    // A claimed row may wait for seven rounds of requests before its own, then take its own
    // deadline; the rest is for recording the outcome.
    this.leaseMs = this.timeoutMs * 9 + 5_000
    this.limiter = new ConcurrencyLimiter(this.concurrency)
    this.url = new URL(options.url)
    this.agent = webhookAgent(options.url, this.concurrency)
  }

  start(): void {
    this.running ??= this.loop()
  }

  /** Look now: a commit just queued events. */
  wake(): void {
    this.nudge()
  }

  /** Stops claiming, lets requests in flight finish (for stopGraceMs at most), records what they came to. */
  async stop(): Promise<void> {
    this.stopping = true
    this.nudge()
    await this.running
  }

  private nudge(): void {
    this.nudged = true
    this.nudges.dispatchEvent(new Event('nudge'))
  }

  private async loop(): Promise<void> {
    const {logger} = this.options
    let dbFailures = 0
    while (!this.stopping) {
      this.nudged = false
      let full = false
      try {
        const room = this.capacity - this.inFlight.size
        // Claim in rounds of at least `concurrency` rows, not one row per request finished.
        // The claim and the last round's outcomes at once, on two connections.
        const [claim, flushed] = await Promise.allSettled([
          room >= this.concurrency ? claimDue(this.options.db, room, this.leaseMs, this.options.name ?? String(process.pid)) : Promise.resolve([]),
          this.flush(),
        ])
        if (claim.status === 'rejected') throw claim.reason
        // Claimed rows are sent even when the flush failed: they are this sender's until the lease lapses.
        for (const delivery of claim.value) this.send(delivery)
        full = room >= this.concurrency && claim.value.length === room
        if (flushed.status === 'rejected') throw flushed.reason
        if (dbFailures > 0) logger.info('webhooks: PostgreSQL answers again; sending')
        dbFailures = 0
      } catch (error) {
        dbFailures += 1
        if (dbFailures === 1) logger.warn({err: messageOf(error)}, 'webhooks: cannot read or update webhook_deliveries; trying again with backoff (events stay queued)')
      }
      if (this.nudged && dbFailures === 0) continue
      const waitMs = dbFailures > 0 ? Math.max(DB_RETRY.baseMs, backoffDelayMs(DB_RETRY, dbFailures)) : full ? this.timeoutMs : (this.options.idleIntervalMs ?? 1_000)
      await this.waitForNudge(waitMs)
    }
    await this.finish()
  }

  /** After the loop: the requests in flight get the grace, then are cut off; every outcome is recorded. */
  private async finish(): Promise<void> {
    const grace = new AbortController()
    await Promise.race([Promise.allSettled([...this.inFlight]), pause(this.options.stopGraceMs ?? 5_000, grace.signal)])
    grace.abort()
    this.cutOff.abort()
    await Promise.allSettled([...this.inFlight])
    await this.flush().catch((error: unknown) => this.options.logger.warn({err: messageOf(error)}, 'webhooks: outcomes not recorded at exit; those rows are sent again when their claim lapses'))
    this.agent.destroy()
  }

  /** Waits `ms`, or until nudged (a nudge before the wait began counts). */
  private async waitForNudge(ms: number): Promise<void> {
    if (this.nudged) return
    const done = new AbortController()
    const onNudge = () => done.abort()
    this.nudges.addEventListener('nudge', onNudge, {once: true})
    await pause(ms, done.signal)
    this.nudges.removeEventListener('nudge', onNudge)
  }

  private send(delivery: ClaimedDelivery): void {
    const sending: Promise<void> = this.limiter
      .run(() => this.post(delivery))
      .then((outcome) => {
        this.outcomes.push(outcome)
        if (outcome.kind !== 'released') this.options.metrics?.attempted(outcome.kind)
      })
      .finally(() => {
        this.inFlight.delete(sending)
        // Only when there is room for a round's claim, or nothing left to wait for: a round per
        // request finished would be two statements per event.
        if (this.inFlight.size === this.capacity - this.concurrency || this.inFlight.size === 0) this.nudge()
      })
    this.inFlight.add(sending)
  }

  /** One attempt; never throws. */
  private async post(delivery: ClaimedDelivery): Promise<DeliveryOutcome> {
    const {id} = delivery
    if (this.cutOff.signal.aborted) return {id, kind: 'released'}
    const body = bodyOf(delivery)
    const t = Math.floor(Date.now() / 1000)
    try {
      const status = await postWebhook(
        this.url,
        this.agent,
        {'content-type': 'application/json', 'user-agent': 'confio-webhooks', [SIGNATURE_HEADER]: signatureHeader(this.options.secret, body, t)},
        body,
        this.timeoutMs,
        this.cutOff.signal,
      )
      // A redirect is not an acknowledgement (it is not followed: that would send the event elsewhere).
      if (status >= 200 && status < 300) return {id, kind: 'delivered'}
      return this.failed(delivery, `HTTP ${status}`)
    } catch (error) {
      if (this.cutOff.signal.aborted) return {id, kind: 'released'}
      return this.failed(delivery, describeFailure(error))
    }
  }

  private failed(delivery: ClaimedDelivery, error: string): DeliveryOutcome {
    this.unlogged += 1
    if (Date.now() - this.loggedAt >= FAILURE_LOG_INTERVAL_MS) {
      this.options.logger.warn({err: error, id: delivery.id, failures: this.unlogged}, 'webhooks: the receiver did not acknowledge events; each is retried with backoff for up to 24 h (confio webhooks list)')
      this.unlogged = 0
      this.loggedAt = Date.now()
    }
    return {id: delivery.id, kind: 'failed', error, retryInMs: Math.max(this.retry.baseMs, backoffDelayMs(this.retry, delivery.attempts))}
  }

  /** Records the outcomes gathered so far; on failure they are kept for the next round. */
  private async flush(): Promise<void> {
    if (this.outcomes.length === 0) return
    const outcomes = this.outcomes
    this.outcomes = []
    try {
      await recordOutcomes(this.options.db, outcomes)
    } catch (error) {
      this.outcomes = [...outcomes, ...this.outcomes]
      throw error
    }
  }
}

/** A failed request in a few words: a timeout as such, a network error with its code. */
function describeFailure(error: unknown): string {
  if (error instanceof WebhookTimeout) return error.message
  const code = (error as {code?: unknown}).code
  return typeof code === 'string' ? `${messageOf(error)} (${code})` : messageOf(error)
}
