// Injected faults, so confio's retry, back-off, re-subscribe and auth paths can be tested against
// the real client: per-method latency, random UNAVAILABLE / RESOURCE_EXHAUSTED (seedable), streams
// that end after N frames, a requests-per-second limit (public fullnodes allow ~100 requests per
// 30 s), a required `x-token` header (QuickNode's scheme), changed or missing x-sui-* response
// headers (a proxy that strips them, a node that garbles one), unary replies whose bytes do not
// decode (a node or proxy that garbles a reply), state replies whose height header is a checkpoint
// off (state-view.ts), replies whose transactions' embedded messages come in two occurrences
// (split-messages.ts), and per-method call counters.
import {Random} from './random.ts'
import {STATE_METHODS, type StateSkew} from './state-view.ts'

/** gRPC status names the server emits for faults. */
export type FaultStatus = 'UNAVAILABLE' | 'RESOURCE_EXHAUSTED' | 'UNAUTHENTICATED' | 'INTERNAL' | 'OK'

export interface MethodFaults {
  /** Delay before the call is answered (errors too). */
  latencyMs?: number
  /** Probability (0..1) of answering UNAVAILABLE. */
  unavailable?: number
  /** Probability (0..1) of answering RESOURCE_EXHAUSTED. */
  resourceExhausted?: number
  /** A streaming call ends after this many frames... */
  streamEndAfterFrames?: number
  /** ...with this status (default UNAVAILABLE, as when a connection drops; OK ends it cleanly). */
  streamEndStatus?: FaultStatus
  /** Response headers to change, by name: a string replaces the node's value, null leaves the header out. */
  responseHeaders?: Record<string, string | null>
  /** A unary call is answered OK with bytes that are no valid reply (a field that runs past the message). */
  malformedReply?: boolean
}

/** Plain data, so it crosses IPC to a spawned server unchanged. */
export interface FaultSettings {
  seed?: number
  /** Keyed by gRPC method name (`GetCheckpoint`, `SubscribeCheckpoints`, ...) or `*` for all. */
  methods?: Record<string, MethodFaults>
  /** Requests per second over all methods; beyond it RESOURCE_EXHAUSTED. undefined = no limit. */
  rpsLimit?: number
  /** Required `x-token` header value; missing or wrong → UNAUTHENTICATED. undefined = open. */
  requireToken?: string
  /** State replies whose x-sui-checkpoint-height is one off the state they answer from (state-view.ts). */
  stateHeights?: StateHeightFaults
  /** Share (0..1) of the transactions in checkpoint and transaction replies sent split (split-messages.ts). */
  splitMessages?: number
  /** A checkpoint (its sequence number, in decimal) whose replies name a second one (inconsistent-frames.ts). */
  inconsistentCheckpoint?: string
}

/** Probabilities (0..1, together at most 1) per state reply. */
export interface StateHeightFaults {
  /** The header names one checkpoint above the state (sealed between the read and the header). */
  headerAbove?: number
  /** The header names one checkpoint below the state (indexes written before the height mark). */
  headerBelow?: number
  /** The reply comes from a node one checkpoint behind: state and header one back. */
  behind?: number
}

export interface Rejection {
  status: FaultStatus
  details: string
}

export class Faults {
  #settings: FaultSettings = {}
  #random = new Random(1)
  /** Its own draws, so splitting leaves the other faults' sequences as they were. */
  #splitRandom = new Random(1)
  #calls = new Map<string, number>()
  #arrivals: number[] = []
  #recent: number[] = []
  #initial: Pick<FaultSettings, 'requireToken' | 'stateHeights' | 'splitMessages'>

  /** What the server was started with stays through reset(): its token, its state replies' height faults, its split share. */
  constructor(initial: Pick<FaultSettings, 'requireToken' | 'stateHeights' | 'splitMessages'> = {}) {
    this.#initial = initial
    this.reset()
  }

