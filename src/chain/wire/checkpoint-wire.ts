// Reads checkpoint and transaction replies straight off the wire. The SDK's generated decoder is
// reflection-based (its protos are generated with optimize_code_size). Its worst case was event
// JSON, which checkpoint reads no longer ask for; on what they do ask for (CHECKPOINT_READ_MASK)
// it still costs about 3x this reader per 60-transaction checkpoint, ~6x for the message decoding
// alone (bench/checkpoint-decoder.ts), which a range read feels as a third less throughput.
//
// This reader knows the few fields CHECKPOINT_READ_MASK and TRANSACTION_DETAILS_READ_MASK ask
// for, skips everything else, and builds the same message shapes the SDK would, which
// checkpoint-decoder.ts then turns into records: one set of record semantics whichever decoder ran.
// Every field it reads is listed in WIRE_MESSAGES (wire-messages.ts), which the reader compares
// tags with and a test checks against the SDK's own descriptors (sui/rpc/v2/*.proto,
// google/protobuf/{timestamp,struct}.proto, google/rpc/status.proto), so an upstream renumbering
// fails the build, not the poller. Fields it does not read are skipped, as a node newer than this
// reader may add them; but a known field on another wire type is an error, and a transaction kind
// or command it does not know makes its transaction undecodable (kept, never dropped) and is
// reported (wire-observer.ts). Given a TransactionScreen, a ListCheckpoints read passes over the
// transactions that cannot matter to it (transaction-screen.ts) and reads the rest in full.
//
// proto3 merges the occurrences of a singular embedded message; a node's encoder (prost) writes
// each once, but a proxy or another implementation may split one. The frame's own messages (the
// checkpoint, its summary, the query end) are merged here. A transaction in which one repeats is
// rare, so it is read by the SDK's generated decoder instead (readTransactionIn), whose reading of
// a valid encoding is confio's. A frame whose parts cannot be one checkpoint (two sequence numbers
// or digests, a transaction of another checkpoint) is a WireError: the reply is malformed.
import {GrpcTypes} from '@mysten/sui/grpc'

import type {ProtoValue} from './proto-values.ts'
import {
  BALANCE_CHANGE, BATCH_GET_TRANSACTIONS_RESPONSE, CHECKPOINT, CHECKPOINT_SUMMARY, COMMAND, EVENT, EXECUTED_TRANSACTION, EXECUTION_ERROR,
  EXECUTION_STATUS, GAS_COST_SUMMARY, GAS_PAYMENT, GET_CHECKPOINT_RESPONSE, GET_TRANSACTION_RESULT, KNOWN_TRANSACTION_KINDS,
  LIST_CHECKPOINTS_RESPONSE, LIST_VALUE, MOVE_CALL, PROGRAMMABLE_TRANSACTION, QUERY_END, STATUS, STRUCT, STRUCT_FIELDS_ENTRY,
  SUBSCRIBE_CHECKPOINTS_RESPONSE, TIMESTAMP, TRANSACTION, TRANSACTION_EFFECTS, TRANSACTION_EVENTS, TRANSACTION_KIND, VALUE,
} from './wire-messages.ts'
import {WireError, WireReader} from './wire-reader.ts'
import {mayMatter} from './transaction-screen.ts'
import type {TransactionScreen} from './transaction-screen.ts'
import {DEFAULT_WIRE_OBSERVER} from './wire-observer.ts'
import type {WireObserver} from './wire-observer.ts'

/** A decoded checkpoint in the SDK's shape, with wire errors per transaction index. */
export interface WireCheckpoint {
  checkpoint: GrpcTypes.Checkpoint
  /**
   * transactionErrors[i] is set when transaction i's bytes were malformed, or carried a kind or
   * command this reader does not know (what was read is kept).
   */
  transactionErrors: Array<string | undefined>
  /** How many transactions the checkpoint has, read or passed over by a screen. */
  transactionCount: number
  /** With a screen: the place in the checkpoint of each transaction read (the rest could not matter). */
  indexes?: number[]
}

