// Decides which handlers a stored transaction goes to. Every decision is an exact comparison of
// normalized values: a balance change's coin type against the token registry, an event's
// (package id, module) against the PAY and P2P_TRADE contracts, a Move call's package against the
// monitored set. Whatever comes from a monitored package and no handler claims is reported as
// unhandled: logged, never failed, so a contract upgrade that adds a module does not stop the
// queue (its events are still in raw_blockchain_events to be replayed once a handler exists).
import type {Contracts} from '../config/config.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import type {ContractEventHandler} from './contract-event-handler.ts'
import {moduleKey, parseEventType} from './event-type.ts'
import {p2pTradeHandler} from './p2p-trade-handler.ts'
import {payHandler} from './pay-handler.ts'
import type {KnownAccounts, ProcessableTransaction} from './processable-transaction.ts'
import {TokenTransferHandler} from './token-transfer-handler.ts'
import type {ContractEventRow, TransactionEffects} from './transaction-effects.ts'

export interface RoutedTransaction {
  /** Names of the handlers that recorded something, in a stable order. */
  readonly handlers: string[]
  readonly effects: TransactionEffects
  /** What came from a monitored package and no handler took: `event <type>` or `call <pkg>::<module>::<fn>`. */
  readonly unhandled: string[]
}

export interface TransactionRouterOptions {
  readonly tokens: TokenRegistry
  readonly contracts: Pick<Contracts, 'pay' | 'p2pTrade' | 'monitored'>
}

export class TransactionRouter {
  private readonly transfers: TokenTransferHandler
  /** (package, module) -> the contract handler for its events. */
  private readonly contractHandlers: ReadonlyMap<string, ContractEventHandler>
  /** Modules whose Move calls a handler accounts for: the contracts' and each token's own module. */
  private readonly claimedModules: ReadonlySet<string>
  private readonly monitored: ReadonlySet<string>
  /** The registered tokens' symbols: the balances a transaction may change. */
  readonly tokenSymbols: readonly string[]

  constructor(options: TransactionRouterOptions) {
    this.transfers = new TokenTransferHandler(options.tokens)
    this.tokenSymbols = options.tokens.list().map((t) => t.symbol)
    const handlers: ContractEventHandler[] = []
    if (options.contracts.pay) handlers.push(payHandler(options.contracts.pay))
    if (options.contracts.p2pTrade) handlers.push(p2pTradeHandler(options.contracts.p2pTrade))
    this.contractHandlers = new Map(handlers.map((h) => [moduleKey(h.package, h.module), h]))
    const tokenModules = options.tokens.list().flatMap((t) => {
      const parts = parseEventType(t.coinType)
      return parts ? [moduleKey(parts.package, parts.module)] : []
    })
    this.claimedModules = new Set([...this.contractHandlers.keys(), ...tokenModules])
    this.monitored = new Set(options.contracts.monitored)
  }

  route(tx: ProcessableTransaction, accounts: KnownAccounts): RoutedTransaction {
    const handlers = new Set<string>()
    const unhandled: string[] = []
    const transfers = this.transfers.handle(tx, accounts)
    if (transfers.accountTransactions.length > 0 || transfers.balanceChanges.length > 0) handlers.add(this.transfers.name)

    const contractEvents: ContractEventRow[] = []
    tx.events.forEach((event, seq) => {
      const type = parseEventType(event.type)
      const handler = type && this.contractHandlers.get(moduleKey(type.package, type.module))
      if (type && handler) {
        contractEvents.push(handler.toRow(event, seq, type, accounts))
        handlers.add(handler.name)
      } else if (!type || this.monitored.has(type.package)) {
        unhandled.push(`event ${event.type}`)
      }
    })
    for (const call of tx.moveCalls) {
      if (this.monitored.has(call.package) && !this.claimedModules.has(moduleKey(call.package, call.module))) {
        unhandled.push(`call ${call.package}::${call.module}::${call.function}`)
      }
    }
    return {
      handlers: [...handlers].sort(),
      effects: {accountTransactions: transfers.accountTransactions, contractEvents, balanceChanges: transfers.balanceChanges},
      unhandled,
    }
  }
}
