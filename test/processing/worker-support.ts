// Shared set-up for the worker's end-to-end tests: the local Sui server with the four tokens and
// both contracts, monitored accounts, and helpers that run `confio poll --once` then
// `confio worker --drain` the way an operator would. Every test here uses its own Redis prefix
// (under the run's, so teardown removes it) and removes its own rows.
import {randomBytes} from 'node:crypto'
import {Redis} from 'ioredis'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {heightWindow} from '../../src/chain/reader/height-window.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import type {Logger} from '../../src/logging/logger.ts'
import {ProcessTransactionBatch} from '../../src/processing/process-transaction-batch.ts'
import {TransactionRouter} from '../../src/processing/transaction-router.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {type CliResult, jsonOf, runCli} from '../support/cli.ts'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {TransactionQueue} from '../../src/queue/transaction-queue.ts'

export const SUI = '0x2::sui::SUI'

export interface WorkerWorld {
  sui: SuiTestServer
  db: Database
  redis: Redis
  env: Record<string, string>
  prefix: string
  packages: {cusd: string; confio: string; pay: string; p2p: string; usdc: string; other: string}
  coins: {CUSD: string; CONFIO: string; USDC: string; SUI: string}
  /** address -> accounts.id */
  accounts: Record<string, string>
  close(): Promise<void>
}

export function hexId(): string {
  return `0x${randomBytes(32).toString('hex')}`
}

export async function startWorld(names: string[]): Promise<WorkerWorld> {
  const sui = await startSuiServer()
  const db = createDatabase({url: process.env.DATABASE_URL as string})
  const prefix = `${process.env.REDIS_PREFIX}w${randomBytes(3).toString('hex')}:`
  const redis = new Redis(process.env.REDIS_URL as string)
  const packages = {cusd: hexId(), confio: hexId(), pay: hexId(), p2p: hexId(), usdc: hexId(), other: hexId()}
  const coins = {CUSD: `${packages.cusd}::cusd::CUSD`, CONFIO: `${packages.confio}::confio::CONFIO`, USDC: `${packages.usdc}::usdc::USDC`, SUI}
  const env = {
    SUI_GRPC_URL: sui.url,
    SUI_NETWORK: 'localnet',
    REDIS_PREFIX: prefix,
    CUSD_ADDRESS: packages.cusd,
    CONFIO_ADDRESS: packages.confio,
    PAY_ADDRESS: packages.pay,
    P2P_TRADE_ADDRESS: packages.p2p,
    MONITORED_CONTRACTS: packages.other,
    USDC_COIN_TYPE: coins.USDC,
  }
  // The poller starts at the checkpoint after the current tip. (Before the accounts are added: an
  // account is monitored from the checkpoint after the cursor, and another test's cursor, on
  // another ledger, could be far ahead of this one.)
  await db('ingest_cursors').where({name: POLLER_CURSOR}).delete()
  await db('ingest_cursors').insert({name: POLLER_CURSOR, checkpoint: sui.ledger.checkpointHeight.toString()})
  const accounts: Record<string, string> = {}
  for (const name of names) {
    const address = sui.ledger.createAddress(name)
    const [row] = await db('accounts').insert({email: `${name}-${randomBytes(3).toString('hex')}@worker.test`, sui_address: address, label: name}).returning('id')
    accounts[address] = String(row.id)
  }
  return {
    sui,
    db,
    redis,
    env,
    prefix,
    packages,
    coins,
    accounts,
    async close() {
      const ids = Object.values(accounts)
      await db.raw('TRUNCATE contract_events, pending_balance_changes, account_transactions, transaction_processing_log, raw_blockchain_events')
      await db('balances').whereIn('account_id', ids).delete()
      await db('accounts').whereIn('id', ids).delete()
      await db('ingest_cursors').where({name: POLLER_CURSOR}).delete()
      await db.destroy()
      redis.disconnect()
      await sui.close()
    },
  }
}

/** A world where alice (funded with SUI and cUSD) and bob are monitored, the funding already polled. */
export async function startFundedWorld(): Promise<{w: WorkerWorld; alice: string; bob: string}> {
  const w = await startWorld(['alice', 'bob'])
  const [alice, bob] = Object.keys(w.accounts) as [string, string]
  w.sui.ledger.mint(alice, w.coins.SUI, 50_000_000_000n)
  w.sui.ledger.mint(alice, w.coins.CUSD, 1_000_000_000n)
  await pollOnce(w)
  return {w, alice, bob}
}

/** The chain's balance now: coin objects plus address balance (tests seal before they compare). */
export function chainBalance(world: WorkerWorld, address: string, coinType: string): bigint {
  const {coinBalance, addressBalance} = world.sui.ledger.balance(address, coinType)
  return coinBalance + addressBalance
}

/**
 * Mints SUI and cUSD to every account of the world, then polls and works the funding off, and lets
 * the chain move on past it (settleChain).
 */
export async function fundAll(world: WorkerWorld, amounts: {sui: bigint; cusd: bigint}): Promise<void> {
  for (const address of Object.keys(world.accounts)) {
    world.sui.ledger.mint(address, world.coins.SUI, amounts.sui)
    world.sui.ledger.mint(address, world.coins.CUSD, amounts.cusd)
  }
  await pollOnce(world)
  await drain(world)
  await settleChain(world)
}

/**
 * Seals two empty checkpoints and polls them, as a live chain moves on between a test's steps: a
 * chain value read now has none of the transactions so far in its window (src/chain/reader/height-window.ts),
 * and the poller's cursor is at the tip.
 */