/** GetCheckpointResponse { Checkpoint checkpoint = 1 }. */
export function readGetCheckpointResponse(bytes: Uint8Array, observer: WireObserver = DEFAULT_WIRE_OBSERVER): {checkpoint?: WireCheckpoint} {
  const r = new WireReader(bytes, observer)
  let checkpoint: WireCheckpoint | undefined
  r.fields(r.buf.length, (tag) => {
    if (tag === GET_CHECKPOINT_RESPONSE.tag.checkpoint) checkpoint = readCheckpoint(r, r.delimited(), undefined, checkpoint)
    else r.other(GET_CHECKPOINT_RESPONSE, tag)
  })
  return checkpoint ? {checkpoint: consistent(checkpoint)} : {}
}

/** ListCheckpointsResponse { Checkpoint checkpoint = 1; Watermark watermark = 2; QueryEnd end = 3 }. */
export function readListCheckpointsResponse(
  bytes: Uint8Array,
  observer: WireObserver = DEFAULT_WIRE_OBSERVER,
  screen?: TransactionScreen,
): {checkpoint?: WireCheckpoint; end?: {reason: number}} {
  const r = new WireReader(bytes, observer)
  const out: {checkpoint?: WireCheckpoint; end?: {reason: number}} = {}
  r.fields(r.buf.length, (tag) => {
    if (tag === LIST_CHECKPOINTS_RESPONSE.tag.checkpoint) out.checkpoint = readCheckpoint(r, r.delimited(), screen, out.checkpoint)
    else if (tag === LIST_CHECKPOINTS_RESPONSE.tag.end) {
      const end = out.end ?? {reason: 0}
      r.fields(r.delimited(), (t) => (t === QUERY_END.tag.reason ? (end.reason = r.int32()) : r.other(QUERY_END, t)))
      out.end = end
    } else r.other(LIST_CHECKPOINTS_RESPONSE, tag)
  })
  if (out.checkpoint !== undefined) consistent(out.checkpoint)
  return out
}

/** SubscribeCheckpointsResponse { uint64 cursor = 1; Checkpoint checkpoint = 2 }. */
export function readSubscribeCheckpointsResponse(bytes: Uint8Array, observer: WireObserver = DEFAULT_WIRE_OBSERVER): {cursor?: bigint; checkpoint?: WireCheckpoint} {
  const r = new WireReader(bytes, observer)
  const out: {cursor?: bigint; checkpoint?: WireCheckpoint} = {}
  r.fields(r.buf.length, (tag) => {
    if (tag === SUBSCRIBE_CHECKPOINTS_RESPONSE.tag.cursor) out.cursor = r.uint64()
    else if (tag === SUBSCRIBE_CHECKPOINTS_RESPONSE.tag.checkpoint) out.checkpoint = readCheckpoint(r, r.delimited(), undefined, out.checkpoint)
    else r.other(SUBSCRIBE_CHECKPOINTS_RESPONSE, tag)
  })
  if (out.checkpoint !== undefined) consistent(out.checkpoint)
  return out
}

/** One GetTransactionResult: the transaction, or the node's status for that digest. */
export type WireTransactionResult =
  | {transaction: GrpcTypes.ExecutedTransaction; wireError?: string}
  | {error: {code: number; message: string}}

/**
 * BatchGetTransactionsResponse { repeated GetTransactionResult transactions = 1 }
 * GetTransactionResult { oneof result { ExecutedTransaction transaction = 1; google.rpc.Status error = 2 } }
 * Results come in the order of the request's digests. A result that is neither (a node newer
 * than this reader) is reported as an error with code 2 (UNKNOWN), never dropped: the caller
 * matches results to digests by position.
 */
