// What the HTTP routes use of the core, as one object the process builds (api-process.ts) and a
// test or the OpenAPI writer may build otherwise. The routes hold no state of their own.
import type {Account} from '../accounts/account-repository.ts'
import type {HistoryPage} from '../accounts/account-history.ts'
import type {BalanceService} from '../balances/balance-service.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'

/** What /readyz reports: each dependency, and whether the process is stopping. */
export interface Readiness {
  readonly ready: boolean
  readonly checks: Readonly<Record<string, 'ok' | 'failing' | 'stopping'>>
}

export interface ApiServices {
  readonly balances: Pick<BalanceService, 'getBalance' | 'addPending' | 'releasePending' | 'getAllBalances'>
  /** The active account named by id, email or (normalized) address. */
  readonly accounts: {find(ref: string): Promise<Account | undefined>}
  readonly history: {page(accountId: string, options: {limit: number; cursor?: string | undefined}): Promise<HistoryPage>}
  readonly tokens: TokenRegistry
  readiness(): Promise<Readiness>
}
