// Token transfers, one handler for every registered token (SUI, cUSD, CONFIO, USDC, and any added
// in the config file). It reads the transaction's balance changes, which Sui reports once per
// (address, coin type) as a signed net amount, and writes account_transactions for the known
// accounts among them.
//
// Rules:
// - Only registered tokens (exact coin type from the registry) and known, active accounts count.
// - Fee: the gas owner (the sponsor when sponsored, else the sender) pays gas_used in SUI, and its
//   SUI balance change already includes it: change = −transfer − gas_used. When the gas owner is
//   a known account and gas_used > 0 it gets a `fee` row of gas_used; the rest of its SUI change
//   (change + gas_used) is treated like any other change: below zero a `sent` row, above zero a
//   `received` row, zero no row. A net rebate (gas_used ≤ 0) is not a fee: no fee row, and the
//   same formula leaves the transfer part exact.
// - Failed transaction: the chain reverted everything but the gas payment, so only the fee row is
//   written (any other change it lists is ignored) and only the gas owner's SUI balance is touched.
// - Direction: sent when the transfer part is negative, received when positive; amount is its
//   absolute value in base units.
// - Counterparty: the other side is every address (known or not) whose transfer part of the same
//   token has the opposite sign. Exactly one such address is the counterparty; none or several
//   (a split payment, a swap, a fee collector taking a cut) leave it null.
// - Every (known account, token) with a non-zero balance change, gas included, gives a balance
//   change of the chain's own net amount: the worker adds it to a balance kept exact
//   (src/balances/), or marks the balance stale.
import {SUI_COIN_TYPE} from '../sui/identifiers.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import type {KnownAccounts, ProcessableTransaction} from './processable-transaction.ts'
import type {AccountTransactionRow, BalanceDelta, TransactionEffects} from './transaction-effects.ts'

export const TOKEN_TRANSFER_HANDLER = 'token-transfer'

interface TokenChange {
  readonly address: string
  readonly token: string
  /** The whole balance change, gas included. */
  readonly total: bigint
  /** The change without the gas payment: what moved to or from others. */
  readonly transfer: bigint
}

export class TokenTransferHandler {
  readonly name = TOKEN_TRANSFER_HANDLER
  private readonly tokens: TokenRegistry

  constructor(tokens: TokenRegistry) {
    this.tokens = tokens
  }

  /** True when a balance change of this coin type is this handler's (exact registry match). */
  handles(coinType: string): boolean {
    return this.tokens.byCoinType(coinType) !== undefined
  }

  handle(tx: ProcessableTransaction, accounts: KnownAccounts): TransactionEffects {
    const changes = this.tokenChanges(tx)
    const rows: AccountTransactionRow[] = []
    const balanceChanges: BalanceDelta[] = []
    const sui = this.tokens.byCoinType(SUI_COIN_TYPE)?.symbol ?? 'SUI'
    const gasOwnerId = tx.gasOwner ? accounts.get(tx.gasOwner) : undefined
    if (gasOwnerId !== undefined && tx.gasUsed > 0n) {
      rows.push({accountId: gasOwnerId, token: sui, direction: 'fee', amount: tx.gasUsed, counterparty: null})
    }
    for (const change of changes) {
      const accountId = accounts.get(change.address)
      if (accountId === undefined) continue
      const paysGas = change.address === tx.gasOwner && change.token === sui
      if (change.total !== 0n && (tx.success === true || paysGas)) balanceChanges.push({accountId, token: change.token, amount: change.total})
      if (tx.success !== true || change.transfer === 0n) continue
      const sent = change.transfer < 0n
      const others = changes.filter((c) => c.token === change.token && c.address !== change.address && (sent ? c.transfer > 0n : c.transfer < 0n))
      rows.push({
        accountId,
        token: change.token,
        direction: sent ? 'sent' : 'received',
        amount: sent ? -change.transfer : change.transfer,
        counterparty: others.length === 1 ? others[0]!.address : null,
      })
    }
    // Gas paid with nothing listed for the gas owner: its other SUI changes offset it exactly, so the
    // balance did not move; the change of 0 still tells the worker this transaction was seen.
    if (gasOwnerId !== undefined && tx.gasUsed !== 0n && !balanceChanges.some((k) => k.accountId === gasOwnerId && k.token === sui)) {
      balanceChanges.push({accountId: gasOwnerId, token: sui, amount: 0n})
    }
    return {accountTransactions: rows, contractEvents: [], balanceChanges}
  }

  /** Registered-token changes, summed per (address, token), with the gas taken out of the gas owner's SUI. */
  private tokenChanges(tx: ProcessableTransaction): TokenChange[] {
    const byKey = new Map<string, {address: string; token: string; total: bigint; coinType: string}>()
    for (const change of tx.balanceChanges) {
      const token = this.tokens.byCoinType(change.coinType)
      if (!token) continue
      const key = `${change.address}|${token.symbol}`
      const entry = byKey.get(key)
      if (entry) entry.total += change.amount
      else byKey.set(key, {address: change.address, token: token.symbol, total: change.amount, coinType: token.coinType})
    }
    return [...byKey.values()].map(({address, token, total, coinType}) => {
      const paysGas = address === tx.gasOwner && coinType === SUI_COIN_TYPE
      const transfer = tx.success !== true ? 0n : paysGas ? total + tx.gasUsed : total
      return {address, token, total, transfer}
    })
  }
}
