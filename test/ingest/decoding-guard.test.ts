// The decoding guard over screened checkpoints: a transaction the screen passed over was plain,
// so it breaks a run of undecodable ones, as it would have had it been decoded.
import assert from 'node:assert/strict'

import type {ScreenedCheckpointRecord, TransactionRecord} from '../../src/chain/index.ts'
import {DecodingFloodError, DecodingGuard} from '../../src/ingest/decoding-guard.ts'

/** A screened checkpoint of `count` transactions, of which those at `bad` were let through, undecodable. */
function screened(sequenceNumber: bigint, count: number, bad: number[]): ScreenedCheckpointRecord {
  const transactions = bad.map((index): TransactionRecord => ({
    digest: `D${sequenceNumber}-${index}`, index, checkpoint: sequenceNumber, timestampMs: 0, sender: '', gasOwner: '',
    moveCalls: [], events: [], balanceChanges: [], status: {success: true}, gasUsed: 0n, parseError: 'malformed transaction bytes',
  }))
  return {sequenceNumber, digest: '', timestampMs: 0, screened: true, transactionCount: count, transactions}
}

const range = (from: number, to: number) => Array.from({length: to - from}, (_, i) => from + i)
const limits = {maxShare: 1, maxInRow: 20}

describe('decoding guard, screened checkpoints', () => {
  it('counts a run of undecodable transactions across checkpoints', () => {
    const guard = new DecodingGuard(limits)
    guard.check([screened(1n, 60, range(50, 60))])
    assert.throws(() => guard.check([screened(2n, 60, range(0, 11))]), (error: Error) => error instanceof DecodingFloodError && /more than 20 transactions in a row/.test(error.message))
  })

  it('breaks the run at a transaction passed over, inside a checkpoint or at its end', () => {
    const guard = new DecodingGuard(limits)
    guard.check([screened(1n, 60, [...range(0, 15), ...range(16, 30)])])
    guard.check([screened(2n, 60, range(40, 59)), screened(3n, 60, range(0, 15))])
  })

  it('takes the share over every transaction read, decoded or not', () => {
    const guard = new DecodingGuard({maxShare: 0.01, maxInRow: 1000})
    guard.check(range(0, 16).map((i) => screened(BigInt(i), 60, [i])))
    assert.throws(() => guard.check(range(16, 18).map((i) => screened(BigInt(i), 60, range(0, 3)))), /21 of the last 1020 transactions \(2\.1%, over 1%\)/)
  })
})
