// The accounts table: the wallet users whose addresses confio monitors. Removal is a soft delete
// (deleted_at), so history rows keep their account; adding a removed address brings it back.
import {UsageError} from '../errors.ts'
import type {Database} from '../store/database.ts'
import {normalizeAddress} from '../sui/identifiers.ts'
import type {AccountInput} from './account-fields.ts'
import {coverageOf, historyGap} from './history-gap.ts'

export interface Account {
  readonly id: string
  readonly email: string | null
  readonly address: string
  readonly label: string | null
  readonly createdAt: string
  readonly deletedAt: string | null
  /** The checkpoint from which every relevant transaction of the account is stored (null: no poller has run yet). */
  readonly monitoredFrom: string | null
  /**
   * Checkpoints of that history not stored yet: the poller fills them (an account added between
   * two of its refreshes) unless the node has pruned them; then confio backfill from a node that has them.
   */
  readonly historyGap: {from: string; to: string} | null
}

interface AccountRow {
  id: string
  email: string | null
  sui_address: string
  label: string | null
  created_at: Date
  deleted_at: Date | null
  monitored_from: string | null
  live_from: string | null
  filled_through: string | null
}

export type AccountSelector = {email: string} | {address: string}

export class AccountRepository {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  async list(options: {includeDeleted?: boolean} = {}): Promise<Account[]> {
    const query = this.db<AccountRow>('accounts').orderBy('id')
    if (!options.includeDeleted) query.whereNull('deleted_at')
    return (await query).map(toAccount)
  }

  async add(input: AccountInput): Promise<Account> {
    return this.db.transaction(async (trx) => {
      await lockAccounts(trx)
      const byAddress = await trx<AccountRow>('accounts').where('sui_address', input.address).first()
      if (byAddress && !byAddress.deleted_at) {
        throw new UsageError(`address ${input.address} is already registered (account ${byAddress.id})`, {remedy: 'remove it first or use another address'})
      }
      const byEmail = await trx<AccountRow>('accounts').where('email', input.email).first()
      if (byEmail && byEmail.id !== byAddress?.id) {
        throw new UsageError(`email ${input.email} already belongs to account ${byEmail.id} (${byEmail.sui_address})`, {remedy: 'use another email'})
      }
      const values = {email: input.email, label: input.label, deleted_at: null}
      const [row] = byAddress
        ? await trx<AccountRow>('accounts').where('id', byAddress.id).update(values).returning('*')
        : await trx<AccountRow>('accounts').insert({...values, sui_address: input.address}).returning('*')
      return toAccount(row as AccountRow)
    })
  }

  /** The active accounts among these (normalized) addresses, by id; a removed or unknown address is not among them. */
  async activeAt(addresses: readonly string[]): Promise<Account[]> {
    const rows = await this.db<AccountRow>('accounts').whereNull('deleted_at').whereIn('sui_address', addresses).orderBy('id')
    return rows.map(toAccount)
  }

  /** The active account an operator or a service names by id, email or Sui address. */
  async find(ref: string): Promise<Account | undefined> {
    const text = ref.trim()
    const query = this.db<AccountRow>('accounts').whereNull('deleted_at')
    if (/^\d{1,19}$/.test(text)) query.where('id', text)
    else if (text.includes('@')) query.where('email', text.toLowerCase())
    else if (/^0x[0-9a-fA-F]{1,64}$/.test(text)) query.where('sui_address', normalizeAddress(text))
    else return undefined
    const row = await query.first()
    return row ? toAccount(row) : undefined
  }

  /** As find, for a flag an operator typed: an account that is not there is a usage error naming the flag. */
  async named(ref: string, flag: string): Promise<Account> {
    const account = await this.find(ref)
    if (!account) throw new UsageError(`${flag} ${ref}: no active account has this id, email or address`, {remedy: 'see confio accounts list'})
    return account
  }

  async remove(selector: AccountSelector): Promise<Account> {
    const column = 'email' in selector ? 'email' : 'sui_address'
    const value = 'email' in selector ? selector.email : selector.address
    // The poller stops storing a removed account's transactions, so its balances can no longer be
    // kept exact: they are marked stale (and Redis told) in the same statement.
    const {rows} = await this.db.raw<{rows: AccountRow[]}>(
      `WITH a AS (UPDATE accounts SET deleted_at = now() WHERE ?? = ? AND deleted_at IS NULL RETURNING *),
      s AS (UPDATE balances b SET is_stale = true, version = b.version + 1 FROM a WHERE b.account_id = a.id AND NOT b.is_stale RETURNING b.account_id, b.token),
      o AS (INSERT INTO balance_cache_outbox (account_id, token) SELECT account_id, token FROM s)
      SELECT * FROM a`,
      [column, value],
    )
    const row = rows[0]
    if (!row) throw new UsageError(`no active account with ${'email' in selector ? 'email' : 'address'} ${value}`, {remedy: 'see confio accounts list'})
    return toAccount(row as AccountRow)
  }
}

/** Adds and imports check-then-write; this keeps two of them from interleaving. */
export async function lockAccounts(trx: Database): Promise<void> {
  await trx.raw('LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE')
}

function toAccount(row: AccountRow): Account {
  return {
    id: String(row.id),
    email: row.email,
    address: row.sui_address,
    label: row.label,
    createdAt: row.created_at.toISOString(),
    deletedAt: row.deleted_at ? row.deleted_at.toISOString() : null,
    monitoredFrom: row.monitored_from,
    historyGap: gapOf(row),
  }
}

function gapOf(row: AccountRow): {from: string; to: string} | null {
  const gap = row.deleted_at === null ? historyGap(coverageOf(row)) : null
  return gap ? {from: gap.from.toString(), to: gap.to.toString()} : null
}
