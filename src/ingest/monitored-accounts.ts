// The addresses of the wallet's users (accounts not removed), held in memory by the poller so
// that deciding whether a transaction concerns a user costs a lookup, never a query.
//
// Refreshing reads only the accounts written since the last look, by the id of the transaction
// that wrote them (accounts.changed_xact). Before each read it notes the oldest transaction still
// running (the snapshot's xmin): everything older has committed or aborted and is visible to the
// read, so the next refresh starts there. A slow writer (a long import) is therefore never missed,
// and rows are re-read only while their writer might still have been running.
import type {Database} from '../store/database.ts'
import {AddressSet} from './address-set.ts'

// Pages small enough that loading a million accounts does not leave a large heap behind.
const PAGE = 10_000

export class MonitoredAccounts {
  private set = new AddressSet()
  private horizon: string | undefined
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  get size(): number {
    return this.set.size
  }

  has(address: string): boolean {
    return this.set.has(address)
  }

  /** Loads every active account, in pages, into a new set that replaces the old one at the end. */
  async load(): Promise<void> {
    const horizon = await this.currentHorizon()
    // One server-side cursor: one scan for PostgreSQL, one page at a time for us.
    const fresh = await this.db.transaction(async (trx) => {
      const [{count}] = (await trx('accounts').whereNull('deleted_at').count('* as count')) as [{count: string}]
      const set = new AddressSet(Number(count))
      await trx.raw('DECLARE monitored_accounts NO SCROLL CURSOR FOR SELECT sui_address FROM accounts WHERE deleted_at IS NULL')
      for (;;) {
        const {rows} = await trx.raw<{rows: {sui_address: string}[]}>(`FETCH ${PAGE} FROM monitored_accounts`)
        for (const row of rows) set.add(row.sui_address)
        if (rows.length < PAGE) return set
      }
    })
    this.set = fresh
    this.horizon = horizon
  }

  /** Applies the accounts added, removed or brought back since the last look. */
  async refresh(): Promise<{added: number; removed: number}> {
    if (this.horizon === undefined) {
      await this.load()
      return {added: this.set.size, removed: 0}
    }
    const horizon = await this.currentHorizon()
    const rows: {sui_address: string; deleted_at: Date | null}[] = await this.db('accounts')
      .select('sui_address', 'deleted_at')
      .whereRaw('changed_xact >= ?::xid8', [this.horizon])
    let added = 0
    let removed = 0
    for (const row of rows) {
      if (row.deleted_at === null) added += this.set.add(row.sui_address) ? 1 : 0
      else removed += this.set.delete(row.sui_address) ? 1 : 0
    }
    this.horizon = horizon
    return {added, removed}
  }

  /** The oldest transaction id that may still be running; all older ones are settled. */
  private async currentHorizon(): Promise<string> {
    const {rows} = await this.db.raw<{rows: {horizon: string}[]}>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon')
    return rows[0]!.horizon
  }
}
