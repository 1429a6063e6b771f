// Which account a request names, remembered for a moment. A cached balance read is a memory hit
// in BalanceService (microseconds); asking PostgreSQL which account an id, email or address is was
// most of a request's cost (bench/api.ts: 5,000 requests/s at 32 connections with it, about
// 24,000 without). An account found is
// kept for `ttlMs` (2 s by default), so an account removed with `confio accounts remove` is served
// for that long at most; one not found is never kept, so an account added is served at once.
// Past half its time an entry is looked up again in the background while it is still served: under
// steady traffic no request waits for PostgreSQL.
// Bounded: past `maxEntries`, the oldest entries go first.
import type {Account} from '../accounts/account-repository.ts'

export interface AccountCacheOptions {
  readonly ttlMs?: number
  readonly maxEntries?: number
  /** The clock, in ms (tests move it). */
  readonly now?: () => number
}

export const ACCOUNT_CACHE_TTL_MS = 2_000
const MAX_ENTRIES = 10_000

export class AccountCache {
  readonly #find: (ref: string) => Promise<Account | undefined>
  readonly #ttlMs: number
  readonly #maxEntries: number
  readonly #now: () => number
  readonly #entries = new Map<string, Entry>()

  constructor(find: (ref: string) => Promise<Account | undefined>, options: AccountCacheOptions = {}) {
    this.#find = find
    this.#ttlMs = options.ttlMs ?? ACCOUNT_CACHE_TTL_MS
    this.#maxEntries = options.maxEntries ?? MAX_ENTRIES
    this.#now = options.now ?? Date.now
  }

  async find(ref: string): Promise<Account | undefined> {
    const now = this.#now()
    const entry = this.#entries.get(ref)
    if (entry !== undefined && entry.until > now) {
      if (!entry.refreshing && entry.until - now < this.#ttlMs / 2) this.#refresh(ref, entry)
      return entry.account
    }
    return this.#lookUp(ref)
  }

  async #lookUp(ref: string): Promise<Account | undefined> {
    const now = this.#now()
    const account = await this.#find(ref)
    this.#entries.delete(ref)
    if (account === undefined) return undefined
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string)
    this.#entries.set(ref, {account, until: now + this.#ttlMs, refreshing: false})
    return account
  }

  /** Looks `ref` up again; a failure leaves the entry to expire at its time (then a request asks, and sees the failure). */
  #refresh(ref: string, entry: Entry): void {
    entry.refreshing = true
    this.#lookUp(ref).catch(() => (entry.refreshing = false))
  }
}

interface Entry {
  readonly account: Account
  readonly until: number
  refreshing: boolean
}
