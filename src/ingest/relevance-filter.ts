// Decides which transactions confio stores. The poller reads every checkpoint once and asks this
// about each transaction, so its cost grows with the chain's traffic, not with the number of users.
//
// A transaction is relevant when it
// - calls a Move function of a monitored package,
// - emits an event whose type belongs to a monitored package,
// - moves a coin type defined by a monitored package (cUSD, CONFIO: every movement, whoever the
//   parties), or
// - has a monitored account as sender, or in a balance change of a registered token, gas alone
//   included: a monitored account that sponsors others' transactions pays their gas from its SUI,
//   and the worker keeps balances exact only from every change the poller stores (a skipped gas
//   payment would leave that SUI balance wrong until the next reconcile).
// A transaction that could not be decoded is kept (stored with its parse error): dropping it
// could drop a transfer.
import type {TransactionRecord} from '../chain/index.ts'
import {SUI_COIN_TYPE} from '../sui/identifiers.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'

export type RelevanceReason = 'move-call' | 'event' | 'contract-coin' | 'account-sender' | 'account-balance' | 'account-gas' | 'parse-error'

/** The reasons that name a monitored account: what a history fill looks for. */
export const ACCOUNT_REASONS: ReadonlySet<RelevanceReason> = new Set(['account-sender', 'account-balance', 'account-gas'])

export interface AddressLookup {
  /** Whether `address` is a monitored account at `checkpoint` (an account counts from its monitored_from). */
  has(address: string, checkpoint: bigint): boolean
}

export interface RelevanceFilterOptions {
  /** Normalized package ids. */
  readonly packages: readonly string[]
  readonly tokens: TokenRegistry
  readonly accounts: AddressLookup
}

// Normalized types start with the 66-character package id.
const packageOf = (type: string) => type.slice(0, 66)

export class RelevanceFilter {
  private readonly packages: ReadonlySet<string>
  private readonly tokens: TokenRegistry
  private readonly accounts: AddressLookup

  constructor(options: RelevanceFilterOptions) {
    this.packages = new Set(options.packages)
    this.tokens = options.tokens
    this.accounts = options.accounts
  }

  /** Why the transaction is relevant; empty when it is not. */
  reasons(tx: TransactionRecord): RelevanceReason[] {
    // Asked for every transaction of the chain: plain loops, no arrays built on the way.
    const reasons: RelevanceReason[] = []
    if (tx.parseError !== undefined) reasons.push('parse-error')
    if (this.callsPackage(tx)) reasons.push('move-call')
    if (this.emitsPackageEvent(tx)) reasons.push('event')
    if (this.movesContractCoin(tx)) reasons.push('contract-coin')
    if (this.accounts.has(tx.sender, tx.checkpoint)) reasons.push('account-sender')
    const accountChange = this.accountChange(tx)
    if (accountChange !== undefined) reasons.push(accountChange)
    return reasons
  }

  private callsPackage(tx: TransactionRecord): boolean {
    for (const call of tx.moveCalls) if (this.packages.has(call.package)) return true
    return false
  }

  private emitsPackageEvent(tx: TransactionRecord): boolean {
    for (const event of tx.events) if (this.packages.has(packageOf(event.type))) return true
    return false
  }

  private movesContractCoin(tx: TransactionRecord): boolean {
    for (const change of tx.balanceChanges) if (this.packages.has(packageOf(change.coinType))) return true
    return false
  }

  /** A monitored account's change of a registered token: gas alone, or more. */
  private accountChange(tx: TransactionRecord): 'account-balance' | 'account-gas' | undefined {
    let gas = false
    for (const change of tx.balanceChanges) {
      if (!this.accounts.has(change.address, tx.checkpoint) || !this.tokens.byCoinType(change.coinType)) continue
      if (!isGasOnly(tx, change)) return 'account-balance'
      gas = true
    }
    return gas ? 'account-gas' : undefined
  }
}

/** The gas owner's SUI change of exactly the gas used: it paid gas and nothing else moved for it. */
function isGasOnly(tx: TransactionRecord, change: TransactionRecord['balanceChanges'][number]): boolean {
  return change.address === tx.gasOwner && change.coinType === SUI_COIN_TYPE && change.amount === -tx.gasUsed
}
