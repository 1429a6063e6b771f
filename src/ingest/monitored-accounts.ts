// The addresses of the wallet's users (accounts not removed), held in memory by the poller so
// that deciding whether a transaction concerns a user costs a lookup, never a query.
//
// Refreshing reads only the accounts written since the last look, by the id of the transaction
// that wrote them (accounts.changed_xact). Before each read it notes the oldest transaction still
// running (the snapshot's xmin): everything older has committed or aborted and is visible to the
// read, so the next refresh starts there. A slow writer (a long import) is therefore never missed,
// and rows are re-read only while their writer might still have been running.
//
// An account counts from its monitored_from on: a transaction of an earlier checkpoint is not its
// history (so a replay after --reset-cursor stores what the first pass stored). Almost every
// account's monitored_from is behind the poller; the few ahead of it are kept in a small map.
import type {Database} from '../store/database.ts'
import {AddressSet} from './address-set.ts'

// Accounts per page of the initial load: 1.6 MB of address bytes.
const PAGE = 50_000

/**
 * Where the poller stands as a refresh applies its change. The read stage screens ahead of the
 * decide stage: checkpoints from nextToDecide up to nextToScreen were screened with the set as it
 * was, and are decided with the set as it is now.
 */
export interface ReadingPosition {
  readonly nextToScreen: bigint
  readonly nextToDecide: bigint
}

/** The addresses a refresh found added (or back) and removed: what the read stage's screen is told. */
export interface AccountsDelta {
  readonly added: readonly string[]
  readonly removed: readonly string[]
}

/**
 * Hands a refresh's change to the read stage's screen. `applied` is called, synchronously, at the
 * moment the screen takes it (before any checkpoint screened with it goes on to be decided), with
 * where the reading stands then; not at all when the read stage ended first. Resolves after.
 */
export type ScreenChange = (delta: AccountsDelta, applied: (position: ReadingPosition) => void) => Promise<void>

interface ChangedAccount {
  id: string
  sui_address: string
  deleted_at: Date | null
  live_from: string | null
  monitored_from: string | null
}

/** Accounts a refresh found active and not yet live (added, or back after a removal). */
export interface PickedAccount {
  readonly id: string
  readonly address: string
}

export interface AccountsChange {
  readonly added: number
  readonly removed: number
  readonly picked: readonly PickedAccount[]
  /**
   * The next checkpoint to be screened when the change was applied: the picked accounts count from
   * it (one screened before it was screened without them, so their part of it is left to a fill).
   */
  readonly liveFrom: bigint
}

export class MonitoredAccounts {
  private set = new AddressSet()
  /** monitored_from of accounts whose history starts after checkpoints already being decided. */
  private readonly startsAt = new Map<string, bigint>()
  private horizon: string | undefined
  private readonly db: Database
  private readonly pageSize: number

  constructor(db: Database, options: {pageSize?: number} = {}) {
    this.db = db
    this.pageSize = options.pageSize ?? PAGE
  }

  get size(): number {
    return this.set.size
  }

  /** Whether `address` is a monitored account at `checkpoint`. */
  has(address: string, checkpoint: bigint): boolean {
    if (!this.set.has(address)) return false
    const from = this.startsAt.size === 0 ? undefined : this.startsAt.get(address)
    return from === undefined || checkpoint >= from
  }

  /**
   * Whether the address whose text is `text[start..start+66)` is in the set, whatever its
   * monitored_from: what the poller's screen asks on the wire (relevance-screen.ts).
   */
  hasText(text: Uint8Array, start: number): boolean {
    return this.set.hasText(text, start)
  }

  /** Every address in the set, as raw bytes, 32 each: what a screen elsewhere starts from. */
  addressKeys(): Uint8Array {
    return this.set.keyBytes()
  }

  /**
   * Loads every active account, in pages, into a new set that replaces the old one at the end.
   * `start`: the first checkpoint the poller will decide.
   */
  async load(start: bigint): Promise<void> {
    await this.loadSet()
    this.startsAt.clear()
    const ahead: {sui_address: string; monitored_from: string}[] = await this.db('accounts')
      .select('sui_address', 'monitored_from')
      .whereNull('deleted_at')
      .where('monitored_from', '>', start.toString())
    for (const row of ahead) this.startsAt.set(row.sui_address, BigInt(row.monitored_from))
  }

