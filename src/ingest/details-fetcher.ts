// Completes what a checkpoint read found relevant with what the read left out, its events' JSON:
// the poller's commits and the history fills both store what this returns. One eventContents call
// per batch (the reader chunks it), retried within a time budget; what cannot be fetched fails the
// caller's commit, loudly, and is never skipped.
import {ChainError} from '../chain/index.ts'
import type {ChainReader, EventContents, TransactionDetails, TransactionRecord} from '../chain/index.ts'
import {messageOf, RuntimeFailure} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import {backoffDelayMs} from '../support/backoff.ts'
import {formatDuration} from '../support/durations.ts'
import {formatWait} from '../support/format-wait.ts'
import {pause} from '../support/pause.ts'
import type {RawEventInput} from './raw-event-repository.ts'
import type {RelevanceReason} from './relevance-filter.ts'

export type TransactionDetailsReader = Pick<ChainReader, 'transactionDetails' | 'eventContents'>

/** How a batch's details are fetched: tried again with jittered backoff, within a time budget. */
export interface DetailsRetry {
  /** How long fetching one batch's details may take, every attempt and wait included, before the commit fails. */
  readonly deadlineMs: number
  readonly baseMs: number
  readonly maxMs: number
}

// 30 s: longer than a load-balanced provider's nodes usually lag each other (seconds) and than a
// node restart, short enough that a node that pruned the transaction, or one that stopped
// answering, is reported within half a minute instead of stalling the poller unseen.
export const DEFAULT_DETAILS_DEADLINE_MS = 30_000
const DEFAULT_DETAILS_RETRY: DetailsRetry = {deadlineMs: DEFAULT_DETAILS_DEADLINE_MS, baseMs: 500, maxMs: 5_000}

/** Chain errors that say the node's answer itself is unusable (the chain layer's malformed replies, a digest it refuses). */
const MALFORMED_ANSWER: ReadonlySet<string> = new Set(['DATA_LOSS', 'INVALID_ARGUMENT'])


/**
 * The relevant transactions of a batch could not be fetched in full; nothing was committed and the
 * poller stops (exit 1). `permanent`: the node's answer itself is malformed (a digest that is not
 * one, a reply that does not decode), so a restart reads the same; otherwise the batch is read
 * again at the next start. `transient`: the node did not answer, or only with failures that may
 * pass (a following poller waits those out: node-outage.ts), not with NOT_FOUND or a refusal.
 */
export class TransactionDetailsError extends RuntimeFailure {
  override readonly name = 'TransactionDetailsError'
  readonly permanent: boolean
  readonly transient: boolean

  constructor(message: string, options: {cause?: unknown; permanent?: boolean; transient?: boolean} = {}) {
    const permanent = options.permanent ?? false
    super(message, {
      code: permanent ? 'CHAIN_REPLY_MALFORMED' : 'TRANSACTION_DETAILS_UNAVAILABLE',
      remedy: permanent
        ? 'a restart reads the same answer: point SUI_GRPC_URL at another node or provider, and report the transaction to its operator'
        : 'the batch is read again at the next start; check the node with confio test-connection',
      cause: options.cause,
    })
    this.permanent = permanent
    this.transient = options.transient ?? false
  }
}

export interface DetailsFetcherOptions {
  readonly chain: TransactionDetailsReader
  /** Over the defaults: 30 s per batch, backoff from 500 ms up to 5 s. */
  readonly retry?: Partial<DetailsRetry> | undefined
  /** The caller's stop: ends a fetch and its backoff at once. */
  readonly signal?: AbortSignal | undefined
  readonly logger?: Logger | undefined
  /** Where the caller's cursor stands, for the "nothing committed" part of an error. */
  readonly position?: () => bigint | undefined
}

export class DetailsFetcher {
  readonly #chain: TransactionDetailsReader
  readonly #retry: Partial<DetailsRetry> | undefined
  readonly #signal: AbortSignal | undefined
  readonly #logger: Logger | undefined
  readonly #position: () => bigint | undefined

