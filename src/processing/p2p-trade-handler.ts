// P2P_TRADE contract events (module `p2p_trade`): the escrow life cycle of a trade, from
// TradeCreated (seller's funds locked) to TradeCompleted, TradeCancelled, TradeExpired or a
// resolved dispute. trade_id is the id the wallet's backend generated; fiat details live there.
// Field lists follow the Sui Move source of the module (caesar4321/Confio,
// contracts/p2p_trade/sources/p2p_trade.move, the `sui::` version); the on-chain package may
// differ, and an event that does not match is kept untyped with the reason, never dropped.
import type {EventSchema} from './contract-event-fields.ts'
import {type ContractEventHandler, contractEventHandler} from './contract-event-handler.ts'

export const P2P_TRADE_MODULE = 'p2p_trade'

export const P2P_TRADE_EVENTS: Readonly<Record<string, EventSchema>> = {
  TradeCreated: {trade_id: 'bytes', seller: 'address', amount: 'u64', token_type: 'bytes', fiat_amount: 'u64', fiat_currency: 'bytes', expires_at: 'u64', timestamp: 'u64'},
  TradeAccepted: {trade_id: 'bytes', buyer: 'address', timestamp: 'u64'},
  TradeCompleted: {trade_id: 'bytes', seller: 'address', buyer: 'address', amount: 'u64', token_type: 'bytes', timestamp: 'u64'},
  TradeCancelled: {trade_id: 'bytes', cancelled_by: 'address', reason: 'bytes', timestamp: 'u64'},
  DisputeOpened: {trade_id: 'bytes', opened_by: 'address', reason: 'bytes', timestamp: 'u64'},
  DisputeResolved: {trade_id: 'bytes', resolved_by: 'address', winner: 'address', timestamp: 'u64'},
  TradeExpired: {trade_id: 'bytes', timestamp: 'u64'},
}

export function p2pTradeHandler(p2pTradePackage: string): ContractEventHandler {
  return contractEventHandler('p2p-trade', p2pTradePackage, P2P_TRADE_MODULE, P2P_TRADE_EVENTS)
}