export function readBatchGetTransactionsResponse(bytes: Uint8Array, observer: WireObserver = DEFAULT_WIRE_OBSERVER): {transactions: WireTransactionResult[]} {
  const r = new WireReader(bytes, observer)
  const transactions: WireTransactionResult[] = []
  r.fields(r.buf.length, (tag) => {
    if (tag !== BATCH_GET_TRANSACTIONS_RESPONSE.tag.transactions) return r.other(BATCH_GET_TRANSACTIONS_RESPONSE, tag)
    let result: WireTransactionResult = {error: {code: 2, message: 'GetTransactionResult with neither a transaction nor an error'}}
    // The occurrences of `transaction` since the oneof last chose it, merged once the result is read.
    let parts: Array<readonly [number, number]> = []
    // The error, while the oneof has it: a later occurrence merges with it.
    let error: {code: number; message: string} | undefined
    const resultEnd = r.delimited()
    r.fields(resultEnd, (t) => {
      if (t === GET_TRANSACTION_RESULT.tag.transaction) {
        const end = r.delimited()
        parts.push([r.pos, end])
        r.pos = end
        error = undefined
      } else if (t === GET_TRANSACTION_RESULT.tag.error) {
        error = readStatus(r, r.delimited(), error)
        result = {error}
        parts = []
      } else r.other(GET_TRANSACTION_RESULT, t)
    })
    if (parts.length > 0) result = readResultTransaction(r, parts, resultEnd)
    transactions.push(result)
  })
  return {transactions}
}

/**
 * The transaction of a GetTransactionResult from its occurrences: one is read where it lies; more
 * are read as their concatenation, which is how protobuf defines their merge.
 */
function readResultTransaction(r: WireReader, parts: ReadonlyArray<readonly [number, number]>, resultEnd: number): WireTransactionResult {
  const tx = emptyTransaction()
  let wireError: string | undefined
  if (parts.length === 1) {
    r.pos = parts[0]![0]
    wireError = readTransactionIn(r, parts[0]![1], tx)
    r.pos = resultEnd
  } else {
    const whole = new WireReader(Buffer.concat(parts.map(([start, end]) => r.buf.subarray(start, end))), r.observer)
    wireError = readTransactionIn(whole, whole.buf.length, tx)
  }
  return wireError === undefined ? {transaction: tx} : {transaction: tx, wireError}
}

// google.rpc.Status { int32 code = 1; string message = 2 }; `into` is an earlier occurrence to merge with.
// A code left out is 0, as protobuf reads it; what an error "OK" means is the caller's to say.
function readStatus(r: WireReader, end: number, into?: {code: number; message: string}): {code: number; message: string} {
  const status = into ?? {code: 0, message: ''}
  r.fields(end, (tag) => {
    if (tag === STATUS.tag.code) status.code = r.int32()
    else if (tag === STATUS.tag.message) status.message = r.string()
    else r.other(STATUS, tag)
  })
  return status
}

// Checkpoint { uint64 sequence_number = 1; string digest = 2; CheckpointSummary summary = 3;
//              repeated ExecutedTransaction transactions = 6 }
// With a screen, a transaction it finds cannot matter is passed over; the rest are read in full.
// `into` is the frame's earlier occurrence of the checkpoint, which this one merges with.
function readCheckpoint(r: WireReader, end: number, screen?: TransactionScreen, into?: WireCheckpoint): WireCheckpoint {
  const checkpoint = into?.checkpoint ?? ({transactions: [] as GrpcTypes.ExecutedTransaction[]} as GrpcTypes.Checkpoint)
  const transactionErrors: Array<string | undefined> = into?.transactionErrors ?? []
  const indexes: number[] | undefined = into === undefined ? (screen ? [] : undefined) : into.indexes
  let transactionCount = into?.transactionCount ?? 0
  r.fields(end, (tag) => {
    if (tag === CHECKPOINT.tag.sequence_number) checkpoint.sequenceNumber = same('checkpoint', checkpoint.sequenceNumber, r.uint64())
    else if (tag === CHECKPOINT.tag.digest) checkpoint.digest = same('checkpoint digest', checkpoint.digest, r.string())
    else if (tag === CHECKPOINT.tag.summary) checkpoint.summary = readSummary(r, r.delimited(), checkpoint.summary)
    else if (tag === CHECKPOINT.tag.transactions) {
      const txEnd = r.delimited()
      const index = transactionCount++
      if (screen !== undefined) {
        const start = r.pos
        const read = mayMatter(r, txEnd, screen)
        r.pos = read ? start : txEnd
        if (!read) return
        indexes!.push(index)
      }
      const tx = emptyTransaction()
      transactionErrors.push(readTransactionIn(r, txEnd, tx))
      checkpoint.transactions.push(tx)
    } else r.other(CHECKPOINT, tag)
  })
  return indexes === undefined ? {checkpoint, transactionErrors, transactionCount} : {checkpoint, transactionErrors, transactionCount, indexes}
}