  /** Merges settings; `methods` entries replace the entries of the same name. */
  set(settings: FaultSettings): this {
    const methods = {...this.#settings.methods, ...settings.methods}
    this.#settings = {...this.#settings, ...settings, methods}
    if (settings.seed !== undefined) {
      this.#random = new Random(settings.seed)
      this.#splitRandom = new Random(settings.seed)
    }
    return this
  }

  method(name: string, faults: MethodFaults): this {
    return this.set({methods: {[name]: {...this.#settings.methods?.[name], ...faults}}})
  }

  latency(name: string, ms: number): this {
    return this.method(name, {latencyMs: ms})
  }

  failRate(name: string, status: 'UNAVAILABLE' | 'RESOURCE_EXHAUSTED', probability: number): this {
    return this.method(name, status === 'UNAVAILABLE' ? {unavailable: probability} : {resourceExhausted: probability})
  }

  endStreamsAfter(name: string, frames: number, status: FaultStatus = 'UNAVAILABLE'): this {
    return this.method(name, {streamEndAfterFrames: frames, streamEndStatus: status})
  }

  /** e.g. headers('GetBalance', {'x-sui-checkpoint-height': null}) answers GetBalance without it. */
  headers(name: string, changes: Record<string, string | null>): this {
    return this.method(name, {responseHeaders: {...this.#settings.methods?.[name]?.responseHeaders, ...changes}})
  }

  /** e.g. malformedReplies('BatchGetTransactions'): every reply of that method is undecodable bytes. */
  malformedReplies(name: string): this {
    return this.method(name, {malformedReply: true})
  }

  /** Whether this method's replies are to be replaced by undecodable bytes. */
  replyMalformed(name: string): boolean {
    return this.#faultsOf(name).malformedReply === true
  }

  /** e.g. stateHeights({headerAbove: 0.3, headerBelow: 0.3}); {} turns both off. */
  stateHeights(faults: StateHeightFaults): this {
    this.#settings = {...this.#settings, stateHeights: faults}
    return this
  }

  /** The skew of this call's reply, when it is a state read (state-view.ts). */
  stateSkew(name: string): StateSkew | undefined {
    const {headerAbove = 0, headerBelow = 0, behind = 0} = this.#settings.stateHeights ?? {}
    if (!STATE_METHODS.has(name) || headerAbove + headerBelow + behind <= 0) return undefined
    const draw = this.#random.next()
    if (draw < headerAbove) return 'header-above'
    if (draw < headerAbove + headerBelow) return 'header-below'
    return draw < headerAbove + headerBelow + behind ? 'behind' : undefined
  }

  /** e.g. splitMessages(0.3): about 3 in 10 transactions sent with `transaction` and `events` each in two occurrences; 0 turns it off. */
  splitMessages(share: number): this {
    this.#settings = {...this.#settings, splitMessages: share}
    return this
  }

  /** Whether the next transaction of a reply is to be sent split. */
  splitNext(): boolean {
    const share = this.#settings.splitMessages ?? 0
    return share > 0 && this.#splitRandom.chance(share)
  }

  /** Whether replies are being split at all (so the others go out without being parsed). */
  get splitting(): boolean {
    return (this.#settings.splitMessages ?? 0) > 0
  }

  /** e.g. inconsistentCheckpoint(12n): every reply holding checkpoint 12 also names another; undefined turns it off. */
  inconsistentCheckpoint(at: bigint | undefined): this {
    this.#settings = {...this.#settings, inconsistentCheckpoint: at?.toString()}
    return this
  }

  /** The checkpoint whose replies are to be made inconsistent, if any. */
  get inconsistentAt(): bigint | undefined {
    const at = this.#settings.inconsistentCheckpoint
    return at === undefined ? undefined : BigInt(at)
  }

  rpsLimit(limit: number | undefined): this {
    this.#settings = {...this.#settings, rpsLimit: limit}
    return this
  }

  requireToken(token: string | undefined): this {
    this.#settings = {...this.#settings, requireToken: token}
    return this
  }

  get settings(): FaultSettings {
    return structuredClone(this.#settings)
  }

  /** Calls received by a method, rejected ones included, so tests can assert attempt counts. */
  calls(name: string): number {
    return this.#calls.get(name) ?? 0
  }

  callCounts(): Record<string, number> {
    return Object.fromEntries(this.#calls)
  }

  /**
   * When each call since the last reset() arrived (performance.now() of this process, in arrival
   * order): a test of a client's rate limit counts the calls in every one-second window.
   */
  callTimes(): number[] {
    return [...this.#arrivals]
  }

  /** No faults and zeroed counters, but for what the server was started with (the constructor's). */
  reset(): void {
    this.#settings = {...this.#initial}
    this.#random = new Random(1)
    this.#splitRandom = new Random(1)
    this.#calls.clear()
    this.#arrivals = []
    this.#recent = []
  }

  /** Counts the call, waits its latency, then says whether to reject it. */
  async admit(name: string, token: string | undefined): Promise<Rejection | undefined> {
    this.#calls.set(name, this.calls(name) + 1)
    this.#arrivals.push(performance.now())
    const faults = this.#faultsOf(name)
    if (faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs))
    const required = this.#settings.requireToken
    if (required !== undefined && token !== required) return {status: 'UNAUTHENTICATED', details: token === undefined ? 'missing x-token header' : 'invalid x-token'}
    if (this.#overRateLimit()) return {status: 'RESOURCE_EXHAUSTED', details: `rate limit of ${this.#settings.rpsLimit} requests per second exceeded`}
    if (faults.unavailable && this.#random.chance(faults.unavailable)) return {status: 'UNAVAILABLE', details: 'injected fault: service unavailable'}
    if (faults.resourceExhausted && this.#random.chance(faults.resourceExhausted)) return {status: 'RESOURCE_EXHAUSTED', details: 'injected fault: resource exhausted'}
    return undefined
  }

  /** How many frames a stream of this method may send before it is ended, and how. */
  streamLimit(name: string): {frames: number; status: FaultStatus} | undefined {
    const faults = this.#faultsOf(name)
    if (faults.streamEndAfterFrames === undefined) return undefined
    return {frames: faults.streamEndAfterFrames, status: faults.streamEndStatus ?? 'UNAVAILABLE'}
  }

  /** The node's response headers for a call of this method, with the changes set for it (`*` first). */
  responseHeaders(name: string, headers: Record<string, string>): Record<string, string> {
    const out = {...headers}
    const changes = {...this.#settings.methods?.['*']?.responseHeaders, ...this.#settings.methods?.[name]?.responseHeaders}
    for (const [header, value] of Object.entries(changes)) {
      if (value === null) delete out[header]
      else out[header] = value
    }
    return out
  }

  #faultsOf(name: string): MethodFaults {
    return {...this.#settings.methods?.['*'], ...this.#settings.methods?.[name]}
  }

  /** Sliding one-second window over the calls it admitted. */
  #overRateLimit(): boolean {
    const limit = this.#settings.rpsLimit
    if (limit === undefined) return false
    const now = performance.now()
    while (this.#recent.length && (this.#recent[0] ?? 0) <= now - 1000) this.#recent.shift()
    if (this.#recent.length >= limit) return true
    this.#recent.push(now)
    return false
  }
}
