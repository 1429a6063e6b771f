// The poller's reading thread: the read stage's work (CheckpointSource with RelevanceScreen:
// range reads, the stream near the tip, each checkpoint screened on the wire) on a thread of its
// own, so the main thread only decides, stores and queues. In a catch-up, reading and screening
// were half of the main thread's time (bench:poll with CPU_PROF), and the rest of the line
// waited on it.
//
// It has its own chain reader (its own HTTP/2 connections) on the poller's chain options. What
// must stay one per process crosses to the main thread: each request's rate limiter token, the
// chain metrics, the log lines. It screens with its own copy of the account set, sent when the
// set is loaded; a refresh's change is applied here between two checkpoints, and answered in
// order with the checkpoints (`applied`, with the next checkpoint to be screened), so the main
// thread knows exactly which checkpoints were screened with it (reading-thread.ts).
//
// It reads ahead of the main thread by at most READ_AHEAD checkpoints (credit it is given back
// as they are taken), and sends them in batches: one message per checkpoint cost more than
// screening one.
import {parentPort, workerData} from 'node:worker_threads'
import {ChainMetrics, type ChainLogger, type CheckpointView, openChainReader} from '../chain/index.ts'
import type {RateLimiter} from '../support/token-bucket.ts'
import {AddressSet} from './address-set.ts'
import {CheckpointSource} from './checkpoint-source.ts'
import {crossingError, type FromReadingThread, type ReadingThreadData, type ToReadingThread} from './reading-thread-messages.ts'
import {RelevanceScreen} from './relevance-screen.ts'

/** Checkpoints sent and not yet taken by the main thread, at most. */
const READ_AHEAD = 64
/** Checkpoints per message at most; fewer when the source has nothing more at hand. */
const BATCH = 16

const port = parentPort
if (port === null) throw new Error('checkpoint-reading-thread.ts runs as a worker thread (reading-thread.ts starts it)')
const data = workerData as ReadingThreadData
const post = (message: FromReadingThread) => port.postMessage(message)

/** The process's rate limiter, asked across threads: a provider counts the process's requests. */
class ProcessRateLimiter implements RateLimiter {
  readonly #waiting = new Map<number, () => void>()
  #nextId = 0

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    const id = this.#nextId++
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiting.delete(id)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, {once: true})
      this.#waiting.set(id, () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      })
      post({type: 'acquire', id})
    })
  }

  granted(id: number): void {
    const resolve = this.#waiting.get(id)
    this.#waiting.delete(id)
    resolve?.()
  }
}

/** Counts here (the wire observer reads its counts back) and on the main thread, whose metrics are scraped. */
class CrossingMetrics extends ChainMetrics {
  override recordAttempt(method: string, latencyMs: number, status: string | undefined, retry: boolean): void {
    super.recordAttempt(method, latencyMs, status, retry)
    post({type: 'attempt', method, latencyMs, status, retry})
  }

  override recordRateLimitWait(ms: number): void {
    super.recordRateLimitWait(ms)
    post({type: 'rate-limit-wait', ms})
  }

  override recordUnknownContent(what: string): number {
    post({type: 'unknown-content', what})
    return super.recordUnknownContent(what)
  }
}

/** The read stage's loop, on this thread: the source's checkpoints, screened, sent in batches within the credit. */
class ScreenedReading {
  /** The set the screen asks: the main thread's copy, then changed here. */
  readonly #accounts: AddressSet
  #batch: CheckpointView[] = []
  #flushQueued = false
  /** Every checkpoint before it has been screened and put in a batch. */
  #next = data.start
  /** Sent and not yet taken. */
  #ahead = 0
  #credited: (() => void) | undefined

  /** `keys`: the account set's addresses, 32 raw bytes each. */
  constructor(keys: Uint8Array) {
    this.#accounts = new AddressSet(keys.length / 32)
    this.#accounts.addKeys(keys)
  }

  /** Reads until the source ends; a failure is sent, not thrown. */
  async read(): Promise<void> {
    const onTip = (tip: bigint, timestampMs: number) => post({type: 'tip', tip, timestampMs})
    const screen = new RelevanceScreen(data.packages, this.#accounts)
    const source = new CheckpointSource(chain, data.start, {...data.source, screen, onTip, logger})
    try {
      // Never stopped from here: the main thread ends the thread when it is done with it.
      for await (const checkpoint of source.checkpoints(new AbortController().signal)) {
        this.#batch.push(checkpoint)
        this.#next = checkpoint.sequenceNumber + 1n
        if (this.#batch.length >= BATCH) this.#flush()
        else this.#queueFlush()
        if (this.#ahead >= READ_AHEAD) await this.#credit()
      }
      this.#flush()
      post({type: 'end'})
    } catch (error) {
      this.#flush()
      post({type: 'failed', error: crossingError(error)})
    }
  }

  /**
   * A refresh's change. It runs between two turns of the reading (a message is a task of its own),
   * when every checkpoint screened so far is in the batch: those go first, then the answer.
   */
  change(added: readonly string[], removed: readonly string[], id: number): void {
    for (const address of added) this.#accounts.add(address)
    for (const address of removed) this.#accounts.delete(address)
    this.#flush()
    post({type: 'applied', id, nextToScreen: this.#next})
  }

  taken(checkpoints: number): void {
    this.#ahead -= checkpoints
    if (this.#ahead < READ_AHEAD) this.#credited?.()
  }

  #credit(): Promise<void> {
    this.#flush()
    return new Promise((resolve) => {
      this.#credited = () => {
        this.#credited = undefined
        resolve()
      }
    })
  }

  /** Sends what was read so far once the reading waits (for the node, or for credit). */
  #queueFlush(): void {
    if (this.#flushQueued) return
    this.#flushQueued = true
    setImmediate(() => {
      this.#flushQueued = false
      this.#flush()
    })
  }

  #flush(): void {
    if (this.#batch.length === 0) return
    post({type: 'checkpoints', checkpoints: this.#batch})
    this.#ahead += this.#batch.length
    this.#batch = []
  }
}

const logger: ChainLogger = {warn: (fields, message) => post({type: 'log', fields, message})}
const rateLimiter = new ProcessRateLimiter()
// Opened as the thread starts, while the main thread loads the accounts: nothing is sent until the first call.
const chain = openChainReader(data.chain, {rateLimiter, metrics: new CrossingMetrics(), logger})
// Made when the set comes ('read'); the main thread sends nothing else before it.
let reading: ScreenedReading | undefined
port.on('message', (message: ToReadingThread) => {
  switch (message.type) {
    case 'read':
      reading = new ScreenedReading(message.keys)
      void reading.read()
      break
    case 'change':
      reading?.change(message.added, message.removed, message.id)
      break
    case 'credit':
      reading?.taken(message.checkpoints)
      break
    case 'granted':
      rateLimiter.granted(message.id)
      break
  }
})
