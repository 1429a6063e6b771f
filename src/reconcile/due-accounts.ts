// Which accounts a run reads, and the mark a check leaves: balances.last_blockchain_check, set on
// every balance of the selected tokens of an account the run compared, is what --older-than reads
// next time (an account is due unless every one of those balances was checked since).
import {AccountRepository} from '../accounts/account-repository.ts'
import type {Database} from '../store/database.ts'

export interface SelectedAccount {
  readonly id: string
  readonly address: string
  readonly email: string | null
}

export interface Selection {
  /** Accounts by id, email or address; none: every active account. */
  readonly accounts?: readonly string[]
  /** The selected tokens' symbols. */
  readonly tokens: string[]
  /** Skip accounts whose balances were all checked within this many ms. */
  readonly olderThanMs?: number
}

/** Active accounts (those named, or all), least recently checked first, minus those checked within olderThanMs. */
export async function selectDueAccounts(db: Database, selection: Selection): Promise<SelectedAccount[]> {
  const ids = selection.accounts && selection.accounts.length > 0 ? await idsOf(db, selection.accounts) : undefined
  const cutoff = selection.olderThanMs === undefined ? null : new Date(Date.now() - selection.olderThanMs)
  const {rows} = await db.raw<{rows: {id: string; sui_address: string; email: string | null}[]}>(
    `SELECT a.id::text, a.sui_address, a.email
     FROM accounts a
     LEFT JOIN LATERAL (
       SELECT count(*) FILTER (WHERE b.last_blockchain_check >= ?::timestamptz) AS recent, min(b.last_blockchain_check) AS oldest
       FROM balances b WHERE b.account_id = a.id AND b.token = ANY(?::text[])
     ) c ON true
     WHERE a.deleted_at IS NULL ${ids ? 'AND a.id = ANY(?::bigint[])' : ''}
       AND (?::timestamptz IS NULL OR c.recent < ?)
     ORDER BY c.oldest NULLS FIRST, a.id`,
    [cutoff, selection.tokens, ...(ids ? [ids] : []), cutoff, selection.tokens.length],
  )
  return rows.map((r) => ({id: r.id, address: r.sui_address, email: r.email}))
}

/** The accounts named by id, email or address, in order; a name no active account has is a usage error. */
async function idsOf(db: Database, refs: readonly string[]): Promise<string[]> {
  const repository = new AccountRepository(db)
  const ids: string[] = []
  for (const ref of refs) ids.push((await repository.named(ref, '--account')).id)
  return ids
}

/** The accounts compared: their balances of the selected tokens were checked now. */
export async function markChecked(db: Database, accountIds: string[], tokens: string[]): Promise<void> {
  await db.raw('UPDATE balances SET last_blockchain_check = now() WHERE account_id = ANY(?::bigint[]) AND token = ANY(?::text[])', [accountIds, tokens])
}
