// Balances trusted in PostgreSQL without a chain: for tests of the cache levels above it, where
// every read is served by memory, Redis or PostgreSQL and the chain is never asked.
import {randomBytes} from 'node:crypto'
import type {CachedBalance} from '../../src/balances/cached-balance.ts'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {heightWindow} from '../../src/chain/reader/height-window.ts'
import {CHAIN_OPTION_DEFAULTS, type ChainReader, openChainReader} from '../../src/chain/index.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import type {Database} from '../../src/store/database.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'

export const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})

export const TOKENS = new TokenRegistry([
  {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
  {symbol: 'CUSD', coinType: `0x${'c'.repeat(64)}::cusd::CUSD`, decimals: 6},
])

/** A chain reader pointed at nothing: a test that expects no chain call fails if one is made. */
export function noChain(): ChainReader {
  return openChainReader({...CHAIN_OPTION_DEFAULTS, url: 'http://127.0.0.1:1', network: 'localnet', maxAttempts: 1})
}

export interface TrustedAccount {
  readonly id: string
  readonly cusd: CachedBalance
  readonly sui: CachedBalance
}

/**
 * A new account whose CUSD and SUI rows are trusted (read "from the chain" at checkpoint 40), each
 * write with its outbox row as every write has; its id is pushed to `ids` for the cleanup.
 */
export async function trustedAccount(db: Database, ids: string[]): Promise<TrustedAccount> {
  const postgres = new PostgresBalanceStore(db)
  const [row] = await db('accounts').insert({sui_address: `0x${randomBytes(32).toString('hex')}`, label: 'trusted-balances'}).returning('id')
  const id = String(row.id)
  ids.push(id)
  const at40 = (total: bigint) => ({total, checkpoint: 40n, window: heightWindow(40n, 40n)})
  const cusd = (await postgres.writeFromChain({accountId: id, token: 'CUSD'}, at40(1_250_000n))).balance
  const sui = (await postgres.writeFromChain({accountId: id, token: 'SUI'}, at40(7_000_000_000n))).balance
  return {id, cusd, sui}
}

/** Removes the accounts and every row of theirs. */
export async function removeAccounts(db: Database, ids: readonly string[]): Promise<void> {
  await db('balance_cache_outbox').whereIn('account_id', ids).delete()
  await db('balances').whereIn('account_id', ids).delete()
  await db('accounts').whereIn('id', ids).delete()
}
