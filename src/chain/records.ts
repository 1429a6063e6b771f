// The plain records confio works with, decoded once from the chain's protobuf messages at the
// edge of this layer. Amounts, sequence numbers, versions and epochs are bigint; addresses and
// package ids are 0x + 64 lowercase hex; coin and event types are normalized struct tags
// (src/sui/identifiers.ts). No protobuf type appears past this file's consumers.
import type {HeightWindow} from './reader/height-window.ts'

export interface ServiceInfo {
  /** Digest of the genesis checkpoint, e.g. `35834a8a` for mainnet (first 4 bytes, hex). */
  chainId: string
  /** The node's own name for its chain ('mainnet', 'testnet', …); informative only. */
  chain: string
  epoch: bigint
  checkpointHeight: bigint
  /** Older checkpoints have been pruned: asking for them answers NOT_FOUND. */
  lowestAvailableCheckpoint: bigint
  serverVersion: string
  /** Timestamp of the checkpoint at `checkpointHeight`, ms since the epoch. */
  timestampMs: number
}

export interface MoveCallRecord {
  package: string
  module: string
  function: string
}

/**
 * An event as a checkpoint read carries it: which struct was emitted, and by whom. Enough to
 * decide relevance (the type names the package); the contents are left out of the read mask
 * because rendering them is most of a checkpoint's bytes and of its decoding time (sui.md).
 */
export interface EventSummary {
  type: string
  sender: string
}

/**
 * An event with its contents: what `ChainReader.transactionDetails`, `execute` and `simulate`
 * return, and what raw_blockchain_events stores.
 */
export interface EventRecord extends EventSummary {
  /** The event's Move value as JSON, as the node renders it (u64 and larger come as strings). */
  json: JsonValue
}

export interface BalanceChangeRecord {
  address: string
  coinType: string
  /** Signed: negative when the address lost funds. */
  amount: bigint
}

export type EffectsStatus = {success: true} | {success: false; error: string}

/**
 * One executed transaction. `Event` says how much of its events was read: a checkpoint read
 * (`checkpoint`, `checkpoints`, `subscribe`) gives `EventSummary` (no JSON), a details read
 * (`transactionDetails`) gives `EventRecord`. The type keeps a summary from being stored as if it
 * were complete.
 */
export interface TransactionRecord<Event extends EventSummary = EventSummary> {
  digest: string
  /**
   * Position in the checkpoint, from 0. A details read takes it from transaction_index, which
   * nodes older than that field leave out: then it is −1 (the checkpoint read knows it).
   */
  index: number
  checkpoint: bigint
  timestampMs: number
  sender: string
  /** The sponsor when the transaction is sponsored, the sender otherwise. */
  gasOwner: string
  /** Move calls of a programmable transaction, in command order; empty for system transactions. */
  moveCalls: MoveCallRecord[]
  events: Event[]
  balanceChanges: BalanceChangeRecord[]
  status: EffectsStatus
  /** computation + storage − rebate, in MIST; negative when the rebate exceeds the charges. */
  gasUsed: bigint
  /**
   * Set when part of the transaction could not be decoded. The fields that could be decoded are
   * kept; the rest hold empty values. The poller stores the record and goes on.
   */
  parseError?: string
}

/** A transaction with its events' contents, as `ChainReader.transactionDetails` returns it. */
export type TransactionDetails = TransactionRecord<EventRecord>

/**
 * What a checkpoint read leaves out of a transaction, as `ChainReader.eventContents` returns it:
 * its events' contents, in the transaction's order.
 */
export interface EventContents {
  digest: string
  checkpoint: bigint
  /** One per event, at its position: its type (to match it with the summary's; '' where it did not decode) and its JSON. */
  events: Array<{type: string; json: JsonValue}>
  /** Set when an event's type could not be decoded; the event keeps its place. */
  parseError?: string
}

