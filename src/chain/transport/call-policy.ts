// How every chain call is made: wait for a concurrency slot and a rate-limit token, send with a
// deadline, measure, and retry transient failures with capped, jittered backoff. The reader calls
// the SDK's generated service clients through here and nowhere else, so no call escapes the
// limits, the metrics or the error policy.
import type {RpcOptions, RpcOutputStream} from '@protobuf-ts/runtime-rpc'

import {ChainError, isGrpcStatusName, isTransientFailure} from '../chain-error.ts'
import type {GrpcStatusName} from '../chain-error.ts'
import type {ChainMetrics} from '../chain-metrics.ts'
import {backoffDelayMs} from '../../support/backoff.ts'
import type {ConcurrencyLimiter} from '../../support/concurrency-limiter.ts'
import {formatWait} from '../../support/format-wait.ts'
import {sleep} from '../../support/sleep.ts'
import type {RateLimiter} from '../../support/token-bucket.ts'
import type {Redactor} from './redaction.ts'

/**
 * pino-compatible; the layer only ever warns (a retry) and never includes a secret. Retries are
 * warnings on purpose: in the long-running commands (poll, worker) a retry is the first sign of a
 * failing or rate-limiting node, and an operator at the default level should see it. A caller that
 * wants the first failure as it is rather than a recovery (test-connection) makes single attempts
 * (maxAttempts 1), so it has no retries to log at any level.
 */
export interface ChainLogger {
  warn(fields: Record<string, unknown>, message: string): void
}

export interface CallPolicySettings {
  deadlineMs: number
  maxAttempts: number
  backoffBaseMs: number
  backoffMaxMs: number
}

export interface CallPolicyDeps {
  rateLimiter: RateLimiter
  concurrency: ConcurrencyLimiter
  metrics: ChainMetrics
  redactor: Redactor
  logger?: ChainLogger
  /** For tests of the backoff; Math.random otherwise. */
  random?: () => number
}

export interface UnaryCallOptions {
  signal?: AbortSignal
  /** The caller's own limit (a reconcile run's --rps), taken beside the process-wide one by every attempt. */
  limiter?: RateLimiter
  /** Filled with the successful attempt's round trip, rate-limit and queue waits excluded. */
  timing?: {latencyMs: number}
}

export interface StreamCallOptions {
  signal?: AbortSignal
  /**
   * Fails the stream with DEADLINE_EXCEEDED when no frame arrives for this long (0: never). The
   * first frame counts too, so this is also the stream's opening deadline.
   */
  idleTimeoutMs: number
}

/**
 * A reply that arrived but does not decode. grpc-js reports it as INTERNAL "Response message
 * parsing error: …" (whatever the decoder threw); confio's own reply decoders say "malformed <Method>
 * reply" (checkpoint-methods.ts), which grpc-web passes on as INTERNAL with that text. Asking again
 * gets the same bytes: DATA_LOSS, never retried, even when the decoder's words look like a reset.
 */
const UNDECODABLE_REPLY = /Response message parsing error|malformed \w+ reply/

/** Thrown by the deadline timer; recognised by identity so a server's own text can't fake it. */
const DEADLINE = Symbol('chain deadline')

export class CallPolicy {
  readonly #settings: CallPolicySettings
  readonly #deps: CallPolicyDeps

  constructor(settings: CallPolicySettings, deps: CallPolicyDeps) {
    this.#settings = settings
    this.#deps = deps
  }

  get settings(): CallPolicySettings {
    return this.#settings
  }

