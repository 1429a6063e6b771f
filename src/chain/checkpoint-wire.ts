// Reads checkpoint and transaction replies straight off the wire. The SDK's generated decoder is
// reflection-based (its protos are generated with optimize_code_size) and is slowest on event
// JSON: a google.protobuf.Value tree, which took 6.7 of the 7.7 ms a 60-transaction checkpoint
// cost when checkpoint reads still asked for it (measured with bench/chain-read.ts' data). This
// reader knows the few fields CHECKPOINT_READ_MASK and TRANSACTION_DETAILS_READ_MASK ask for,
// skips everything else, and builds the same message shapes the SDK would, which
// checkpoint-decoder.ts then turns into records: one set of record semantics whichever decoder ran.
//
// Field numbers are those of sui/rpc/v2/*.proto, google/protobuf/{timestamp,struct}.proto and
// google/rpc/status.proto (MystenLabs/sui-apis); new fields a node adds later are skipped like
// any unknown field.
import type {GrpcTypes} from '@mysten/sui/grpc'

import type {ProtoValue} from './proto-values.ts'

/** Wire-level failure: the bytes are not the protobuf they claim to be. */
export class WireError extends Error {
  override readonly name = 'WireError'
}

const WIRE_VARINT = 0
const WIRE_FIXED64 = 1
const WIRE_BYTES = 2
const WIRE_FIXED32 = 5

class WireReader {
  readonly buf: Buffer
  pos: number

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.pos = 0
  }

  /** A varint that fits in a double exactly: tags, lengths, enums, bools. */
  uint(): number {
    let result = 0
    let shift = 1
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.buf.length) throw new WireError('truncated varint')
      const byte = this.buf[this.pos++] as number
      result += (byte & 0x7f) * shift
      if (byte < 0x80) return result
      shift *= 128
    }
    throw new WireError('varint too long for a length or tag')
  }

  /** A full 64-bit unsigned varint (sequence numbers, gas costs). */
  uint64(): bigint {
    let lo = 0
    let shift = 1
    const start = this.pos
    // Up to 7 bytes (49 bits) fit a double exactly; longer values take the bigint path.
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.buf.length) throw new WireError('truncated varint')
      const byte = this.buf[this.pos++] as number
      lo += (byte & 0x7f) * shift
      if (byte < 0x80) return BigInt(lo)
      shift *= 128
    }
    this.pos = start
    let value = 0n
    let bits = 0n
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError('truncated varint')
      const byte = this.buf[this.pos++] as number
      value |= BigInt(byte & 0x7f) << bits
      if (byte < 0x80) return BigInt.asUintN(64, value)
      bits += 7n
    }
    throw new WireError('varint longer than 10 bytes')
  }

  /** Signed 64-bit (int64, e.g. Timestamp.seconds) as a number: timestamps fit easily. */
  int64(): number {
    return Number(BigInt.asIntN(64, this.uint64()))
  }

  /** End offset of a length-delimited field starting here. */
  delimited(): number {
    const length = this.uint()
    const end = this.pos + length
    if (end > this.buf.length) throw new WireError('length-delimited field runs past its message')
    return end
  }

  string(): string {
    const end = this.delimited()
    const value = this.buf.toString('utf8', this.pos, end)
    this.pos = end
    return value
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) throw new WireError('truncated double')
    const value = this.buf.readDoubleLE(this.pos)
    this.pos += 8
    return value
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.uint64()
        return
      case WIRE_FIXED64:
        this.pos += 8
        break
      case WIRE_BYTES:
        this.pos = this.delimited()
        return
      case WIRE_FIXED32:
        this.pos += 4
        break
      default:
        throw new WireError(`unsupported wire type ${wireType}`)
    }
    if (this.pos > this.buf.length) throw new WireError('truncated field')
  }

  /** Calls `field(number, wireType)` for every field up to `end`; the callback must consume it. */
  fields(end: number, field: (number: number, wireType: number) => void): void {
    while (this.pos < end) {
      const tag = this.uint()
      field(tag >>> 3, tag & 7)
    }
    if (this.pos !== end) throw new WireError('field runs past its message')
  }
}

