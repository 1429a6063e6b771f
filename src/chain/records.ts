// The plain records confio works with, decoded once from the chain's protobuf messages at the
// edge of this layer. Amounts, sequence numbers, versions and epochs are bigint; addresses and
// package ids are 0x + 64 lowercase hex; coin and event types are normalized struct tags
// (src/sui/identifiers.ts). No protobuf type appears past this file's consumers.

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

export interface EventRecord {
  type: string
  sender: string
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

export interface TransactionRecord {
  digest: string
  /** Position in the checkpoint, from 0. */
  index: number
  checkpoint: bigint
  timestampMs: number
  sender: string
  /** The sponsor when the transaction is sponsored, the sender otherwise. */
  gasOwner: string
  /** Move calls of a programmable transaction, in command order; empty for system transactions. */
  moveCalls: MoveCallRecord[]
  events: EventRecord[]
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

export interface CheckpointRecord {
  sequenceNumber: bigint
  digest: string
  timestampMs: number
  transactions: TransactionRecord[]
}

export interface BalanceRecord {
  coinType: string
  /** coinBalance + addressBalance. */
  total: bigint
  /** Held in `Coin<T>` objects. */
  coinBalance: bigint
  /** Held in the address balance (SIP-58), outside any coin object. */
  addressBalance: bigint
}

export interface CoinRecord {
  objectId: string
  version: bigint
  digest: string
  balance: bigint
}

export interface ExecutionRecord {
  digest: string
  status: EffectsStatus
  gasUsed: bigint
  events: EventRecord[]
  balanceChanges: BalanceChangeRecord[]
  /** Where execution landed; absent when the node answered before checkpointing (simulation). */
  checkpoint?: bigint
  parseError?: string
}

/** A transaction as signed by its sender (and sponsor): BCS TransactionData plus signatures. */
export interface SignedTransaction {
  txBytes: Uint8Array
  /** Serialized signatures (flag || sig || pubkey), base64, as wallets produce them. */
  signatures: string[]
}

export type JsonValue = null | boolean | number | string | JsonValue[] | {[key: string]: JsonValue}
