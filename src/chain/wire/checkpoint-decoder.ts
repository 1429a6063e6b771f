// Checkpoint and transaction messages → CheckpointRecord / TransactionRecord, once, at the edge.
// A transaction is decoded part by part: a part that fails (a malformed amount, a type that does
// not parse) is named in `parseError` and left empty, and the rest of the transaction and of the
// checkpoint still comes through. Failing the whole checkpoint would stall the poller on one bad
// transaction forever, since checkpoints are read in order.
import {GrpcTypes} from '@mysten/sui/grpc'

import {chainAddress, chainType, protoValueToJson, requiredString, timestampMs} from './proto-values.ts'
import type {ProtoValue} from './proto-values.ts'
import type {WireCheckpoint} from './checkpoint-wire.ts'
import type {BalanceChangeRecord, CheckpointRecord, ScreenedCheckpointRecord, EffectsStatus, EventContents, EventRecord, EventSummary, MoveCallRecord, TransactionDetails, TransactionRecord} from '../records.ts'

/**
 * Throws only when the checkpoint itself is unusable (no sequence number); never for a
 * transaction. `wireErrors[i]` is a wire-level problem checkpoint-wire.ts met in transaction i;
 * `indexes[i]`, when a screen passed over some, is transaction i's place in the checkpoint.
 */
export function decodeCheckpoint(
  checkpoint: GrpcTypes.Checkpoint,
  expectedSequence?: bigint,
  wireErrors?: ReadonlyArray<string | undefined>,
  indexes?: readonly number[],
): CheckpointRecord {
  const sequenceNumber = checkpoint.sequenceNumber ?? expectedSequence
  if (sequenceNumber === undefined) throw new TypeError('checkpoint without a sequence number')
  const ts = timestampMs(checkpoint.summary?.timestamp)
  const transactions = new Array<TransactionRecord>(checkpoint.transactions.length)
  for (let i = 0; i < checkpoint.transactions.length; i++) {
    const record = decodeTransaction(checkpoint.transactions[i] as GrpcTypes.ExecutedTransaction, indexes?.[i] ?? i, sequenceNumber, ts)
    const wireError = wireErrors?.[i]
    if (wireError !== undefined) record.parseError = record.parseError ? `${wireError}; ${record.parseError}` : wireError
    transactions[i] = record
  }
  return {sequenceNumber, digest: checkpoint.digest ?? '', timestampMs: ts, transactions}
}

/** A checkpoint read through a screen: the transactions it let through, each with its place. */
export function decodeScreenedCheckpoint(wire: WireCheckpoint): ScreenedCheckpointRecord {
  const {sequenceNumber, digest, timestampMs, transactions} = decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors, wire.indexes)
  return {sequenceNumber, digest, timestampMs, screened: true, transactionCount: wire.transactionCount, transactions}
}

/** Collects what went wrong while decoding one transaction. */
export class PartErrors {
  // Almost every transaction decodes cleanly: no array until something goes wrong.
  #problems: string[] | undefined

  /** Runs `decode`; on failure records `part: reason` and returns `fallback`. */
  part<T>(part: string, fallback: T, decode: () => T): T {
    try {
      return decode()
    } catch (error) {
      this.note(part, error)
      return fallback
    }
  }