/** A value a frame names twice must be the same both times: one frame is one checkpoint. */
function same<T extends bigint | string>(what: string, before: T | undefined, value: T): T {
  if (before !== undefined && before !== value) throw new WireError(`one frame names ${what} ${before} and ${what} ${value}`)
  return value
}

/** The checkpoint, once every transaction read that names its checkpoint names this one. */
function consistent(wire: WireCheckpoint): WireCheckpoint {
  const sequence = wire.checkpoint.sequenceNumber
  if (sequence === undefined) return wire
  for (const tx of wire.checkpoint.transactions) {
    if (tx.checkpoint !== undefined && tx.checkpoint !== sequence) throw new WireError(`a transaction of checkpoint ${tx.checkpoint} in checkpoint ${sequence}`)
  }
  return wire
}

// CheckpointSummary { Timestamp timestamp = 9 }; `into` is an earlier occurrence to merge with.
function readSummary(r: WireReader, end: number, into?: GrpcTypes.CheckpointSummary): GrpcTypes.CheckpointSummary {
  const summary = into ?? ({} as GrpcTypes.CheckpointSummary)
  r.fields(end, (tag) => (tag === CHECKPOINT_SUMMARY.tag.timestamp ? (summary.timestamp = readTimestamp(r, r.delimited(), summary.timestamp)) : r.other(CHECKPOINT_SUMMARY, tag)))
  return summary
}

function emptyTransaction(): GrpcTypes.ExecutedTransaction {
  return {signatures: [], balanceChanges: []} as unknown as GrpcTypes.ExecutedTransaction
}

/**
 * Reads one ExecutedTransaction ending at `end` into `tx`. Returns what makes it undecodable, if
 * anything: malformed bytes (what was read before them is kept; the transaction's extent is
 * known, so its checkpoint goes on after it), or a kind or command this reader does not know,
 * which is also reported to the observer.
 */
function readTransactionIn(r: WireReader, end: number, tx: GrpcTypes.ExecutedTransaction): string | undefined {
  const depth = r.depth
  const start = r.pos
  r.unknown = undefined
  r.split = false
  let problem: string | undefined
  try {
    readExecutedTransaction(r, end, tx)
    if (r.split) problem = readWithSdk(r.buf.subarray(start, end), tx)
  } catch (error) {
    if (!(error instanceof WireError)) throw error
    problem = `malformed transaction bytes: ${error.message}`
    r.pos = end
    r.depth = depth
  }
  const unknown = r.unknown as string[] | undefined
  if (unknown === undefined) return problem
  r.unknown = undefined
  for (const what of unknown) r.observer.unknownContent(what)
  const note = `unknown to this reader (a node newer than confio?): ${unknown.join(', ')}`
  return problem === undefined ? note : `${problem}; ${note}`
}

/**
 * A transaction in which a singular embedded message comes in more than one occurrence, read again
 * by the SDK's generated decoder, which merges them. The hand reader has read it all the same (so
 * what it does not know is noted, and malformed bytes are its to name); the decoder's reading
 * replaces its own.
 */
function readWithSdk(bytes: Uint8Array, tx: GrpcTypes.ExecutedTransaction): string | undefined {
  let decoded: GrpcTypes.ExecutedTransaction
  try {
    decoded = GrpcTypes.ExecutedTransaction.fromBinary(bytes)
  } catch (error) {
    return `malformed transaction bytes: ${error instanceof Error ? error.message : String(error)}`
  }
  for (const key of Object.keys(tx)) delete (tx as unknown as Record<string, unknown>)[key]
  Object.assign(tx, decoded)
  return undefined
}

