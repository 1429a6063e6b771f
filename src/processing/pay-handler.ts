// PAY contract events (module `pay`). Field lists follow the Sui Move source of the pay module
// (caesar4321/Confio, contracts/pay/sources/pay.move): PaymentMade carries the gross amount, the
// 0.9% fee and the net amount the recipient got. The token movements themselves are recorded by
// the token transfer handler from the balance changes.
import type {EventSchema} from './contract-event-fields.ts'
import {type ContractEventHandler, contractEventHandler} from './contract-event-handler.ts'

export const PAY_MODULE = 'pay'

export const PAY_EVENTS: Readonly<Record<string, EventSchema>> = {
  PaymentMade: {payer: 'address', recipient: 'address', amount: 'u64', fee_amount: 'u64', net_amount: 'u64', token_type: 'bytes', payment_id: 'bytes', timestamp: 'u64'},
  FeesWithdrawn: {admin: 'address', recipient: 'address', cusd_amount: 'u64', confio_amount: 'u64', timestamp: 'u64'},
  FeeRecipientUpdated: {old_recipient: 'address', new_recipient: 'address', timestamp: 'u64'},
  SystemPaused: {timestamp: 'u64'},
  SystemUnpaused: {timestamp: 'u64'},
}

export function payHandler(payPackage: string): ContractEventHandler {
  return contractEventHandler('pay', payPackage, PAY_MODULE, PAY_EVENTS)
}