  /**
   * Records `part: reason`. The per-item loops (events, balance changes, Move calls) catch for
   * themselves and call this, so the hot path builds no label string and no closure per item:
   * every transaction of every checkpoint goes through them.
   */
  note(part: string, error: unknown): void {
    ;(this.#problems ??= []).push(`${part}: ${error instanceof Error ? error.message : String(error)}`)
  }

  get message(): string | undefined {
    return this.#problems?.join('; ')
  }
}

/** A transaction of a checkpoint read: events by type and sender (CHECKPOINT_READ_MASK). */
export function decodeTransaction(tx: GrpcTypes.ExecutedTransaction, index: number, checkpoint: bigint, ts: number): TransactionRecord {
  return decodeExecuted(tx, index, checkpoint, ts, decodeEventSummaries)
}

/**
 * A transaction of a details read (TRANSACTION_DETAILS_READ_MASK): events with their JSON, and its
 * place in the chain from the transaction's own checkpoint, timestamp and transaction_index
 * fields. The caller has checked that `checkpoint` is there (a transaction not yet checkpointed
 * has none).
 */
export function decodeTransactionDetails(tx: GrpcTypes.ExecutedTransaction, checkpoint: bigint): TransactionDetails {
  const index = tx.transactionIndex === undefined ? -1 : Number(tx.transactionIndex)
  return decodeExecuted(tx, index, checkpoint, timestampMs(tx.timestamp), decodeEvents)
}

/**
 * What an event contents read (EVENT_CONTENTS_READ_MASK) brings: each event's type and JSON at its
 * position; an event whose type does not decode keeps its place (type '') and is named in the
 * parse error, so the contents still line up with the summary's events.
 */
export function decodeEventContents(tx: GrpcTypes.ExecutedTransaction, checkpoint: bigint): EventContents {
  const errors = new PartErrors()
  const events = (tx.events?.events ?? []).map((event, i) => {
    let type = ''
    try {
      type = chainType(event.eventType, 'event_type')
    } catch (error) {
      errors.note(`event ${i}`, error)
    }
    return {type, json: protoValueToJson(event.json as ProtoValue | undefined)}
  })
  const contents: EventContents = {digest: tx.digest ?? '', checkpoint, events}
  const parseError = errors.message
  if (parseError !== undefined) contents.parseError = parseError
  return contents
}

function decodeExecuted<Event extends EventSummary>(
  tx: GrpcTypes.ExecutedTransaction,
  index: number,
  checkpoint: bigint,
  ts: number,
  events: (events: GrpcTypes.TransactionEvents | undefined, errors: PartErrors) => Event[],
): TransactionRecord<Event> {
  // Every transaction of every checkpoint comes through here: the parts are tried inline, with no
  // closure per part.
  const errors = new PartErrors()
  let digest = ''
  try {
    digest = requiredString(tx.digest, 'digest')
  } catch (error) {
    errors.note('digest', error)
  }
  let sender = ''
  try {
    sender = chainAddress(tx.transaction?.sender, 'transaction.sender')
  } catch (error) {
    errors.note('sender', error)
  }
  let gasOwner = sender
  try {
    const owner = tx.transaction?.gasPayment?.owner
    if (owner) gasOwner = chainAddress(owner, 'gas_payment.owner')
  } catch (error) {
    errors.note('gas owner', error)
  }
  const record: TransactionRecord<Event> = {
    digest,
    index,
    checkpoint,
    timestampMs: ts,
    sender,
    gasOwner,
    moveCalls: decodeMoveCalls(tx.transaction?.kind, errors),
    events: events(tx.events, errors),
    balanceChanges: decodeBalanceChanges(tx.balanceChanges, errors),
    status: decodeStatus(tx.effects?.status, errors),
    gasUsed: decodeGasUsed(tx.effects?.gasUsed, errors),
  }
  const parseError = errors.message
  if (parseError !== undefined) record.parseError = parseError
  return record
}

function decodeMoveCalls(kind: GrpcTypes.TransactionKind | undefined, errors: PartErrors): MoveCallRecord[] {
  // System transactions (epoch change, consensus prologue, …) have no Move calls of their own.
  if (kind?.data.oneofKind !== 'programmableTransaction') return []
  const calls: MoveCallRecord[] = []
  const commands = kind.data.programmableTransaction.commands
  for (let i = 0; i < commands.length; i++) {
    const command = (commands[i] as GrpcTypes.Command).command
    if (command.oneofKind !== 'moveCall') continue
    const call = command.moveCall
    try {
      calls.push({
        package: chainAddress(call.package, 'package'),
        module: requiredString(call.module, 'module'),
        function: requiredString(call.function, 'function'),
      })
    } catch (error) {
      errors.note(`move call ${i}`, error)
    }
  }
  return calls
}

/** Events by type and sender; a `json` the node sent anyway is not decoded. */
export function decodeEventSummaries(events: GrpcTypes.TransactionEvents | undefined, errors: PartErrors): EventSummary[] {
  return decodeEachEvent(events, errors, (event) => ({
    type: chainType(event.eventType, 'event_type'),
    sender: chainAddress(event.sender, 'sender'),
  }))
}

/** Events with their contents. An event whose `json` is absent gets null (and no parse error). */
export function decodeEvents(events: GrpcTypes.TransactionEvents | undefined, errors: PartErrors): EventRecord[] {
  return decodeEachEvent(events, errors, (event) => ({
    type: chainType(event.eventType, 'event_type'),
    sender: chainAddress(event.sender, 'sender'),
    // The SDK types `json` as google.protobuf.Value; its generated shape is ProtoValue.
    json: protoValueToJson(event.json as ProtoValue | undefined),
  }))
}

/** One record per event that decodes; each failure is noted as `event <i>` and the rest go on. */
function decodeEachEvent<T>(events: GrpcTypes.TransactionEvents | undefined, errors: PartErrors, decode: (event: GrpcTypes.Event) => T): T[] {
  if (events === undefined) return []
  const out: T[] = []
  for (let i = 0; i < events.events.length; i++) {
    try {
      out.push(decode(events.events[i] as GrpcTypes.Event))
    } catch (error) {
      errors.note(`event ${i}`, error)
    }
  }
  return out
}

export function decodeBalanceChanges(changes: GrpcTypes.BalanceChange[], errors: PartErrors): BalanceChangeRecord[] {
  const out: BalanceChangeRecord[] = []
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i] as GrpcTypes.BalanceChange
    try {
      out.push({
        address: chainAddress(change.address, 'address'),
        coinType: chainType(change.coinType, 'coin_type'),
        amount: signedAmount(change.amount),
      })
    } catch (error) {
      errors.note(`balance change ${i}`, error)
    }
  }
  return out
}