  constructor(options: DetailsFetcherOptions) {
    this.#chain = options.chain
    this.#retry = options.retry
    this.#signal = options.signal
    this.#logger = options.logger
    this.#position = options.position ?? (() => undefined)
  }

  /**
   * The relevant summaries in full: each summary with its events' JSON (eventContents), matched
   * event by event. A summary with a parse error may lack an event, so it is read again whole
   * (transactionDetails) instead. Where a transaction sits (checkpoint, index, time) comes from the
   * checkpoint read; the node's answer must agree on the checkpoint and on the events.
   */
  async withDetails(relevant: Array<{tx: TransactionRecord; reasons: RelevanceReason[]}>, first: bigint, last: bigint): Promise<RawEventInput[]> {
    // A transaction whose digest could not be decoded cannot be asked for; it is stored as read
    // (it is relevant only because of its parse error) and says why its events have no JSON.
    const whole = relevant.filter(({tx}) => tx.digest !== '' && tx.parseError !== undefined).map(({tx}) => tx.digest)
    const completed = relevant.filter(({tx}) => tx.parseError === undefined).map(({tx}) => tx.digest)
    const [details, contents] = await Promise.all([
      this.#fetch(whole, first, last, (digests, signal) => this.#chain.transactionDetails(digests, {signal})),
      this.#fetch(completed, first, last, (digests, signal) => this.#chain.eventContents(digests, {signal})),
    ])
    const detailsOf = new Map(details.map((tx) => [tx.digest, tx]))
    const contentsOf = new Map(contents.map((tx) => [tx.digest, tx]))
    return relevant.map(({tx, reasons}) => {
      if (tx.digest === '') return {tx: withoutEventContents(tx), reasons}
      if (tx.parseError !== undefined) {
        const full = placed(tx, detailsOf.get(tx.digest))
        return {tx: {...full, checkpoint: tx.checkpoint, index: tx.index, timestampMs: tx.timestampMs}, reasons}
      }
      return {tx: withEventContents(tx, placed(tx, contentsOf.get(tx.digest))), reasons}
    })
  }

