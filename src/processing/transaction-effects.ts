// What handlers produce: rows to insert and balance changes to apply. Handlers are pure functions of
// the transaction and the known accounts; the job writes their output in one PostgreSQL
// transaction, so a handler never touches the database or Redis itself.
import type {JsonValue} from '../chain/index.ts'
import type {BalanceKey} from '../balances/balance-keys.ts'

export type Direction = 'sent' | 'received' | 'fee'

export interface AccountTransactionRow {
  readonly accountId: string
  readonly token: string
  readonly direction: Direction
  /** Base units, > 0. */
  readonly amount: bigint
  readonly counterparty: string | null
}

export interface ContractEventRow {
  /** Position of the event in its transaction, from 0. */
  readonly eventSeq: number
  readonly package: string
  readonly module: string
  readonly eventName: string
  /** The full type as the chain gave it, type arguments included. */
  readonly eventType: string
  /** Typed fields for known events (addresses normalized, u64 as strings, bytes decoded), else the raw JSON. */
  readonly fields: JsonValue
  readonly typed: boolean
  /** Why a known event could not be parsed with its schema (the contract changed?). */
  readonly parseError: string | null
  readonly accountIds: readonly string[]
  readonly sender: string | null
}

/** A known account's net change of one registered token in one transaction, as the chain reports it. */
export interface BalanceDelta extends BalanceKey {
  /** Signed base units, gas included; 0 when the account paid gas that its other changes offset. */
  readonly amount: bigint
}

export interface TransactionEffects {
  readonly accountTransactions: AccountTransactionRow[]
  readonly contractEvents: ContractEventRow[]
  /** Every (account, token) whose balance this transaction changed, with the change. */
  readonly balanceChanges: BalanceDelta[]
}

export function emptyEffects(): TransactionEffects {
  return {accountTransactions: [], contractEvents: [], balanceChanges: []}
}