export async function settleChain(world: WorkerWorld): Promise<void> {
  if (world.sui.ledger.pendingTransactions.length > 0) throw new Error('settleChain seals empty checkpoints; poll the pending transactions first')
  world.sui.ledger.produceCheckpoint()
  await pollOnce(world)
}

/**
 * Gives each account's SUI and cUSD balance a base: the chain's value now, as a chain read at the tip
 * would, with the window such a read proves (one checkpoint either side of the tip). The chain
 * moves two checkpoints before it, so the last changes are behind the window, and two after, so
 * the transactions a test makes next land after it: a change inside it would make the row stale.
 */
export async function anchorBalances(world: WorkerWorld): Promise<void> {
  const store = new PostgresBalanceStore(world.db)
  moveOn(world)
  const tip = world.sui.ledger.checkpointHeight
  for (const address of Object.keys(world.accounts)) {
    for (const [token, coinType] of [['SUI', world.coins.SUI], ['CUSD', world.coins.CUSD]] as const) {
      await store.writeFromChain({accountId: world.accounts[address]!, token}, {total: chainBalance(world, address, coinType), checkpoint: tip, window: heightWindow(tip, tip)})
    }
  }
  moveOn(world)
}

/**
 * Seals two empty checkpoints, as a live chain does between a test's steps: a chain value read
 * after them has no change of the last transactions in its window (src/chain/reader/height-window.ts).
 */
export function moveOn(world: WorkerWorld): void {
  if (world.sui.ledger.pendingTransactions.length > 0) throw new Error('moveOn seals empty checkpoints; seal the pending transactions first')
  world.sui.ledger.produceCheckpoint()
  world.sui.ledger.produceCheckpoint()
}

export function addressOf(world: WorkerWorld, name: string): string {
  return world.sui.ledger.createAddress(name)
}

/** Seals a checkpoint and runs `confio poll --once`: the transactions so far are stored and queued. */
export async function pollOnce(world: WorkerWorld): Promise<void> {
  world.sui.ledger.produceCheckpoint()
  const result = await runCli(['poll', '--once', '--mode', 'poll', '--json'], {env: world.env})
  if (result.code !== 0) throw new Error(`poll failed (${result.code}):\n${result.stdout}\n${result.stderr}`)
}

export interface WorkerRun {
  result: CliResult
  json: Record<string, unknown>
}

export async function drain(world: WorkerWorld, args: string[] = []): Promise<WorkerRun> {
  const result = await runCli(['worker', '--drain', '--json', '--stall-interval', '1s', ...args], {env: world.env})
  if (result.code !== 0) throw new Error(`worker failed (${result.code}):\n${result.stdout}\n${result.stderr}`)
  return {result, json: jsonOf(result)}
}

/** The worker's batch processor for this world (SUI and cUSD registered), for in-process tests. */
export function batchProcessor(w: WorkerWorld, logger: Logger, onBalancesChanged?: () => void): ProcessTransactionBatch {
  return new ProcessTransactionBatch({
    db: w.db,
    ...(onBalancesChanged ? {onBalancesChanged} : {}),
    router: new TransactionRouter({
      tokens: new TokenRegistry([
        {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
        {symbol: 'CUSD', coinType: w.coins.CUSD, decimals: 6},
      ]),
      contracts: {pay: undefined, p2pTrade: undefined, monitored: [w.packages.cusd]},
    }),
    policy: {maxAttempts: 3, retryDelayMs: 1_000, stallLimit: 3},
    logger,
  })
}

/** Queues jobs directly, as the poller or the outbox would. */
export async function enqueue(world: WorkerWorld, digests: string[]): Promise<void> {
  const queue = new TransactionQueue({redisUrl: process.env.REDIS_URL as string, redisPrefix: world.prefix})
  try {
    await queue.ready()
    const {failed} = await queue.enqueue(digests)
    if (failed.length > 0) throw new Error(`enqueue failed: ${JSON.stringify(failed)}`)
  } finally {
    await queue.close()
  }
}

export async function historyOf(db: Database, digest: string) {
  const rows: {account_id: string; token: string; direction: string; amount: string; counterparty: string | null}[] = await db('account_transactions')
    .select('account_id', 'token', 'direction', 'amount', 'counterparty')
    .where({tx_digest: digest})
    .orderBy(['account_id', 'token', 'direction'])
  return rows.map((r) => ({...r, account_id: String(r.account_id)}))
}

export async function logOf(db: Database, digest: string) {
  return db('transaction_processing_log').where({tx_digest: digest}).first()
}

/** Makes the worker's write for `digest` fail `times` times (a sequence survives the rollback). */
export async function injectFailures(db: Database, digest: string, times: number): Promise<void> {
  await dropInjectedFailures(db)
  await db.raw(`
    CREATE SEQUENCE worker_test_failures;
    CREATE FUNCTION worker_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.tx_digest = TG_ARGV[0] AND nextval('worker_test_failures') <= TG_ARGV[1]::bigint THEN
        RAISE EXCEPTION 'injected failure for %', NEW.tx_digest;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER worker_test_fail BEFORE UPDATE ON raw_blockchain_events
      FOR EACH ROW EXECUTE FUNCTION worker_test_fail('${digest}', '${times}');
  `)
}

export async function dropInjectedFailures(db: Database): Promise<void> {
  await db.raw(`
    DROP TRIGGER IF EXISTS worker_test_fail ON raw_blockchain_events;
    DROP FUNCTION IF EXISTS worker_test_fail();
    DROP SEQUENCE IF EXISTS worker_test_failures;
  `)
}
