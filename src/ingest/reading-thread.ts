// The main thread's end of the poller's reading thread (checkpoint-reading-thread.ts): starts it,
// gives it the account set once loaded, and takes its screened checkpoints in order.
//
// Contract. checkpoints() yields what the thread read, consecutive from `start`, and ends when its
// source ends; a failure there is made again here (a ChainError stays one, so an outage is still
// waited out). changeScreen() hands a refresh's change to the thread: `applied` runs, synchronously,
// when the thread's answer comes in its place among the checkpoints, so every checkpoint yielded
// before it was screened without the change and every one after with it. Before the reading starts
// a change applies at once (the thread's set is copied from the loaded set, change included); after
// the reading ended it never applies. close() ends the thread: nothing there writes anywhere, so it
// is simply stopped, whatever it was reading.
import {Worker} from 'node:worker_threads'
import {chainMetrics, type ChainLogger, type CheckpointView} from '../chain/index.ts'
import {processRateLimiter, type RateLimiter} from '../support/token-bucket.ts'
import type {AccountsDelta} from './monitored-accounts.ts'
import {errorOf, type FromReadingThread, type ReadingThreadData, type ToReadingThread} from './reading-thread-messages.ts'

export interface ReadingThreadOptions {
  readonly data: ReadingThreadData
  /** The thread's log lines (its chain reader's and its source's). */
  readonly logger: ChainLogger
  readonly onTip: (tip: bigint, timestampMs: number) => void
}

// Node's compile cache (bin/run.js turns it on) is per thread: the thread turns it on for itself
// before it loads its modules, which takes a quarter off the CPU its start costs (about 0.6 s
// instead of 0.85 s, every poller start).
const THREAD_ENTRY = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import module from 'node:module'; module.enableCompileCache?.(); await import(${JSON.stringify(new URL('./checkpoint-reading-thread.ts', import.meta.url).href)})`,
  )}`,
)

/** What comes from the thread in order with its checkpoints. */
type InOrder = Extract<FromReadingThread, {type: 'checkpoints' | 'applied' | 'end' | 'failed'}>

interface PendingChange {
  readonly applied: (nextToScreen: bigint) => void
  readonly settled: () => void
}

export class ReadingThread {
  readonly #worker: Worker
  readonly #options: ReadingThreadOptions
  /** The process's bucket, which the thread's requests take their tokens from. */
  readonly #rateLimiter: RateLimiter
  readonly #inbox: InOrder[] = []
  #wake: (() => void) | undefined
  readonly #changes = new Map<number, PendingChange>()
  #nextChange = 0
  #state: 'starting' | 'reading' | 'closed' = 'starting'

  constructor(options: ReadingThreadOptions) {
    this.#options = options
    this.#rateLimiter = processRateLimiter(options.data.chain.requestsPerSecond)
    this.#worker = new Worker(THREAD_ENTRY, {workerData: options.data})
    this.#worker.on('message', (message: FromReadingThread) => this.#receive(message))
    this.#worker.on('error', (error) => this.#deliver({type: 'failed', error: {kind: 'other', message: `the checkpoint reading thread failed: ${error.message}`}}))
    this.#worker.on('exit', (code) => this.#deliver({type: 'failed', error: {kind: 'other', message: `the checkpoint reading thread exited (code ${code})`}}))
  }

  /**
   * The thread's checkpoints, screened with the set's addresses as they are when the reading starts
   * (the first step of the iteration), and with the changes after.
   */
  async *checkpoints(accounts: {addressKeys(): Uint8Array}, stop: AbortSignal): AsyncGenerator<CheckpointView> {
    if (this.#state !== 'starting') throw new Error('reading thread: read once')
    // In one step with the copy, so no change falls between the copy and the thread's first read.
    const keys = accounts.addressKeys()
    this.#state = 'reading'
    this.#post({type: 'read', keys}, [keys.buffer as ArrayBuffer])
    try {
      for (;;) {
        const message = await this.#next(stop)
        if (message === undefined || message.type === 'end') return
        if (message.type === 'failed') throw errorOf(message.error)
        if (message.type === 'applied') this.#applied(message.id, message.nextToScreen)
        else {
          yield* message.checkpoints
          this.#post({type: 'credit', checkpoints: message.checkpoints.length})
        }
      }
    } finally {
      await this.close()
    }
  }

  changeScreen(delta: AccountsDelta, applied: (nextToScreen: bigint) => void): Promise<void> {
    if (this.#state === 'starting') applied(this.#options.data.start)
    if (this.#state !== 'reading') return Promise.resolve()
    const id = this.#nextChange++
    const settled = new Promise<void>((resolve) => this.#changes.set(id, {applied, settled: resolve}))
    this.#post({type: 'change', id, added: delta.added, removed: delta.removed})
    return settled
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    // Refreshes waiting on the thread end unapplied: the next start loads the set anew.
    for (const change of this.#changes.values()) change.settled()
    this.#changes.clear()
    await this.#worker.terminate()
  }

  #applied(id: number, nextToScreen: bigint): void {
    const change = this.#changes.get(id)
    this.#changes.delete(id)
    change?.applied(nextToScreen)
    change?.settled()
  }

  #receive(message: FromReadingThread): void {
    switch (message.type) {
      case 'tip':
        this.#options.onTip(message.tip, message.timestampMs)
        return
      case 'acquire':
        void this.#rateLimiter.acquire().then(() => this.#post({type: 'granted', id: message.id}))
        return
      case 'log':
        this.#options.logger.warn(message.fields, message.message)
        return
      case 'attempt':
        chainMetrics.recordAttempt(message.method, message.latencyMs, message.status, message.retry)
        return
      case 'rate-limit-wait':
        chainMetrics.recordRateLimitWait(message.ms)
        return
      case 'unknown-content':
        chainMetrics.recordUnknownContent(message.what)
        return
      default:
        this.#deliver(message)
    }
  }

  #deliver(message: InOrder): void {
    if (this.#state === 'closed') return
    this.#inbox.push(message)
    this.#wake?.()
  }

  /** The next message in order; undefined once `stop` is aborted. */
  async #next(stop: AbortSignal): Promise<InOrder | undefined> {
    while (this.#inbox.length === 0 && !stop.aborted) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          stop.removeEventListener('abort', wake)
          this.#wake = undefined
          resolve()
        }
        this.#wake = wake
        stop.addEventListener('abort', wake, {once: true})
      })
    }
    return stop.aborted ? undefined : this.#inbox.shift()
  }

  #post(message: ToReadingThread, transfer: ArrayBuffer[] = []): void {
    if (this.#state !== 'closed') this.#worker.postMessage(message, transfer)
  }
}