// Timestamp { int64 seconds = 1; int32 nanos = 2 }; `into` is an earlier occurrence to merge with.
function readTimestamp(r: WireReader, end: number, into?: {seconds: bigint; nanos: number}): {seconds: bigint; nanos: number} {
  let seconds = into === undefined ? 0 : Number(into.seconds)
  let nanos = into?.nanos ?? 0
  r.fields(end, (tag) => {
    if (tag === TIMESTAMP.tag.seconds) seconds = r.int64()
    else if (tag === TIMESTAMP.tag.nanos) nanos = r.int32()
    else r.other(TIMESTAMP, tag)
  })
  return {seconds: BigInt(seconds), nanos}
}

// ExecutedTransaction { string digest = 1; Transaction transaction = 2; TransactionEffects
//   effects = 4; TransactionEvents events = 5; uint64 checkpoint = 6; Timestamp timestamp = 7;
//   repeated BalanceChange balance_changes = 8; uint64 transaction_index = 10 }
function readExecutedTransaction(r: WireReader, end: number, tx: GrpcTypes.ExecutedTransaction): void {
  const t = EXECUTED_TRANSACTION.tag
  r.fields(end, (tag) => {
    if (tag === t.digest) tx.digest = r.string()
    else if (tag === t.transaction && r.occurrence(tx.transaction !== undefined)) tx.transaction = readTransaction(r, r.delimited())
    else if (tag === t.effects && r.occurrence(tx.effects !== undefined)) tx.effects = readEffects(r, r.delimited())
    else if (tag === t.events && r.occurrence(tx.events !== undefined)) tx.events = readEvents(r, r.delimited())
    else if (tag === t.balance_changes) tx.balanceChanges.push(readBalanceChange(r, r.delimited()))
    else if (tag === t.checkpoint) tx.checkpoint = r.uint64()
    else if (tag === t.timestamp && r.occurrence(tx.timestamp !== undefined)) tx.timestamp = readTimestamp(r, r.delimited())
    else if (tag === t.transaction_index) tx.transactionIndex = r.uint64()
    else r.other(EXECUTED_TRANSACTION, tag)
  })
}

// Transaction { TransactionKind kind = 4; string sender = 5; GasPayment gas_payment = 6 }
// GasPayment { string owner = 2 }
function readTransaction(r: WireReader, end: number): GrpcTypes.Transaction {
  const t = {} as GrpcTypes.Transaction
  r.fields(end, (tag) => {
    if (tag === TRANSACTION.tag.kind && r.occurrence(t.kind !== undefined)) t.kind = readKind(r, r.delimited())
    else if (tag === TRANSACTION.tag.sender) t.sender = r.string()
    else if (tag === TRANSACTION.tag.gas_payment && r.occurrence(t.gasPayment !== undefined)) {
      const gas = {objects: []} as unknown as GrpcTypes.GasPayment
      r.fields(r.delimited(), (g) => (g === GAS_PAYMENT.tag.owner ? (gas.owner = r.string()) : r.other(GAS_PAYMENT, g)))
      t.gasPayment = gas
    } else r.other(TRANSACTION, tag)
  })
  return t
}

// TransactionKind { optional Kind kind = 1; oneof data { ProgrammableTransaction
//   programmable_transaction = 2; ... (3 to 8: kinds without Move calls of their own) } }
// ProgrammableTransaction { repeated Command commands = 2 }
function readKind(r: WireReader, end: number): GrpcTypes.TransactionKind {
  const kind = {data: {oneofKind: undefined}} as GrpcTypes.TransactionKind
  let data = false
  r.fields(end, (tag) => {
    // A second member of the `data` oneof merges with the first, or replaces it.
    if (tag >>> 3 >= 2 && TRANSACTION_KIND.byNumber[tag >>> 3] !== undefined) data = r.occurrence(data)
    if (tag === TRANSACTION_KIND.tag.programmable_transaction) {
      const commands: GrpcTypes.Command[] = []
      r.fields(r.delimited(), (c) => (c === PROGRAMMABLE_TRANSACTION.tag.commands ? commands.push(readCommand(r, r.delimited())) : r.other(PROGRAMMABLE_TRANSACTION, c)))
      kind.data = {oneofKind: 'programmableTransaction', programmableTransaction: {inputs: [], commands}}
    } else if (tag === TRANSACTION_KIND.tag.kind) {
      kind.kind = r.int32()
      if (!KNOWN_TRANSACTION_KINDS.has(kind.kind)) r.noteUnknown(`TransactionKind.kind ${kind.kind}`)
    } else {
      if (TRANSACTION_KIND.byNumber[tag >>> 3] === undefined) r.noteUnknown(`TransactionKind field ${tag >>> 3}`)
      r.other(TRANSACTION_KIND, tag)
    }
  })
  return kind
}