/** A decoded checkpoint in the SDK's shape, with wire errors per transaction index. */
export interface WireCheckpoint {
  checkpoint: GrpcTypes.Checkpoint
  /** transactionErrors[i] is set when transaction i's bytes were malformed (what was read is kept). */
  transactionErrors: Array<string | undefined>
}

/** GetCheckpointResponse { Checkpoint checkpoint = 1 }. */
export function readGetCheckpointResponse(bytes: Uint8Array): {checkpoint?: WireCheckpoint} {
  const r = new WireReader(bytes)
  let checkpoint: WireCheckpoint | undefined
  r.fields(r.buf.length, (no, wt) => {
    if (no === 1 && wt === WIRE_BYTES) checkpoint = readCheckpoint(r, r.delimited())
    else r.skip(wt)
  })
  return checkpoint ? {checkpoint} : {}
}

/** ListCheckpointsResponse { Checkpoint checkpoint = 1; Watermark watermark = 2; QueryEnd end = 3 }. */
export function readListCheckpointsResponse(bytes: Uint8Array): {checkpoint?: WireCheckpoint; end?: {reason: number}} {
  const r = new WireReader(bytes)
  const out: {checkpoint?: WireCheckpoint; end?: {reason: number}} = {}
  r.fields(r.buf.length, (no, wt) => {
    if (no === 1 && wt === WIRE_BYTES) out.checkpoint = readCheckpoint(r, r.delimited())
    else if (no === 3 && wt === WIRE_BYTES) {
      const end = r.delimited()
      let reason = 0
      r.fields(end, (n, w) => (n === 1 && w === WIRE_VARINT ? (reason = r.uint()) : r.skip(w)))
      out.end = {reason}
    } else r.skip(wt)
  })
  return out
}

/** SubscribeCheckpointsResponse { uint64 cursor = 1; Checkpoint checkpoint = 2 }. */
export function readSubscribeCheckpointsResponse(bytes: Uint8Array): {cursor?: bigint; checkpoint?: WireCheckpoint} {
  const r = new WireReader(bytes)
  const out: {cursor?: bigint; checkpoint?: WireCheckpoint} = {}
  r.fields(r.buf.length, (no, wt) => {
    if (no === 1 && wt === WIRE_VARINT) out.cursor = r.uint64()
    else if (no === 2 && wt === WIRE_BYTES) out.checkpoint = readCheckpoint(r, r.delimited())
    else r.skip(wt)
  })
  return out
}

/** One GetTransactionResult: the transaction, or the node's status for that digest. */
export type WireTransactionResult =
  | {transaction: GrpcTypes.ExecutedTransaction; wireError?: string}
  | {error: {code: number; message: string}}

/**
 * BatchGetTransactionsResponse { repeated GetTransactionResult transactions = 1 }
 * GetTransactionResult { oneof result { ExecutedTransaction transaction = 1; google.rpc.Status error = 2 } }
 * google.rpc.Status { int32 code = 1; string message = 2 }
 * Results come in the order of the request's digests. A result that is neither (a node newer
 * than this reader) is reported as an error with code 2 (UNKNOWN), never dropped: the caller
 * matches results to digests by position.
 */
export function readBatchGetTransactionsResponse(bytes: Uint8Array): {transactions: WireTransactionResult[]} {
  const r = new WireReader(bytes)
  const transactions: WireTransactionResult[] = []
  r.fields(r.buf.length, (no, wt) => {
    if (no !== 1 || wt !== WIRE_BYTES) return r.skip(wt)
    const resultEnd = r.delimited()
    let result: WireTransactionResult = {error: {code: 2, message: 'GetTransactionResult with neither a transaction nor an error'}}
    r.fields(resultEnd, (n, w) => {
      if (n === 1 && w === WIRE_BYTES) {
        const txEnd = r.delimited()
        const tx = {signatures: [], balanceChanges: []} as unknown as GrpcTypes.ExecutedTransaction
        try {
          readExecutedTransaction(r, txEnd, tx)
          result = {transaction: tx}
        } catch (error) {
          if (!(error instanceof WireError)) throw error
          result = {transaction: tx, wireError: `malformed transaction bytes: ${error.message}`}
          r.pos = txEnd
        }
      } else if (n === 2 && w === WIRE_BYTES) {
        const statusEnd = r.delimited()
        const status = {code: 2, message: ''}
        r.fields(statusEnd, (f, fw) => {
          if (f === 1 && fw === WIRE_VARINT) status.code = r.uint() | 0
          else if (f === 2 && fw === WIRE_BYTES) status.message = r.string()
          else r.skip(fw)
        })
        result = {error: status}
      } else r.skip(w)
    })
    transactions.push(result)
  })
  return {transactions}
}

