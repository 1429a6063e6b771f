// Read masks: which fields the node fills in. The defaults are tiny (a checkpoint is just its
// sequence number and digest), so every call names what it reads, and no more: decoding is the
// client's main cost when following the chain (sui.md: ~41K transactions/s with the whole
// transaction kind, ~100K/s without it). The kind of a programmable transaction carries every
// input's bytes; confio only needs which Move functions were called, so it asks for the three
// fields of each MoveCall by their nested paths. Paths are snake_case, as in the .proto files.

const MOVE_CALL = 'transaction.kind.programmable_transaction.commands.move_call'

/**
 * Per transaction, what a checkpoint read asks for: exactly what RelevanceFilter looks at
 * (src/ingest/relevance-filter.ts). Events are read by type and sender only: their JSON is
 * ~80% of a 60-transaction checkpoint's bytes and most of its decoding time, and only ~1% of
 * transactions are relevant, so the JSON is fetched for those alone (TRANSACTION_DETAILS_READ_MASK).
 */
const TRANSACTION_SUMMARY_PATHS: readonly string[] = [
  'digest',
  'transaction.sender',
  'transaction.gas_payment.owner',
  // The kind's tag alone (a few bytes): a kind newer than confio is then seen, counted and kept
  // as undecodable (checkpoint-wire.ts), where without it it would read as "no Move calls".
  'transaction.kind.kind',
  `${MOVE_CALL}.package`,
  `${MOVE_CALL}.module`,
  `${MOVE_CALL}.function`,
  // Not `json` nor the BCS `contents`, nor package and module (the type names them).
  'events.events.event_type',
  'events.events.sender',
  'balance_changes',
  'effects.status',
  'effects.gas_used',
]

/** GetCheckpoint, ListCheckpoints and SubscribeCheckpoints: a CheckpointRecord. */
export const CHECKPOINT_READ_MASK: readonly string[] = [
  'sequence_number',
  'digest',
  'summary.timestamp',
  ...TRANSACTION_SUMMARY_PATHS.map((path) => `transactions.${path}`),
]

/**
 * BatchGetTransactions (the request's mask applies to each ExecutedTransaction): a
 * TransactionDetails, i.e. the summary's fields plus each event's JSON, and where the transaction
 * sits (checkpoint, timestamp, transaction_index), which a checkpoint read gets from the checkpoint.
 */
export const TRANSACTION_DETAILS_READ_MASK: readonly string[] = [
  ...TRANSACTION_SUMMARY_PATHS,
  'events.events.json',
  'checkpoint',
  'timestamp',
  'transaction_index',
]

/**
 * BatchGetTransactions for what a checkpoint read left out: each event's JSON, with its type to
 * match it to the summary's event at the same position, and the checkpoint to check the node
 * places the transaction where the read found it (EventContents). A tenth of the bytes of
 * TRANSACTION_DETAILS_READ_MASK for a transfer, and no second decoding of its summary.
 */
export const EVENT_CONTENTS_READ_MASK: readonly string[] = ['digest', 'checkpoint', 'events.events.event_type', 'events.events.json']

/** ExecuteTransaction: an ExecutionRecord (the response is an ExecutedTransaction). */
export const EXECUTE_READ_MASK: readonly string[] = [
  'digest',
  'effects.status',
  'effects.gas_used',
  'events.events.event_type',
  'events.events.sender',
  'events.events.json',
  'balance_changes',
  'checkpoint',
]

/** SimulateTransaction: the same, one level down (the response wraps the ExecutedTransaction). */
export const SIMULATE_READ_MASK: readonly string[] = EXECUTE_READ_MASK.filter((path) => path !== 'checkpoint').map((path) => `transaction.${path}`)

/** GetEpoch: an EpochRecord (the protocol configuration is a few hundred named values). */
export const EPOCH_READ_MASK: readonly string[] = ['epoch', 'reference_gas_price', 'protocol_config']

/** ListOwnedObjects for coins: a CoinRecord. */
export const COIN_READ_MASK: readonly string[] = ['object_id', 'version', 'digest', 'balance']

/** Builds the FieldMask message from a list of paths (a fresh array: the SDK may keep it). */
export function fieldMask(paths: readonly string[]): {paths: string[]} {
  return {paths: [...paths]}
}