  /**
   * One call (the reader chunks it), tried again with backoff when it failed in a way that may
   * pass: a transient error the chain layer gave up on, or NOT_FOUND. A
   * checkpointed transaction is never legitimately missing, but a provider's load balancer may
   * send the details call to a node that has not reached the checkpoint yet. All of it within the
   * deadline (DetailsRetry.deadlineMs, 30 s): a NOT_FOUND that persists (the node pruned it, or
   * lost it), or a node that does not answer, fails the commit, loudly; never a skip. A malformed
   * answer (a digest that is not one, a reply that does not decode) fails it at once: asking again
   * gets the same. The stop signal ends the call in flight and the backoff at once.
   */
  async #fetch<T>(digests: string[], first: bigint, last: bigint, call: (digests: string[], signal: AbortSignal) => Promise<T[]>): Promise<T[]> {
    if (digests.length === 0) return []
    const given = this.#retry
    const retry: DetailsRetry = {
      deadlineMs: given?.deadlineMs ?? DEFAULT_DETAILS_RETRY.deadlineMs,
      baseMs: given?.baseMs ?? DEFAULT_DETAILS_RETRY.baseMs,
      maxMs: given?.maxMs ?? DEFAULT_DETAILS_RETRY.maxMs,
    }
    const stop = this.#signal
    const deadline = AbortSignal.timeout(retry.deadlineMs)
    const signal = stop ? AbortSignal.any([stop, deadline]) : deadline
    const what = `${digests.length} relevant transactions of checkpoints ${first}..${last}`
    const unstored = `nothing committed, the cursor stays at ${this.#position() ?? 'none'}`
    let lastFailure: unknown
    const outOfTime = (attempts: number, error: unknown) => {
      const seen = lastFailure === undefined ? 'no answer' : `last: ${messageOf(lastFailure)}`
      const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`
      const transient = lastFailure === undefined || (lastFailure as {transient?: unknown}).transient === true
      return new TransactionDetailsError(`could not fetch ${what} in full within ${formatDuration(retry.deadlineMs)} (${tries}; ${seen}); ${unstored}`, {cause: lastFailure ?? error, transient})
    }
    for (let attempt = 1; ; attempt++) {
      let error: unknown
      try {
        return await call(digests, signal)
      } catch (thrown) {
        error = thrown
      }
      if (stop?.aborted) throw stop.reason
      if (deadline.aborted) throw outOfTime(attempt, error)
      if (error instanceof TypeError) {
        // The reader refuses a digest that is not one before sending: the node's checkpoint named the transaction so.
        throw new TransactionDetailsError(`the node's checkpoint names a relevant transaction of checkpoints ${first}..${last} by a malformed digest (${error.message}); ${unstored}`, {cause: error, permanent: true})
      }
      if (error instanceof ChainError && MALFORMED_ANSWER.has(error.status)) {
        throw new TransactionDetailsError(`the node's answer for ${what} is malformed: ${error.message}; ${unstored}`, {cause: error, permanent: true})
      }
      const status = (error as {status?: unknown}).status
      if (status !== 'NOT_FOUND' && (error as {transient?: unknown}).transient !== true) {
        throw new TransactionDetailsError(`could not fetch ${what} in full: ${messageOf(error)}; ${unstored}`, {cause: error})
      }
      lastFailure = error
      const delayMs = backoffDelayMs(retry, attempt)
      this.#logger?.warn({err: messageOf(error), attempt, delayMs, first: first.toString(), last: last.toString()}, `could not fetch relevant transactions in full; retrying in ${formatWait(delayMs)}`)
      await pause(delayMs, signal)
      if (stop?.aborted) throw stop.reason
      if (deadline.aborted) throw outOfTime(attempt, error)
    }
  }
}

/** The node's answer for `tx`, which must be there and in the checkpoint the read found `tx` in. */
function placed<T extends {checkpoint: bigint}>(tx: TransactionRecord, found: T | undefined): T {
  if (found === undefined) throw new TransactionDetailsError(`no details for transaction ${tx.digest}`)
  if (found.checkpoint !== tx.checkpoint) {
    throw new TransactionDetailsError(`the node places transaction ${tx.digest} in checkpoint ${found.checkpoint}, its checkpoint read in ${tx.checkpoint}`)
  }
  return found
}

/** The summary's events with their JSON; the contents must name the same events, in the same order. */
function withEventContents(tx: TransactionRecord, contents: EventContents): TransactionDetails {
  const disagree = (why: string) =>
    new TransactionDetailsError(`the node's events of transaction ${tx.digest} do not match its checkpoint read: ${why}`, {permanent: true})
  if (contents.events.length !== tx.events.length) throw disagree(`${contents.events.length} events, the checkpoint read has ${tx.events.length}`)
  const events = tx.events.map((event, i) => {
    const content = contents.events[i]!
    if (content.type !== event.type) throw disagree(`event ${i} is ${content.type || `undecodable (${contents.parseError})`}, the checkpoint read has ${event.type}`)
    return {type: event.type, sender: event.sender, json: content.json}
  })
  return {...tx, events}
}

function withoutEventContents(tx: TransactionRecord): TransactionDetails {
  const why = 'event contents not fetched: the transaction digest could not be decoded'
  return {
    ...tx,
    // raw_blockchain_events is unique on the digest: without one, its place in the chain names it,
    // so two undecodable transactions are both kept and a replay still finds the same row.
    digest: `undecodable:${tx.checkpoint}:${tx.index}`,
    events: tx.events.map((event) => ({...event, json: null})),
    parseError: tx.parseError ? `${tx.parseError}; ${why}` : why,
  }
}