  /**
   * Runs a unary call. `send` gets the RpcOptions to pass to the generated client (deadline and
   * abort) and returns the response promise. Rejects with a ChainError, or with the signal's
   * reason when the caller aborts.
   */
  async unary<T>(method: string, send: (rpc: RpcOptions) => PromiseLike<T>, options: UnaryCallOptions = {}): Promise<T> {
    const {signal} = options
    const {maxAttempts} = this.#settings
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#deps.concurrency.run(() => this.#attempt(method, send, attempt, options))
      if (outcome.ok) {
        if (options.timing) options.timing.latencyMs = outcome.latencyMs
        return outcome.value
      }
      const {status, details} = outcome
      const transient = isTransientFailure(status, details)
      if (!transient || attempt >= maxAttempts) {
        throw new ChainError({method, status, attempts: attempt, details, transient})
      }
      const delayMs = backoffDelayMs({baseMs: this.#settings.backoffBaseMs, maxMs: this.#settings.backoffMaxMs}, attempt, this.#deps.random)
      this.#deps.logger?.warn({method, status, attempt, delayMs, details}, `${method} failed with ${status} (attempt ${attempt} of ${maxAttempts}); retrying in ${formatWait(delayMs)}`)
      await sleep(delayMs, signal)
    }
  }

  /**
   * Opens a server stream and yields its frames. One rate-limit token per stream; streams do not
   * hold a concurrency slot (a subscription lives for hours). A failure before the first frame is
   * retried like a unary call; after it, the error is thrown (the caller knows how to resume,
   * the policy doesn't). Ends without error when the caller's signal aborts.
   */
  async *stream<O extends object>(
    method: string,
    open: (rpc: RpcOptions) => {responses: RpcOutputStream<O>},
    options: StreamCallOptions,
  ): AsyncGenerator<O, void, undefined> {
    const {signal, idleTimeoutMs} = options
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) return
      let framesSeen = 0
      let failure: {status: GrpcStatusName; details: string} | undefined
      const controller = new AbortController()
      const onAbort = (): void => controller.abort(signal?.reason)
      signal?.addEventListener('abort', onAbort, {once: true})
      let idleTimer: ReturnType<typeof setTimeout> | undefined
      const armIdle = (): void => {
        if (idleTimeoutMs <= 0) return
        clearTimeout(idleTimer)
        idleTimer = setTimeout(() => controller.abort(DEADLINE), idleTimeoutMs)
      }
      const started = performance.now()
      try {
        await this.#waitForToken(signal)
        armIdle()
        const call = open({abort: controller.signal})
        for await (const frame of call.responses) {
          if (framesSeen === 0) this.#deps.metrics.recordAttempt(method, performance.now() - started, undefined, attempt > 1)
          framesSeen += 1
          armIdle()
          yield frame
        }
        if (framesSeen === 0) this.#deps.metrics.recordAttempt(method, performance.now() - started, undefined, attempt > 1)
        return
      } catch (error) {
        if (signal?.aborted) return
        failure = this.#classify(error, controller.signal)
        this.#deps.metrics.recordAttempt(method, performance.now() - started, failure.status, attempt > 1)
      } finally {
        clearTimeout(idleTimer)
        signal?.removeEventListener('abort', onAbort)
        // Also runs when the consumer stops early (break/return): cancels the call on the wire.
        controller.abort()
      }
      const transient = isTransientFailure(failure.status, failure.details)
      if (framesSeen > 0 || !transient || attempt >= this.#settings.maxAttempts) {
        throw new ChainError({method, status: failure.status, attempts: attempt, details: failure.details, transient})
      }
      const delayMs = backoffDelayMs({baseMs: this.#settings.backoffBaseMs, maxMs: this.#settings.backoffMaxMs}, attempt, this.#deps.random)
      this.#deps.logger?.warn({method, status: failure.status, attempt, delayMs, details: failure.details}, `${method} failed with ${failure.status} (attempt ${attempt} of ${this.#settings.maxAttempts}); retrying in ${formatWait(delayMs)}`)
      try {
        await sleep(delayMs, signal)
      } catch {
        return
      }
    }
  }

  async #attempt<T>(
    method: string,
    send: (rpc: RpcOptions) => PromiseLike<T>,
    attempt: number,
    {signal, limiter}: UnaryCallOptions,
  ): Promise<{ok: true; value: T; latencyMs: number} | {ok: false; status: GrpcStatusName; details: string}> {
    await this.#waitForToken(signal, limiter)
    // The deadline is enforced here rather than left to the transport: grpc-web only sends it as
    // a header and never times out locally. grpc-js also gets it (`timeout`) so the server sees it.
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(DEADLINE), this.#settings.deadlineMs)
    const onAbort = (): void => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, {once: true})
    const started = performance.now()
    try {
      const value = await send({timeout: this.#settings.deadlineMs, abort: controller.signal})
      const latencyMs = performance.now() - started
      this.#deps.metrics.recordAttempt(method, latencyMs, undefined, attempt > 1)
      return {ok: true, value, latencyMs}
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      const failure = this.#classify(error, controller.signal)
      this.#deps.metrics.recordAttempt(method, performance.now() - started, failure.status, attempt > 1)
      return {ok: false, ...failure}
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  async #waitForToken(signal: AbortSignal | undefined, limiter?: RateLimiter): Promise<void> {
    const started = performance.now()
    await limiter?.acquire(signal)
    await this.#deps.rateLimiter.acquire(signal)
    const waited = performance.now() - started
    if (waited >= 1) this.#deps.metrics.recordRateLimitWait(waited)
  }

  #classify(error: unknown, callSignal: AbortSignal): {status: GrpcStatusName; details: string} {
    if (callSignal.aborted && callSignal.reason === DEADLINE) {
      return {status: 'DEADLINE_EXCEEDED', details: `no answer within ${this.#settings.deadlineMs} ms`}
    }
    const redact = (text: string): string => this.#deps.redactor.redact(text)
    if (typeof error === 'object' && error !== null) {
      const code = (error as {code?: unknown}).code
      const message = (error as {message?: unknown}).message
      const details = typeof message === 'string' ? redact(message) : ''
      if (UNDECODABLE_REPLY.test(details)) return {status: 'DATA_LOSS', details}
      if (isGrpcStatusName(code)) return {status: code, details}
      // Not an RpcError: a protobuf decode failure or a fetch failure below the transport.
      return {status: 'UNKNOWN', details}
    }
    return {status: 'UNKNOWN', details: redact(String(error))}
  }
}
