// One contract's events: every event of (package, module) becomes a contract_events row. Names
// with a known schema get typed fields; any other name is stored generically (raw JSON), so an
// event added by a contract upgrade is kept from day one and can be re-parsed later.
import type {EventRecord} from '../chain/index.ts'
import {addressesIn, type EventSchema, parseFields} from './contract-event-fields.ts'
import type {EventTypeParts} from './event-type.ts'
import type {KnownAccounts} from './processable-transaction.ts'
import type {ContractEventRow} from './transaction-effects.ts'

export interface ContractEventHandler {
  /** Written to transaction_processing_log.handler. */
  readonly name: string
  readonly package: string
  readonly module: string
  toRow(event: EventRecord, eventSeq: number, type: EventTypeParts, accounts: KnownAccounts): ContractEventRow
}

export function contractEventHandler(name: string, pkg: string, module: string, schemas: Readonly<Record<string, EventSchema>>): ContractEventHandler {
  return {
    name,
    package: pkg,
    module,
    toRow(event, eventSeq, type, accounts) {
      const schema = Object.hasOwn(schemas, type.name) ? schemas[type.name] : undefined
      const parsed = schema ? parseFields(event.json, schema) : undefined
      const named = parsed?.ok ? parsed.addresses : addressesIn(event.json)
      const accountIds = [...new Set(named.map((a) => accounts.get(a)).filter((id): id is string => id !== undefined))]
      return {
        eventSeq,
        package: type.package,
        module: type.module,
        eventName: type.name,
        eventType: event.type,
        fields: parsed?.ok ? parsed.fields : event.json,
        typed: parsed?.ok ?? false,
        parseError: parsed && !parsed.ok ? parsed.error : null,
        accountIds,
        sender: event.sender || null,
      }
    },
  }
}
