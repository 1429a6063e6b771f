// The few programmable-transaction commands coin management is made of, each as the protocol
// wants it: coins named by their current reference, merges chunked to the per-command argument
// limit, and the framework's address-balance calls (SIP-58).
import type {Transaction, TransactionObjectArgument} from '@mysten/sui/transactions'
import type {CoinRecord} from '../chain/index.ts'
import {mergeChunk, type ProtocolLimits} from './protocol-limits.ts'

/** A coin as the SDK names an owned object input. */
export function refOf(coin: CoinRecord): {objectId: string; version: string; digest: string} {
  return {objectId: coin.objectId, version: coin.version.toString(), digest: coin.digest}
}

/** MergeCoins in chunks: one command names at most max_arguments − 1 coins besides its destination. */
export function mergeInto(tx: Transaction, destination: TransactionObjectArgument, sources: TransactionObjectArgument[], limits: ProtocolLimits): void {
  const chunk = mergeChunk(limits)
  for (let i = 0; i < sources.length; i += chunk) tx.mergeCoins(destination, sources.slice(i, i + chunk))
}

export function splitOff(tx: Transaction, from: TransactionObjectArgument, amount: bigint): TransactionObjectArgument {
  const [coin] = tx.splitCoins(from, [tx.pure.u64(amount)])
  if (coin === undefined) throw new Error('SplitCoins gave no result')
  return coin
}

/** 0x2::coin::redeem_funds: a Coin<T> of `amount` out of the sender's address balance (a FundsWithdrawal input). */
export function redeem(tx: Transaction, coinType: string, amount: bigint): TransactionObjectArgument {
  return tx.moveCall({target: '0x2::coin::redeem_funds', typeArguments: [coinType], arguments: [tx.withdrawal({amount, type: coinType})]})
}

/** 0x2::coin::send_funds: the coin's balance joins the recipient's address balance; the coin is gone. */
export function sendFunds(tx: Transaction, coinType: string, coin: TransactionObjectArgument, recipient: string): void {
  tx.moveCall({target: '0x2::coin::send_funds', typeArguments: [coinType], arguments: [coin, tx.pure.address(recipient)]})
}
