// The addresses of the wallet's users (accounts not removed), held in memory by the poller so
// that deciding whether a transaction concerns a user costs a lookup, never a query.
//
// Refreshing reads the accounts changed since the last look (accounts.updated_at), with an
// overlap: updated_at is set when a row is written, and a transaction may commit a while after
// that. Applying a change twice is harmless. A full reload every `fullReloadMs` is the backstop
// for a writer whose transaction stayed open longer than the overlap.
import type {Database} from '../store/database.ts'
import {AddressSet} from './address-set.ts'

export interface MonitoredAccountsOptions {
  /** How far back each refresh looks past the previous one. */
  readonly overlapMs?: number
  readonly fullReloadMs?: number
}

const PAGE = 50_000

export class MonitoredAccounts {
  private set = new AddressSet()
  private since: Date | undefined
  private loadedAt = 0
  private readonly db: Database
  private readonly overlapMs: number
  private readonly fullReloadMs: number

  constructor(db: Database, options: MonitoredAccountsOptions = {}) {
    this.db = db
    this.overlapMs = options.overlapMs ?? 60_000
    this.fullReloadMs = options.fullReloadMs ?? 600_000
  }

  get size(): number {
    return this.set.size
  }

  has(address: string): boolean {
    return this.set.has(address)
  }

  /** Loads every active account, in pages, into a new set that replaces the old one at the end. */
  async load(): Promise<void> {
    const startedAt = await this.databaseNow()
    const [{count}] = (await this.db('accounts').whereNull('deleted_at').count('* as count')) as [{count: string}]
    const fresh = new AddressSet(Number(count))
    let lastId = '0'
    for (;;) {
      const rows: {id: string; sui_address: string}[] = await this.db('accounts').select('id', 'sui_address').whereNull('deleted_at').where('id', '>', lastId).orderBy('id').limit(PAGE)
      for (const row of rows) fresh.add(row.sui_address)
      if (rows.length < PAGE) break
      lastId = rows[rows.length - 1]!.id
    }
    this.set = fresh
    this.since = startedAt
    this.loadedAt = Date.now()
  }

  /** Applies the accounts added, removed or brought back since the last look. */
  async refresh(): Promise<{added: number; removed: number}> {
    if (!this.since || Date.now() - this.loadedAt >= this.fullReloadMs) {
      const before = this.set.size
      await this.load()
      return {added: Math.max(0, this.set.size - before), removed: Math.max(0, before - this.set.size)}
    }
    const startedAt = await this.databaseNow()
    const rows: {sui_address: string; deleted_at: Date | null}[] = await this.db('accounts')
      .select('sui_address', 'deleted_at')
      .where('updated_at', '>', new Date(this.since.getTime() - this.overlapMs))
    let added = 0
    let removed = 0
    for (const row of rows) {
      if (row.deleted_at === null) added += this.set.add(row.sui_address) ? 1 : 0
      else removed += this.set.delete(row.sui_address) ? 1 : 0
    }
    this.since = startedAt
    return {added, removed}
  }

  // The database's clock, not ours: updated_at is written by it.
  private async databaseNow(): Promise<Date> {
    const {rows} = await this.db.raw<{rows: {now: Date}[]}>('SELECT clock_timestamp() AS now')
    return rows[0]!.now
  }
}
