// The messages and fields of sui.rpc.v2 (and the google.protobuf / google.rpc messages it uses)
// that confio's wire readers read, by number and wire type. test/chain/checkpoint-wire-descriptors
// .test.ts checks every one against the SDK's own descriptors, so an upstream renumbering fails the
// build, not the poller.
import {FIXED64, LEN, VARINT, wireMessage} from './wire-reader.ts'
import type {WireMessage} from './wire-reader.ts'

export const GET_CHECKPOINT_RESPONSE = wireMessage('sui.rpc.v2.GetCheckpointResponse', {checkpoint: [1, LEN]})
export const LIST_CHECKPOINTS_RESPONSE = wireMessage('sui.rpc.v2.ListCheckpointsResponse', {checkpoint: [1, LEN], end: [3, LEN]})
export const QUERY_END = wireMessage('sui.rpc.v2.QueryEnd', {reason: [1, VARINT]})
export const SUBSCRIBE_CHECKPOINTS_RESPONSE = wireMessage('sui.rpc.v2.SubscribeCheckpointsResponse', {cursor: [1, VARINT], checkpoint: [2, LEN]})
export const BATCH_GET_TRANSACTIONS_RESPONSE = wireMessage('sui.rpc.v2.BatchGetTransactionsResponse', {transactions: [1, LEN]})
export const GET_TRANSACTION_RESULT = wireMessage('sui.rpc.v2.GetTransactionResult', {transaction: [1, LEN], error: [2, LEN]})
export const STATUS = wireMessage('google.rpc.Status', {code: [1, VARINT], message: [2, LEN]})
export const CHECKPOINT = wireMessage('sui.rpc.v2.Checkpoint', {sequence_number: [1, VARINT], digest: [2, LEN], summary: [3, LEN], transactions: [6, LEN]})
export const CHECKPOINT_SUMMARY = wireMessage('sui.rpc.v2.CheckpointSummary', {timestamp: [9, LEN]})
export const TIMESTAMP = wireMessage('google.protobuf.Timestamp', {seconds: [1, VARINT], nanos: [2, VARINT]})
export const EXECUTED_TRANSACTION = wireMessage('sui.rpc.v2.ExecutedTransaction', {
  digest: [1, LEN],
  transaction: [2, LEN],
  effects: [4, LEN],
  events: [5, LEN],
  checkpoint: [6, VARINT],
  timestamp: [7, LEN],
  balance_changes: [8, LEN],
  transaction_index: [10, VARINT],
})
export const TRANSACTION = wireMessage('sui.rpc.v2.Transaction', {kind: [4, LEN], sender: [5, LEN], gas_payment: [6, LEN]})
export const GAS_PAYMENT = wireMessage('sui.rpc.v2.GasPayment', {owner: [2, LEN]})
// Every member of the `data` oneof is listed, read or not, so that a field number outside them is
// a kind this reader does not know. The others have no Move calls of their own.
export const TRANSACTION_KIND = wireMessage('sui.rpc.v2.TransactionKind', {
  kind: [1, VARINT],
  programmable_transaction: [2, LEN],
  change_epoch: [3, LEN],
  genesis: [4, LEN],
  consensus_commit_prologue: [5, LEN],
  authenticator_state_update: [6, LEN],
  end_of_epoch: [7, LEN],
  randomness_state_update: [8, LEN],
})
export const PROGRAMMABLE_TRANSACTION = wireMessage('sui.rpc.v2.ProgrammableTransaction', {commands: [2, LEN]})
// Likewise every member of the `command` oneof: only a MoveCall names a Move function.
export const COMMAND = wireMessage('sui.rpc.v2.Command', {
  move_call: [1, LEN],
  transfer_objects: [2, LEN],
  split_coins: [3, LEN],
  merge_coins: [4, LEN],
  publish: [5, LEN],
  make_move_vector: [6, LEN],
  upgrade: [7, LEN],
})
export const MOVE_CALL = wireMessage('sui.rpc.v2.MoveCall', {package: [1, LEN], module: [2, LEN], function: [3, LEN]})
export const TRANSACTION_EFFECTS = wireMessage('sui.rpc.v2.TransactionEffects', {status: [4, LEN], gas_used: [6, LEN]})
export const EXECUTION_STATUS = wireMessage('sui.rpc.v2.ExecutionStatus', {success: [1, VARINT], error: [2, LEN]})
export const EXECUTION_ERROR = wireMessage('sui.rpc.v2.ExecutionError', {description: [1, LEN], kind: [3, VARINT]})
export const GAS_COST_SUMMARY = wireMessage('sui.rpc.v2.GasCostSummary', {computation_cost: [1, VARINT], storage_cost: [2, VARINT], storage_rebate: [3, VARINT]})
export const TRANSACTION_EVENTS = wireMessage('sui.rpc.v2.TransactionEvents', {events: [3, LEN]})
export const EVENT = wireMessage('sui.rpc.v2.Event', {sender: [3, LEN], event_type: [4, LEN], json: [6, LEN]})
export const BALANCE_CHANGE = wireMessage('sui.rpc.v2.BalanceChange', {address: [1, LEN], coin_type: [2, LEN], amount: [3, LEN]})
export const VALUE = wireMessage('google.protobuf.Value', {
  null_value: [1, VARINT],
  number_value: [2, FIXED64],
  string_value: [3, LEN],
  bool_value: [4, VARINT],
  struct_value: [5, LEN],
  list_value: [6, LEN],
})
export const STRUCT = wireMessage('google.protobuf.Struct', {fields: [1, LEN]})
// How protobuf writes each pair of Struct's map<string, Value> fields.
export const STRUCT_FIELDS_ENTRY = wireMessage('google.protobuf.Struct.FieldsEntry', {key: [1, LEN], value: [2, LEN]})
export const LIST_VALUE = wireMessage('google.protobuf.ListValue', {values: [1, LEN]})

