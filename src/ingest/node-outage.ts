// A node outage as the poller rides it out, by the indexer framework's rule: a transient failure
// (the node down, slow or shedding load: a ChainError the call's own attempts did not get past,
// with `transient` set) is waited out with capped exponential backoff for as long as it lasts; a
// permanent one (a refused token, the wrong chain, an answer that does not decode) stops the
// poller at once. Each wait is one log line with its delay. While it lasts, the outage is
// reported: to the pipeline heartbeat, whose lag then grows with it (balance readers stop trusting
// the cache once it passes PIPELINE_LAG_THRESHOLD), and in a Redis key of its own that
// `confio status` reads (written with the marker, gone within MARKER_LIFETIME_MS of the poller
// stopping). It is over once the poller is where the node is again: a batch committed, or a tip
// seen that the cursor has reached.
//
//   key:   <REDIS_PREFIX>pipeline:node-outage
//   value: JSON {since, forMs, attempts, error}: since by the poller's clock (ISO 8601), forMs
//          as of the write (no two machines' clocks compared), error the last failure's one line.
import {ChainError} from '../chain/index.ts'
import {messageOf} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import {backoffDelayMs} from '../support/backoff.ts'
import {formatWait} from '../support/format-wait.ts'
import {sleep} from '../support/sleep.ts'
import {TransactionDetailsError} from './details-fetcher.ts'

/** The first wait's ceiling; each next one doubles, up to the cap (SUI_RETRY_MAX_DELAY). */
const FIRST_WAIT_MS = 1_000

export interface NodeOutageView {
  /** When the first failure was seen, by the poller's clock. */
  readonly since: string
  /** How long it has lasted so far. */
  readonly forMs: number
  /** Failures waited out so far. */
  readonly attempts: number
  /** The last failure, on one line. */
  readonly error: string
}

/** Whether `error` is a node failure that may pass: waited out, never a reason to stop. */
export function isTransientNodeFailure(error: unknown): boolean {
  if (error instanceof ChainError || error instanceof TransactionDetailsError) return error.transient
  return false
}

export function nodeOutageKey(prefix: string): string {
  return `${prefix}pipeline:node-outage`
}

/** undefined for a value this version of confio cannot read. */
export function decodeNodeOutage(value: string): NodeOutageView | undefined {
  try {
    const {since, forMs, attempts, error} = JSON.parse(value) as Partial<NodeOutageView>
    if (typeof since !== 'string' || typeof forMs !== 'number' || typeof attempts !== 'number' || typeof error !== 'string') return undefined
    return {since, forMs, attempts, error}
  } catch {
    return undefined
  }
}

export class NodeOutage {
  private readonly maxDelayMs: number
  private readonly logger: Logger
  private outage: {sinceMs: number; startedAt: number; attempts: number; error: string} | undefined

  /** `maxDelayMs`: the longest wait between two attempts (SUI_RETRY_MAX_DELAY). */
  constructor(options: {maxDelayMs: number; logger: Logger}) {
    this.maxDelayMs = options.maxDelayMs
    this.logger = options.logger
  }

  /** The outage as of now; undefined when there is none. */
  current(): NodeOutageView | undefined {
    const outage = this.outage
    if (!outage) return undefined
    return {since: new Date(outage.sinceMs).toISOString(), forMs: Math.round(performance.now() - outage.startedAt), attempts: outage.attempts, error: outage.error}
  }

  /** How long the current outage has lasted (0: none). */
  elapsedMs(nowMs = performance.now()): number {
    return this.outage ? Math.max(0, nowMs - this.outage.startedAt) : 0
  }

  /**
   * Records a transient failure, says it in one line with the wait that follows, and waits.
   * Rejects with the signal's reason when it aborts first.
   */
  async waitOut(error: unknown, signal: AbortSignal): Promise<void> {
    const outage = (this.outage ??= {sinceMs: Date.now(), startedAt: performance.now(), attempts: 0, error: ''})
    outage.attempts += 1
    outage.error = messageOf(error).split('\n')[0] ?? ''
    const delayMs = backoffDelayMs({baseMs: FIRST_WAIT_MS, maxMs: this.maxDelayMs}, outage.attempts)
    const since = new Date(outage.sinceMs).toISOString()
    this.logger.warn(
      {attempt: outage.attempts, delayMs, since, err: outage.error},
      `the node cannot be reached (${outage.error}); following again from the cursor in ${formatWait(delayMs)} (attempt ${outage.attempts}, since ${since})`,
    )
    await sleep(delayMs, signal)
  }

  /** The poller is where the node is again: the outage, if any, is over. */
  over(): void {
    const outage = this.outage
    if (!outage) return
    this.outage = undefined
    const lastedMs = Math.round(performance.now() - outage.startedAt)
    this.logger.info({attempts: outage.attempts, lastedMs}, `the node answers again: following after an outage of ${formatWait(lastedMs)} (${outage.attempts} ${outage.attempts === 1 ? 'attempt' : 'attempts'} waited out)`)
  }
}