// Command { oneof command { MoveCall move_call = 1; ... (2 to 7: commands that call no Move function) } }
// MoveCall { string package = 1; string module = 2; string function = 3 }
function readCommand(r: WireReader, end: number): GrpcTypes.Command {
  let command: GrpcTypes.Command['command'] = {oneofKind: undefined}
  r.fields(end, (tag) => {
    // A second member of the `command` oneof merges with the first, or replaces it.
    if (COMMAND.byNumber[tag >>> 3] !== undefined) r.occurrence(command.oneofKind !== undefined)
    if (tag === COMMAND.tag.move_call) {
      const call = {typeArguments: [], arguments: []} as unknown as GrpcTypes.MoveCall
      r.fields(r.delimited(), (f) => {
        if (f === MOVE_CALL.tag.package) call.package = r.string()
        else if (f === MOVE_CALL.tag.module) call.module = r.string()
        else if (f === MOVE_CALL.tag.function) call.function = r.string()
        else r.other(MOVE_CALL, f)
      })
      command = {oneofKind: 'moveCall', moveCall: call}
    } else {
      if (COMMAND.byNumber[tag >>> 3] === undefined) r.noteUnknown(`Command field ${tag >>> 3}`)
      r.other(COMMAND, tag)
    }
  })
  return {command}
}

// TransactionEffects { ExecutionStatus status = 4; GasCostSummary gas_used = 6 }
function readEffects(r: WireReader, end: number): GrpcTypes.TransactionEffects {
  const effects = {} as GrpcTypes.TransactionEffects
  r.fields(end, (tag) => {
    if (tag === TRANSACTION_EFFECTS.tag.status && r.occurrence(effects.status !== undefined)) effects.status = readExecutionStatus(r, r.delimited())
    else if (tag === TRANSACTION_EFFECTS.tag.gas_used && r.occurrence(effects.gasUsed !== undefined)) effects.gasUsed = readGasCost(r, r.delimited())
    else r.other(TRANSACTION_EFFECTS, tag)
  })
  return effects
}

// ExecutionStatus { bool success = 1; ExecutionError error = 2 }
// ExecutionError { string description = 1; ExecutionErrorKind kind = 3 }
function readExecutionStatus(r: WireReader, end: number): GrpcTypes.ExecutionStatus {
  const status = {} as GrpcTypes.ExecutionStatus
  r.fields(end, (tag) => {
    if (tag === EXECUTION_STATUS.tag.success) status.success = r.bool()
    else if (tag === EXECUTION_STATUS.tag.error && r.occurrence(status.error !== undefined)) {
      const error = {errorDetails: {oneofKind: undefined}} as GrpcTypes.ExecutionError
      r.fields(r.delimited(), (e) => {
        if (e === EXECUTION_ERROR.tag.description) error.description = r.string()
        else if (e === EXECUTION_ERROR.tag.kind) error.kind = r.int32()
        else r.other(EXECUTION_ERROR, e)
      })
      status.error = error
    } else r.other(EXECUTION_STATUS, tag)
  })
  return status
}

// GasCostSummary { uint64 computation_cost = 1; uint64 storage_cost = 2; uint64 storage_rebate = 3 }
function readGasCost(r: WireReader, end: number): GrpcTypes.GasCostSummary {
  const gas = {} as GrpcTypes.GasCostSummary
  r.fields(end, (tag) => {
    if (tag === GAS_COST_SUMMARY.tag.computation_cost) gas.computationCost = r.uint64()
    else if (tag === GAS_COST_SUMMARY.tag.storage_cost) gas.storageCost = r.uint64()
    else if (tag === GAS_COST_SUMMARY.tag.storage_rebate) gas.storageRebate = r.uint64()
    else r.other(GAS_COST_SUMMARY, tag)
  })
  return gas
}