/** Every message and field this reader reads (test/chain/checkpoint-wire-descriptors.test.ts checks them). */
export const WIRE_MESSAGES: readonly WireMessage[] = [
  GET_CHECKPOINT_RESPONSE, LIST_CHECKPOINTS_RESPONSE, QUERY_END, SUBSCRIBE_CHECKPOINTS_RESPONSE, BATCH_GET_TRANSACTIONS_RESPONSE,
  GET_TRANSACTION_RESULT, STATUS, CHECKPOINT, CHECKPOINT_SUMMARY, TIMESTAMP, EXECUTED_TRANSACTION, TRANSACTION, GAS_PAYMENT,
  TRANSACTION_KIND, PROGRAMMABLE_TRANSACTION, COMMAND, MOVE_CALL, TRANSACTION_EFFECTS, EXECUTION_STATUS, EXECUTION_ERROR,
  GAS_COST_SUMMARY, TRANSACTION_EVENTS, EVENT, BALANCE_CHANGE, VALUE, STRUCT, STRUCT_FIELDS_ENTRY, LIST_VALUE,
]

/**
 * TransactionKind.Kind values this reader knows (sui.rpc.v2, @mysten/sui 2.33): each keeps its
 * Move calls, if it has any, in `programmable_transaction`. KIND_UNKNOWN (0) is not among them.
 */
export const KNOWN_TRANSACTION_KINDS: ReadonlyMap<number, string> = new Map([
  [1, 'PROGRAMMABLE_TRANSACTION'],
  [2, 'CHANGE_EPOCH'],
  [3, 'GENESIS'],
  [4, 'CONSENSUS_COMMIT_PROLOGUE_V1'],
  [5, 'AUTHENTICATOR_STATE_UPDATE'],
  [6, 'END_OF_EPOCH'],
  [7, 'RANDOMNESS_STATE_UPDATE'],
  [8, 'CONSENSUS_COMMIT_PROLOGUE_V2'],
  [9, 'CONSENSUS_COMMIT_PROLOGUE_V3'],
  [10, 'CONSENSUS_COMMIT_PROLOGUE_V4'],
  [11, 'PROGRAMMABLE_SYSTEM_TRANSACTION'],
])