// Checkpoint { uint64 sequence_number = 1; string digest = 2; CheckpointSummary summary = 3;
//              repeated ExecutedTransaction transactions = 6 }
function readCheckpoint(r: WireReader, end: number): WireCheckpoint {
  const checkpoint = {transactions: [] as GrpcTypes.ExecutedTransaction[]} as GrpcTypes.Checkpoint
  const transactionErrors: Array<string | undefined> = []
  r.fields(end, (no, wt) => {
    if (no === 1 && wt === WIRE_VARINT) checkpoint.sequenceNumber = r.uint64()
    else if (no === 2 && wt === WIRE_BYTES) checkpoint.digest = r.string()
    else if (no === 3 && wt === WIRE_BYTES) {
      // CheckpointSummary { Timestamp timestamp = 9 }
      const summaryEnd = r.delimited()
      const summary = {} as GrpcTypes.CheckpointSummary
      r.fields(summaryEnd, (n, w) => (n === 9 && w === WIRE_BYTES ? (summary.timestamp = readTimestamp(r, r.delimited())) : r.skip(w)))
      checkpoint.summary = summary
    } else if (no === 6 && wt === WIRE_BYTES) {
      const txEnd = r.delimited()
      const tx = {signatures: [], balanceChanges: []} as unknown as GrpcTypes.ExecutedTransaction
      try {
        readExecutedTransaction(r, txEnd, tx)
        transactionErrors.push(undefined)
      } catch (error) {
        // The transaction's extent is known, so the checkpoint goes on after it.
        if (!(error instanceof WireError)) throw error
        transactionErrors.push(`malformed transaction bytes: ${error.message}`)
        r.pos = txEnd
      }
      checkpoint.transactions.push(tx)
    } else r.skip(wt)
  })
  return {checkpoint, transactionErrors}
}

// Timestamp { int64 seconds = 1; int32 nanos = 2 }
function readTimestamp(r: WireReader, end: number): {seconds: bigint; nanos: number} {
  let seconds = 0
  let nanos = 0
  r.fields(end, (no, wt) => {
    if (no === 1 && wt === WIRE_VARINT) seconds = r.int64()
    else if (no === 2 && wt === WIRE_VARINT) nanos = r.uint() | 0
    else r.skip(wt)
  })
  return {seconds: BigInt(seconds), nanos}
}

// ExecutedTransaction { string digest = 1; Transaction transaction = 2; TransactionEffects
//   effects = 4; TransactionEvents events = 5; uint64 checkpoint = 6; Timestamp timestamp = 7;
//   repeated BalanceChange balance_changes = 8; uint64 transaction_index = 10 }
function readExecutedTransaction(r: WireReader, end: number, tx: GrpcTypes.ExecutedTransaction): void {
  r.fields(end, (no, wt) => {
    if (wt === WIRE_VARINT) {
      if (no === 6) tx.checkpoint = r.uint64()
      else if (no === 10) tx.transactionIndex = r.uint64()
      else r.skip(wt)
      return
    }
    if (wt !== WIRE_BYTES) return r.skip(wt)
    if (no === 1) tx.digest = r.string()
    else if (no === 2) tx.transaction = readTransaction(r, r.delimited())
    else if (no === 4) tx.effects = readEffects(r, r.delimited())
    else if (no === 5) tx.events = readEvents(r, r.delimited())
    else if (no === 7) tx.timestamp = readTimestamp(r, r.delimited())
    else if (no === 8) tx.balanceChanges.push(readBalanceChange(r, r.delimited()))
    else r.skip(wt)
  })
}

