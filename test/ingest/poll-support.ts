// Shared set-up for the poller tests: a local Sui server, a clean database and queue, and the
// environment a `confio poll` child process needs to follow that server.
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {TransactionQueue} from '../../src/queue/transaction-queue.ts'
import {deleteKeysWithPrefix} from '../support/redis-keys.ts'
import {startSuiServer, type SuiTestServer} from '../../sui-server/index.ts'

export const CUSD_PACKAGE = `0x${'c05d'.padStart(64, '0')}`
export const PAY_PACKAGE = `0x${'ba4'.padStart(64, '0')}`
export const CUSD = `${CUSD_PACKAGE}::cusd::CUSD`
export const SUI = '0x2::sui::SUI'
/** Mainnet's USDC, which the traffic generator moves. */
export const USDC = '0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC'

export interface PollWorld {
  sui: SuiTestServer
  db: Database
  queue: TransactionQueue
  env: Record<string, string>
  /** Monitored account. */
  alice: string
  bob: string
  carol: string
}

const TABLES = 'accounts, raw_blockchain_events, ingest_cursors, balances, account_transactions, transaction_processing_log'

/**
 * Share of transactions the server sends with `transaction` and `events` in two occurrences (issue
 * 30): legal proto3, so every poller test also shows the reader merges them. A test may set 0.
 */
export const SPLIT_SHARE = 0.3

export async function pollWorld(serverOptions: Parameters<typeof startSuiServer>[0] = {}): Promise<PollWorld> {
  const db = createDatabase({url: process.env.DATABASE_URL as string})
  await db.raw(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`)
  await clearRedis()
  const sui = await startSuiServer({splitMessages: SPLIT_SHARE, ...serverOptions})
  const {ledger} = sui
  const [alice, bob, carol] = [ledger.createAddress('alice'), ledger.createAddress('bob'), ledger.createAddress('carol')] as [string, string, string]
  for (const who of [alice, bob, carol]) {
    ledger.mint(who, SUI, 100_000_000_000n)
    ledger.mint(who, CUSD, 1_000_000_000n)
  }
  ledger.produceCheckpoint()
  await db('accounts').insert({email: 'alice@test.io', sui_address: alice})
  const env = {
    SUI_GRPC_URL: sui.url,
    SUI_NETWORK: 'localnet',
    CUSD_ADDRESS: CUSD_PACKAGE,
    PAY_ADDRESS: PAY_PACKAGE,
    USDC_COIN_TYPE: USDC,
    LOG_LEVEL: 'info',
  }
  const queue = new TransactionQueue({redisUrl: process.env.REDIS_URL as string, redisPrefix: process.env.REDIS_PREFIX as string})
  return {sui, db, queue, env, alice, bob, carol}
}

export async function closeWorld(world: PollWorld | undefined): Promise<void> {
  if (!world) return
  await world.sui.close()
  await world.queue.close()
  // The server's addresses are the same in every run: leave no account behind for other tests.
  await world.db.raw(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`)
  await world.db.destroy()
}

export async function storedDigests(db: Database): Promise<string[]> {
  const rows: {tx_digest: string}[] = await db('raw_blockchain_events').select('tx_digest').orderBy('id')
  return rows.map((r) => r.tx_digest)
}

export async function cursorOf(db: Database): Promise<bigint | undefined> {
  const row = await db('ingest_cursors').where({name: POLLER_CURSOR}).first()
  return row ? BigInt(row.checkpoint) : undefined
}

/** Deletes this test run's Redis keys (Redis as after a restart that kept nothing). */
export async function clearRedis(): Promise<void> {
  await deleteKeysWithPrefix(process.env.REDIS_URL as string, process.env.REDIS_PREFIX as string)
}