function signedAmount(value: string | undefined): bigint {
  if (value === undefined || !isSignedInteger(value)) throw new TypeError(`amount is not a signed integer`)
  return BigInt(value)
}

/** An optional minus and at least one decimal digit: what BigInt() takes (it also takes "", "0x1f" and spaces). */
function isSignedInteger(value: string): boolean {
  const start = value.charCodeAt(0) === 45 ? 1 : 0
  if (value.length === start) return false
  for (let i = start; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 48 || code > 57) return false
  }
  return true
}

// Unknown status counts as failure: a record must never credit funds the chain may not have moved.
const STATUS_UNKNOWN: EffectsStatus = {success: false, error: 'execution status missing from the node response'}

const SUCCESS: EffectsStatus = Object.freeze({success: true})

export function decodeStatus(status: GrpcTypes.ExecutionStatus | undefined, errors: PartErrors): EffectsStatus {
  if (status?.success === undefined) {
    errors.note('effects status', new TypeError('effects.status is missing'))
    return STATUS_UNKNOWN
  }
  if (status.success) return SUCCESS
  return {success: false, error: describeExecutionError(status.error)}
}

function describeExecutionError(error: GrpcTypes.ExecutionError | undefined): string {
  if (error?.description) return error.description
  if (error?.kind !== undefined) return GrpcTypes.ExecutionError_ExecutionErrorKind[error.kind] ?? `error kind ${error.kind}`
  return 'execution failed (no error details)'
}

export function decodeGasUsed(gas: GrpcTypes.GasCostSummary | undefined, errors: PartErrors): bigint {
  if (gas === undefined) {
    errors.note('gas used', new TypeError('effects.gas_used is missing'))
    return 0n
  }
  return (gas.computationCost ?? 0n) + (gas.storageCost ?? 0n) - (gas.storageRebate ?? 0n)
}
