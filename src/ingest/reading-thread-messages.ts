// What the poller's main thread and its reading thread (reading-thread.ts, checkpoint-reading-thread.ts)
// say to each other. Messages are structured clones: plain records, bigints and bytes cross as
// they are; an error crosses as its fields and is made again on the other side, so the poller
// still tells a node outage (a transient ChainError) from a pruned range or a bug.
import type {ChainOptions, CheckpointView} from '../chain/index.ts'
import {ChainError, type ChainErrorInit} from '../chain/index.ts'
import {messageOf} from '../errors.ts'
import type {CheckpointSourceOptions} from './checkpoint-source.ts'
import {PrunedRangeError} from './pruned-range-error.ts'

/** What the thread is started with (its workerData). */
export interface ReadingThreadData {
  readonly chain: ChainOptions
  /** Normalized package ids the screen watches. */
  readonly packages: readonly string[]
  readonly start: bigint
  /** The source's settings: what of them is data (its logger, tip callback and screen are the thread's own). */
  readonly source: Omit<CheckpointSourceOptions, 'logger' | 'onTip' | 'screen'>
}

export type ToReadingThread =
  /** The account set is loaded: screen with these addresses (32 raw bytes each) and read. */
  | {readonly type: 'read'; readonly keys: Uint8Array}
  /** A refresh's change of accounts: the thread answers `applied` in order with its checkpoints. */
  | {readonly type: 'change'; readonly id: number; readonly added: readonly string[]; readonly removed: readonly string[]}
  /** The main thread took this many checkpoints: the thread may read as many more. */
  | {readonly type: 'credit'; readonly checkpoints: number}
  /** A rate limiter token for the thread's request `id`. */
  | {readonly type: 'granted'; readonly id: number}

export type FromReadingThread =
  | {readonly type: 'checkpoints'; readonly checkpoints: readonly CheckpointView[]}
  /** Change `id` took effect: every checkpoint before `nextToScreen` was sent before this, screened without it. */
  | {readonly type: 'applied'; readonly id: number; readonly nextToScreen: bigint}
  | {readonly type: 'tip'; readonly tip: bigint; readonly timestampMs: number}
  /** The source ended (--once caught up). */
  | {readonly type: 'end'}
  | {readonly type: 'failed'; readonly error: CrossingError}
  /** Asks the process's rate limiter for a token (providers count the process's requests, not a thread's). */
  | {readonly type: 'acquire'; readonly id: number}
  | {readonly type: 'log'; readonly fields: Record<string, unknown>; readonly message: string}
  | {readonly type: 'attempt'; readonly method: string; readonly latencyMs: number; readonly status: string | undefined; readonly retry: boolean}
  | {readonly type: 'rate-limit-wait'; readonly ms: number}
  | {readonly type: 'unknown-content'; readonly what: string}

/** An error as it crosses between threads. */
export type CrossingError =
  | {readonly kind: 'chain'; readonly init: ChainErrorInit}
  | {readonly kind: 'pruned'; readonly from: bigint; readonly lowestAvailable: bigint}
  | {readonly kind: 'other'; readonly message: string}

export function crossingError(error: unknown): CrossingError {
  if (error instanceof ChainError) {
    const {method, status, attempts, details, transient} = error
    return {kind: 'chain', init: {method, status, attempts, details, transient}}
  }
  if (error instanceof PrunedRangeError) return {kind: 'pruned', from: error.from, lowestAvailable: error.lowestAvailable}
  return {kind: 'other', message: messageOf(error)}
}

export function errorOf(crossing: CrossingError): Error {
  switch (crossing.kind) {
    case 'chain':
      return new ChainError(crossing.init)
    case 'pruned':
      return new PrunedRangeError(crossing.from, crossing.lowestAvailable)
    case 'other':
      return new Error(crossing.message)
  }
}