// Transaction { TransactionKind kind = 4; string sender = 5; GasPayment gas_payment = 6 }
function readTransaction(r: WireReader, end: number): GrpcTypes.Transaction {
  const t = {} as GrpcTypes.Transaction
  r.fields(end, (no, wt) => {
    if (wt !== WIRE_BYTES) return r.skip(wt)
    if (no === 4) t.kind = readKind(r, r.delimited())
    else if (no === 5) t.sender = r.string()
    else if (no === 6) {
      // GasPayment { string owner = 2 }
      const gasEnd = r.delimited()
      const gas = {objects: []} as unknown as GrpcTypes.GasPayment
      r.fields(gasEnd, (n, w) => (n === 2 && w === WIRE_BYTES ? (gas.owner = r.string()) : r.skip(w)))
      t.gasPayment = gas
    } else r.skip(wt)
  })
  return t
}

// TransactionKind { ProgrammableTransaction programmable_transaction = 2 (oneof data) }
// ProgrammableTransaction { repeated Command commands = 2 }; Command { MoveCall move_call = 1 }
// MoveCall { string package = 1; string module = 2; string function = 3 }
function readKind(r: WireReader, end: number): GrpcTypes.TransactionKind {
  let commands: GrpcTypes.Command[] | undefined
  r.fields(end, (no, wt) => {
    if (no !== 2 || wt !== WIRE_BYTES) return r.skip(wt)
    commands = []
    const ptbEnd = r.delimited()
    r.fields(ptbEnd, (n, w) => {
      if (n !== 2 || w !== WIRE_BYTES) return r.skip(w)
      const commandEnd = r.delimited()
      let command: GrpcTypes.Command['command'] = {oneofKind: undefined}
      r.fields(commandEnd, (c, cw) => {
        if (c !== 1 || cw !== WIRE_BYTES) return r.skip(cw)
        const callEnd = r.delimited()
        const call = {typeArguments: [], arguments: []} as unknown as GrpcTypes.MoveCall
        r.fields(callEnd, (f, fw) => {
          if (fw !== WIRE_BYTES) return r.skip(fw)
          if (f === 1) call.package = r.string()
          else if (f === 2) call.module = r.string()
          else if (f === 3) call.function = r.string()
          else r.skip(fw)
        })
        command = {oneofKind: 'moveCall', moveCall: call}
      })
      commands?.push({command})
    })
  })
  if (commands === undefined) return {data: {oneofKind: undefined}}
  return {data: {oneofKind: 'programmableTransaction', programmableTransaction: {inputs: [], commands}}}
}

// TransactionEffects { ExecutionStatus status = 4; GasCostSummary gas_used = 6 }
// ExecutionStatus { bool success = 1; ExecutionError error = 2 }
// ExecutionError { string description = 1; ExecutionErrorKind kind = 3 }
// GasCostSummary { uint64 computation_cost = 1; uint64 storage_cost = 2; uint64 storage_rebate = 3 }
function readEffects(r: WireReader, end: number): GrpcTypes.TransactionEffects {
  const effects = {} as GrpcTypes.TransactionEffects
  r.fields(end, (no, wt) => {
    if (wt !== WIRE_BYTES) return r.skip(wt)
    if (no === 4) {
      const statusEnd = r.delimited()
      const status = {} as GrpcTypes.ExecutionStatus
      r.fields(statusEnd, (n, w) => {
        if (n === 1 && w === WIRE_VARINT) status.success = r.uint() !== 0
        else if (n === 2 && w === WIRE_BYTES) {
          const errorEnd = r.delimited()
          const error = {errorDetails: {oneofKind: undefined}} as GrpcTypes.ExecutionError
          r.fields(errorEnd, (e, ew) => {
            if (e === 1 && ew === WIRE_BYTES) error.description = r.string()
            else if (e === 3 && ew === WIRE_VARINT) error.kind = r.uint()
            else r.skip(ew)
          })
          status.error = error
        } else r.skip(w)
      })
      effects.status = status
    } else if (no === 6) {
      const gasEnd = r.delimited()
      const gas = {} as GrpcTypes.GasCostSummary
      r.fields(gasEnd, (n, w) => {
        if (w !== WIRE_VARINT) return r.skip(w)
        if (n === 1) gas.computationCost = r.uint64()
        else if (n === 2) gas.storageCost = r.uint64()
        else if (n === 3) gas.storageRebate = r.uint64()
        else r.skip(w)
      })
      effects.gasUsed = gas
    } else r.skip(wt)
  })
  return effects
}