/** A checkpoint as read for relevance: every transaction, events without their contents. */
export interface CheckpointRecord {
  sequenceNumber: bigint
  digest: string
  timestampMs: number
  transactions: TransactionRecord[]
  /** Never screened: a screened checkpoint, which lacks transactions, cannot pass for this. */
  screened?: false
}

/**
 * A checkpoint read through a TransactionScreen (transaction-screen.ts): only the transactions
 * that may matter to the screen's owner are decoded, each with its `index` in the checkpoint.
 */
export interface ScreenedCheckpointRecord {
  sequenceNumber: bigint
  digest: string
  timestampMs: number
  screened: true
  /** Every transaction of the checkpoint, decoded or passed over. */
  transactionCount: number
  /** The transactions the screen let through, in order. */
  transactions: TransactionRecord[]
}

/** A checkpoint as the poller decides it: whole, or screened. */
export type CheckpointView = CheckpointRecord | ScreenedCheckpointRecord

export interface BalanceRecord {
  coinType: string
  /** coinBalance + addressBalance. */
  total: bigint
  /** Held in `Coin<T>` objects. */
  coinBalance: bigint
  /** Held in the address balance (SIP-58), outside any coin object. */
  addressBalance: bigint
  /**
   * The x-sui-checkpoint-height the node sent with the reply that carried it: the height the node
   * names, not a promise. What the value is as of is `window` (height-window.ts).
   */
  checkpoint: bigint
  /** The checkpoints whose balance changes the value may or may not hold. */
  window: HeightWindow
}

/** Every coin type an owner holds, as one ListBalances (all its pages) answered. */
export interface BalanceListing {
  /** Each with its own page's header; every window spans all the pages' (read at different moments). */
  balances: BalanceRecord[]
  /** The highest header of its pages. */
  checkpoint: bigint
  /** Spans every page's window. */
  window: HeightWindow
}

/** A coin type's metadata (GetCoinInfo): each part absent when the chain holds no CoinMetadata for it. */
export interface CoinInfoRecord {
  coinType: string
  decimals: number | undefined
  symbol: string | undefined
  name: string | undefined
}

export interface CoinRecord {
  objectId: string
  version: bigint
  digest: string
  balance: bigint
}

/** The gas summary's three parts, in MIST; `gasUsed` is computation + storage − rebate. */
export interface GasCostRecord {
  computation: bigint
  storage: bigint
  rebate: bigint
}

export interface ExecutionRecord {
  digest: string
  status: EffectsStatus
  gasUsed: bigint
  /**
   * The parts of `gasUsed`, where the reply carried them (execute and simulate do). A gas budget
   * must cover the computation on its own: the rebate is only credited afterwards.
   */
  gasCost?: GasCostRecord
  events: EventRecord[]
  balanceChanges: BalanceChangeRecord[]
  /** Where execution landed; absent when the node answered before checkpointing (simulation). */
  checkpoint?: bigint
  parseError?: string
}

/**
 * The current epoch as GetEpoch reports it: what building a transaction takes (the reference gas
 * price) and the protocol configuration that limits it.
 */
export interface EpochRecord {
  epoch: bigint
  /** MIST per gas unit; a transaction's gas price must be at least this. */
  referenceGasPrice: bigint
  /** Absent when the node leaves the protocol configuration out of its reply. */
  protocol?: ProtocolConfigRecord
}

export interface ProtocolConfigRecord {
  version: bigint | undefined
  /** Feature flags by name, e.g. `enable_accumulators` (address balances). */
  featureFlags: Readonly<Record<string, boolean>>
  /** Every other setting by name, as text, e.g. `max_input_objects` → "2048". */
  attributes: Readonly<Record<string, string>>
}

/** A transaction as signed by its sender (and sponsor): BCS TransactionData plus signatures. */
export interface SignedTransaction {
  txBytes: Uint8Array
  /** Serialized signatures (flag || sig || pubkey), base64, as wallets produce them. */
  signatures: string[]
}

export type JsonValue = null | boolean | number | string | JsonValue[] | {[key: string]: JsonValue}
