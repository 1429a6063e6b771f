// A transaction the poller cannot decode is kept, with its parse error, and the poller goes on:
// dropping it could drop a transfer. But an upstream format change would make most transactions
// undecodable, and every one of them is kept (1% relevant would become 100%), so past a limit the
// poller stops loudly instead, before the batch is stored, with the cursor before that batch:
//   - more than `maxShare` of the last WINDOW transactions read (once that many have been read), or
//   - more than `maxInRow` undecodable transactions in a row.
import type {CheckpointView} from '../chain/index.ts'
import {RuntimeFailure} from '../errors.ts'

export interface DecodingLimits {
  /** Share of the recent transactions (default 0.01: 1%). */
  readonly maxShare: number
  /** Undecodable transactions in a row (default 20). */
  readonly maxInRow: number
}

export const DEFAULT_DECODING_LIMITS: DecodingLimits = {maxShare: 0.01, maxInRow: 20}

/** How many recent transactions the share is taken over. */
const WINDOW = 1_000

export class DecodingFloodError extends RuntimeFailure {
  constructor(what: string, first: {where: string; message: string}, cursorBefore: bigint) {
    super(`${what}; first: ${first.where}: ${first.message}; nothing of this batch was stored, the cursor stays at ${cursorBefore}`, {
      code: 'DECODING_FLOOD',
      remedy: "the node's format may have changed: update confio, or check SUI_GRPC_URL; the poller resumes from the cursor once it decodes again",
    })
  }
}

export class DecodingGuard {
  private readonly limits: DecodingLimits
  /** Per checkpoint read, oldest first: [transactions, undecodable], trimmed to about WINDOW transactions. */
  private readonly recent: [number, number][] = []
  private total = 0
  private bad = 0
  private inRow = 0

  constructor(limits: DecodingLimits = DEFAULT_DECODING_LIMITS) {
    this.limits = limits
  }

  /** Throws DecodingFloodError when this batch takes undecodable transactions past a limit. */
  check(batch: readonly CheckpointView[]): void {
    const first = batch[0]
    if (!first) return
    let firstBad: {where: string; message: string} | undefined
    let inRowFlood = false
    for (const checkpoint of batch) {
      const count = transactionCountOf(checkpoint)
      let bad = 0
      // A screen decodes every undecodable transaction; one it passed over between two decoded
      // ones was plain, and breaks a run.
      let next = 0
      for (const [position, tx] of checkpoint.transactions.entries()) {
        const index = checkpoint.screened ? tx.index : position
        if (index !== next) this.inRow = 0
        next = index + 1
        if (tx.parseError === undefined) {
          this.inRow = 0
          continue
        }
        bad += 1
        this.inRow += 1
        firstBad ??= {where: tx.digest ? `transaction ${tx.digest}` : `transaction ${index} of checkpoint ${checkpoint.sequenceNumber}`, message: tx.parseError}
        if (this.inRow > this.limits.maxInRow) inRowFlood = true
      }
      if (next !== count) this.inRow = 0
      this.add(count, bad)
    }
    const cursorBefore = first.sequenceNumber - 1n
    if (inRowFlood && firstBad) throw new DecodingFloodError(`more than ${this.limits.maxInRow} transactions in a row could not be decoded`, firstBad, cursorBefore)
    if (firstBad && this.total >= WINDOW && this.bad > this.total * this.limits.maxShare) {
      const share = ((this.bad * 100) / this.total).toFixed(1)
      throw new DecodingFloodError(`${this.bad} of the last ${this.total} transactions (${share}%, over ${this.limits.maxShare * 100}%) could not be decoded`, firstBad, cursorBefore)
    }
  }

  private add(transactions: number, bad: number): void {
    this.recent.push([transactions, bad])
    this.total += transactions
    this.bad += bad
    while (this.recent.length > 1 && this.total - this.recent[0]![0] >= WINDOW) {
      const [t, b] = this.recent.shift()!
      this.total -= t
      this.bad -= b
    }
  }
}

/** Every transaction of the checkpoint, decoded or passed over by a screen. */
export function transactionCountOf(checkpoint: CheckpointView): number {
  return checkpoint.screened ? checkpoint.transactionCount : checkpoint.transactions.length
}