// TransactionEvents { repeated Event events = 3 }
// Event { string sender = 3; string event_type = 4; google.protobuf.Value json = 6 }
function readEvents(r: WireReader, end: number): GrpcTypes.TransactionEvents {
  const events: GrpcTypes.Event[] = []
  r.fields(end, (no, wt) => {
    if (no !== 3 || wt !== WIRE_BYTES) return r.skip(wt)
    const eventEnd = r.delimited()
    const event = {} as GrpcTypes.Event
    r.fields(eventEnd, (n, w) => {
      if (w !== WIRE_BYTES) return r.skip(w)
      if (n === 3) event.sender = r.string()
      else if (n === 4) event.eventType = r.string()
      else if (n === 6) event.json = readValue(r, r.delimited()) as unknown as GrpcTypes.Event['json']
      else r.skip(w)
    })
    events.push(event)
  })
  return {events}
}

// BalanceChange { string address = 1; string coin_type = 2; string amount = 3 }
function readBalanceChange(r: WireReader, end: number): GrpcTypes.BalanceChange {
  const change = {} as GrpcTypes.BalanceChange
  r.fields(end, (no, wt) => {
    if (wt !== WIRE_BYTES) return r.skip(wt)
    if (no === 1) change.address = r.string()
    else if (no === 2) change.coinType = r.string()
    else if (no === 3) change.amount = r.string()
    else r.skip(wt)
  })
  return change
}

// Value { NullValue null_value = 1; double number_value = 2; string string_value = 3;
//         bool bool_value = 4; Struct struct_value = 5; ListValue list_value = 6 }
// Struct { map<string, Value> fields = 1 } (entries: string key = 1; Value value = 2)
// ListValue { repeated Value values = 1 }
function readValue(r: WireReader, end: number): ProtoValue {
  let value: ProtoValue = {kind: {oneofKind: undefined}}
  r.fields(end, (no, wt) => {
    if (no === 1 && wt === WIRE_VARINT) {
      r.uint()
      value = {kind: {oneofKind: 'nullValue', nullValue: 0}}
    } else if (no === 2 && wt === WIRE_FIXED64) value = {kind: {oneofKind: 'numberValue', numberValue: r.double()}}
    else if (no === 3 && wt === WIRE_BYTES) value = {kind: {oneofKind: 'stringValue', stringValue: r.string()}}
    else if (no === 4 && wt === WIRE_VARINT) value = {kind: {oneofKind: 'boolValue', boolValue: r.uint() !== 0}}
    else if (no === 5 && wt === WIRE_BYTES) {
      const structEnd = r.delimited()
      const fields: {[key: string]: ProtoValue} = Object.create(null) as {[key: string]: ProtoValue}
      r.fields(structEnd, (n, w) => {
        if (n !== 1 || w !== WIRE_BYTES) return r.skip(w)
        const entryEnd = r.delimited()
        let key = ''
        let entry: ProtoValue = {kind: {oneofKind: undefined}}
        r.fields(entryEnd, (e, ew) => {
          if (e === 1 && ew === WIRE_BYTES) key = r.string()
          else if (e === 2 && ew === WIRE_BYTES) entry = readValue(r, r.delimited())
          else r.skip(ew)
        })
        fields[key] = entry
      })
      value = {kind: {oneofKind: 'structValue', structValue: {fields}}}
    } else if (no === 6 && wt === WIRE_BYTES) {
      const listEnd = r.delimited()
      const values: ProtoValue[] = []
      r.fields(listEnd, (n, w) => (n === 1 && w === WIRE_BYTES ? values.push(readValue(r, r.delimited())) : r.skip(w)))
      value = {kind: {oneofKind: 'listValue', listValue: {values}}}
    } else r.skip(wt)
  })
  return value
}
