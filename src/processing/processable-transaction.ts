// A stored raw event as the workers read it: the poller's columns turned back into typed values
// (amounts and checkpoints bigint, never a JS number), plus the monitored accounts it mentions.
import type {EventRecord, JsonValue, MoveCallRecord} from '../chain/index.ts'

export interface ProcessableBalanceChange {
  readonly address: string
  readonly coinType: string
  /** Signed: negative when the address lost funds. */
  readonly amount: bigint
}

export interface ProcessableTransaction {
  readonly digest: string
  readonly checkpoint: bigint
  readonly timestampMs: bigint | null
  readonly sender: string | null
  /** null only for rows the poller could not decode (parseError is then set). */
  readonly success: boolean | null
  readonly executionError: string | null
  readonly moveCalls: readonly MoveCallRecord[]
  readonly events: readonly EventRecord[]
  readonly balanceChanges: readonly ProcessableBalanceChange[]
  /** computation + storage − rebate, paid by gasOwner in SUI; negative when the rebate is larger. */
  readonly gasUsed: bigint
  readonly gasOwner: string | null
  readonly parseError: string | null
  /** Set once a worker has committed this transaction's effects. */
  readonly processedAt: Date | null
}

/** Active (not removed) accounts: address -> accounts.id. Holds at least those named anywhere in the transaction (a worker loads one map per batch). */
export type KnownAccounts = ReadonlyMap<string, string>

export interface RawEventRow {
  tx_digest: string
  checkpoint: string
  timestamp_ms: string | null
  sender: string | null
  success: boolean | null
  execution_error: string | null
  move_calls: MoveCallRecord[]
  events: {type: string; sender: string; json: JsonValue}[]
  balance_changes: {address: string; coinType: string; amount: string}[]
  gas_used: string | null
  gas_owner: string | null
  parse_error: string | null
  processed_at: Date | null
}

export function fromRawEventRow(row: RawEventRow): ProcessableTransaction {
  return {
    digest: row.tx_digest,
    checkpoint: BigInt(row.checkpoint),
    timestampMs: row.timestamp_ms === null ? null : BigInt(row.timestamp_ms),
    sender: row.sender,
    success: row.success,
    executionError: row.execution_error,
    moveCalls: row.move_calls,
    events: row.events,
    balanceChanges: row.balance_changes.map((c) => ({address: c.address, coinType: c.coinType, amount: BigInt(c.amount)})),
    gasUsed: row.gas_used === null ? 0n : BigInt(row.gas_used),
    gasOwner: row.gas_owner,
    parseError: row.parse_error,
    processedAt: row.processed_at,
  }
}
