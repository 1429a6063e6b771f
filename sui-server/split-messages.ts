// Replies whose embedded messages come in two occurrences (issue 30): proto3 merges the
// occurrences of a singular embedded message, so a proxy or another implementation of the API may
// legally send ExecutedTransaction{transaction{kind} transaction{sender, gas…}}. A share of the
// transactions in a reply is rewritten so: its `transaction` and its `events` each split over two
// occurrences, the first holding the first half of the message's fields, the second the rest.
// Only the framing changes: the SDK's generated decoder reads the reply as it reads the unsplit
// one (test/sui-server/split-messages.test.ts). Fields keep their order; nothing is added.
import {messageField, wireFields} from './wire.ts'

interface Field {
  no: number
  /** The field's whole encoding: tag, length if any, value. */
  raw: Uint8Array
  /** A length-delimited field's value; undefined for other wire types. */
  body?: Uint8Array
}

/** Where, under a reply of each method, the ExecutedTransactions are: a path of field numbers. */
const TRANSACTION_PATHS: Record<string, readonly number[]> = {
  GetCheckpoint: [1, 6], // GetCheckpointResponse.checkpoint → Checkpoint.transactions
  ListCheckpoints: [1, 6], // ListCheckpointsResponse.checkpoint → …
  SubscribeCheckpoints: [2, 6], // SubscribeCheckpointsResponse.checkpoint → …
  GetTransaction: [1], // GetTransactionResponse.transaction
  BatchGetTransactions: [1, 1], // BatchGetTransactionsResponse.transactions → GetTransactionResult.transaction
}

/** ExecutedTransaction's fields written in two occurrences: transaction = 2, events = 5. */
const SPLIT_FIELDS = new Set([2, 5])

/** Whether this method's replies carry transactions a split can apply to. */
export function splittable(method: string): boolean {
  return method in TRANSACTION_PATHS
}

/** The reply with each transaction split when `pick()` says so; a reply it cannot parse goes out as is. */
export function splitReply(method: string, reply: Uint8Array, pick: () => boolean): Uint8Array {
  const path = TRANSACTION_PATHS[method]
  if (path === undefined) return reply
  try {
    return rewrite(reply, path, (tx) => (pick() ? splitTransaction(tx) : tx))
  } catch {
    return reply
  }
}

/** The ExecutedTransaction with its `transaction` and `events` each in two occurrences. */
export function splitTransaction(tx: Uint8Array): Uint8Array {
  return Buffer.concat(fieldsOf(tx).flatMap((f) => (SPLIT_FIELDS.has(f.no) && f.body !== undefined ? splitField(f.no, f.body) : [f.raw])))
}

/** One embedded message as two occurrences of its field: the first half of its fields, then the rest. */
function splitField(no: number, body: Uint8Array): Uint8Array[] {
  const fields = fieldsOf(body)
  const half = Math.ceil(fields.length / 2)
  return [messageField(no, Buffer.concat(fields.slice(0, half).map((f) => f.raw))), messageField(no, Buffer.concat(fields.slice(half).map((f) => f.raw)))]
}

/** The message with `at` applied to every message found down `path` (each step a field number). */
function rewrite(message: Uint8Array, path: readonly number[], at: (inner: Uint8Array) => Uint8Array): Uint8Array {
  if (path.length === 0) return at(message)
  const [head, ...rest] = path
  return Buffer.concat(fieldsOf(message).map((f) => (f.no === head && f.body !== undefined ? messageField(f.no, rewrite(f.body, rest, at)) : f.raw)))
}

/** The fields of a message, a length-delimited field's body beside its whole encoding. */
function fieldsOf(message: Uint8Array): Field[] {
  return wireFields(message).map((f) => ({no: f.no, raw: f.raw, body: f.wireType === 2 ? (f.value as Uint8Array) : undefined}))
}