  private async loadSet(): Promise<void> {
    const horizon = await this.currentHorizon()
    // Each page comes as one value, its addresses' raw bytes end to end in no particular order (the
    // schema's CHECK keeps every address 0x + 64 lowercase hex): no row object and no hex parsing
    // per account on this side. Pages by id, all in one snapshot.
    const fresh = await this.db.transaction(
      async (trx) => {
        const [{count}] = (await trx('accounts').whereNull('deleted_at').count('* as count')) as [{count: string}]
        const set = new AddressSet(Number(count))
        let after = '0'
        for (;;) {
          const {rows} = await trx.raw<{rows: {last: string | null; keys: Buffer | null}[]}>(
            `SELECT max(id)::text AS last, string_agg(decode(substr(sui_address, 3), 'hex'), ''::bytea) AS keys
             FROM (SELECT id, sui_address FROM accounts WHERE deleted_at IS NULL AND id > ? ORDER BY id LIMIT ${this.pageSize}) AS page`,
            [after],
          )
          const {last, keys} = rows[0]!
          if (last === null || keys === null) return set
          set.addKeys(keys)
          after = last
        }
      },
      {isolationLevel: 'repeatable read'},
    )
    this.set = fresh
    this.horizon = horizon
  }

  /**
   * Applies the accounts added, removed or brought back since the last look. They reach the read
   * stage's screen through `screen`, and the set here changes at the moment the screen's does
   * (`applied`, with where the reading stands then): the accounts picked up count from the next
   * checkpoint to be screened on (liveFrom). The checkpoints between the next to be decided and
   * that one are decided with the new set already, so an account's own start (its monitored_from;
   * for one new to the set without any, liveFrom, which markLive records as such) is kept wherever
   * it lies after the next to be decided: no transaction before it counts as the account's.
   * Removed accounts no longer count from the next checkpoint to be decided on. Undefined when the
   * read stage ended before the change took effect: nothing changed, and the next look reads it again.
   */
  async refresh(screen: ScreenChange): Promise<AccountsChange | undefined> {
    if (this.horizon === undefined) throw new Error('monitored accounts: refresh before load')
    const horizon = await this.currentHorizon()
    const rows: ChangedAccount[] = await this.db('accounts')
      .select('id', 'sui_address', 'deleted_at', 'live_from', 'monitored_from')
      .whereRaw('changed_xact >= ?::xid8', [this.horizon])
    const delta: AccountsDelta = {
      added: rows.filter((row) => row.deleted_at === null).map((row) => row.sui_address),
      removed: rows.filter((row) => row.deleted_at !== null).map((row) => row.sui_address),
    }
    let change: AccountsChange | undefined
    await screen(delta, (position) => {
      change = this.apply(rows, position)
      this.horizon = horizon
    })
    return change
  }

  /** The refresh's rows, applied at `position`: synchronous, so no checkpoint is decided halfway. */
  private apply(rows: readonly ChangedAccount[], {nextToScreen: liveFrom, nextToDecide}: ReadingPosition): AccountsChange {
    let added = 0
    let removed = 0
    const picked: PickedAccount[] = []
    for (const row of rows) {
      if (row.deleted_at !== null) {
        removed += this.set.delete(row.sui_address) ? 1 : 0
        continue
      }
      const isNew = this.set.add(row.sui_address)
      added += isNew ? 1 : 0
      // One new to the set without a monitored_from gets liveFrom as its own (markLive); one already in it was screened all along.
      const from = row.monitored_from !== null ? BigInt(row.monitored_from) : isNew ? liveFrom : undefined
      if (from !== undefined && from > nextToDecide) this.startsAt.set(row.sui_address, from)
      else this.startsAt.delete(row.sui_address)
      if (row.live_from === null) picked.push({id: String(row.id), address: row.sui_address})
    }
    return {added, removed, picked, liveFrom}
  }

  /** The oldest transaction id that may still be running; all older ones are settled. */
  private async currentHorizon(): Promise<string> {
    const {rows} = await this.db.raw<{rows: {horizon: string}[]}>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon')
    return rows[0]!.horizon
  }
}