// TransactionEvents { repeated Event events = 3 }
// Event { string sender = 3; string event_type = 4; google.protobuf.Value json = 6 }
function readEvents(r: WireReader, end: number): GrpcTypes.TransactionEvents {
  const events: GrpcTypes.Event[] = []
  r.fields(end, (tag) => {
    if (tag !== TRANSACTION_EVENTS.tag.events) return r.other(TRANSACTION_EVENTS, tag)
    const event = {} as GrpcTypes.Event
    r.fields(r.delimited(), (e) => {
      if (e === EVENT.tag.sender) event.sender = r.string()
      else if (e === EVENT.tag.event_type) event.eventType = r.string()
      else if (e === EVENT.tag.json && r.occurrence(event.json !== undefined)) event.json = readValue(r, r.delimited()) as unknown as GrpcTypes.Event['json']
      else r.other(EVENT, e)
    })
    events.push(event)
  })
  return {events}
}

// BalanceChange { string address = 1; string coin_type = 2; string amount = 3 }
function readBalanceChange(r: WireReader, end: number): GrpcTypes.BalanceChange {
  const change = {} as GrpcTypes.BalanceChange
  r.fields(end, (tag) => {
    if (tag === BALANCE_CHANGE.tag.address) change.address = r.string()
    else if (tag === BALANCE_CHANGE.tag.coin_type) change.coinType = r.string()
    else if (tag === BALANCE_CHANGE.tag.amount) change.amount = r.string()
    else r.other(BALANCE_CHANGE, tag)
  })
  return change
}

// Value { NullValue null_value = 1; double number_value = 2; string string_value = 3;
//         bool bool_value = 4; Struct struct_value = 5; ListValue list_value = 6 }
// Struct { map<string, Value> fields = 1 } (entries: string key = 1; Value value = 2)
// ListValue { repeated Value values = 1 }
function readValue(r: WireReader, end: number): ProtoValue {
  let value: ProtoValue = {kind: {oneofKind: undefined}}
  const t = VALUE.tag
  r.fields(end, (tag) => {
    // A message member of the `kind` oneof after itself merges with it.
    if (tag === t.struct_value || tag === t.list_value) r.occurrence(value.kind.oneofKind === (tag === t.struct_value ? 'structValue' : 'listValue'))
    if (tag === t.string_value) value = {kind: {oneofKind: 'stringValue', stringValue: r.string()}}
    else if (tag === t.struct_value) value = {kind: {oneofKind: 'structValue', structValue: {fields: readStruct(r, r.delimited())}}}
    else if (tag === t.list_value) {
      const values: ProtoValue[] = []
      r.fields(r.delimited(), (l) => (l === LIST_VALUE.tag.values ? values.push(readValue(r, r.delimited())) : r.other(LIST_VALUE, l)))
      value = {kind: {oneofKind: 'listValue', listValue: {values}}}
    } else if (tag === t.number_value) value = {kind: {oneofKind: 'numberValue', numberValue: r.double()}}
    else if (tag === t.bool_value) value = {kind: {oneofKind: 'boolValue', boolValue: r.bool()}}
    else if (tag === t.null_value) {
      r.uint()
      value = {kind: {oneofKind: 'nullValue', nullValue: 0}}
    } else r.other(VALUE, tag)
  })
  return value
}

function readStruct(r: WireReader, end: number): {[key: string]: ProtoValue} {
  const fields: {[key: string]: ProtoValue} = Object.create(null) as {[key: string]: ProtoValue}
  r.fields(end, (tag) => {
    if (tag !== STRUCT.tag.fields) return r.other(STRUCT, tag)
    let key = ''
    let entry: ProtoValue = {kind: {oneofKind: undefined}}
    let valued = false
    r.fields(r.delimited(), (e) => {
      if (e === STRUCT_FIELDS_ENTRY.tag.key) key = r.string()
      else if (e === STRUCT_FIELDS_ENTRY.tag.value && (valued = r.occurrence(valued))) entry = readValue(r, r.delimited())
      else r.other(STRUCT_FIELDS_ENTRY, e)
    })
    fields[key] = entry
  })
  return fields
}
