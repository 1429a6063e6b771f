// BalanceService in-process on the real PostgreSQL and Redis and the local Sui server: every level
// of the read path, the chain-timeout fallback, the critical path, single flight, pending amounts
// and invalidations between services.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {Redis} from 'ioredis'
import {type BalanceService} from '../../src/balances/balance-service.ts'
import {balanceCacheKey} from '../../src/balances/balance-keys.ts'
import {readCacheGeneration} from '../../src/balances/cache-generation.ts'
import {encodeCachedBalance} from '../../src/balances/cached-balance.ts'
import {InvalidationListener} from '../../src/balances/invalidation-listener.ts'
import {openBalanceService, type OpenBalanceService} from '../../src/balances/open-balance-service.ts'
import type {ChainReader} from '../../src/chain/index.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {testReader} from '../chain/chain-test-support.ts'
import {type CaughtUpPipeline, keepPipelineCaughtUp} from '../support/pipeline-marker.ts'

const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})

describe('BalanceService', function () {
  this.timeout(60_000)
  let sui: SuiTestServer
  let db: Database
  let chain: ChainReader
  let opened: OpenBalanceService
  let service: BalanceService
  let prefix: string
  let pipeline: CaughtUpPipeline
  let tokens: TokenRegistry
  let cusd: string
  const accounts: {id: string; address: string; email: string}[] = []

  async function addAccount(name: string): Promise<{id: string; address: string; email: string}> {
    const address = sui.ledger.createAddress(name)
    const email = `${name}-${randomBytes(3).toString('hex')}@balance.test`
    const [row] = await db('accounts').insert({email, sui_address: address, label: name}).returning('id')
    const account = {id: String(row.id), address, email}
    accounts.push(account)
    return account
  }

  async function open(options: {chainTimeoutMs?: number} = {}): Promise<OpenBalanceService> {
    return openBalanceService({databaseUrl: process.env.DATABASE_URL as string, redisUrl: process.env.REDIS_URL as string, redisPrefix: prefix, chain, tokens, logger: silent, ...options})
  }

  before(async () => {
    sui = await startSuiServer()
    db = createDatabase({url: process.env.DATABASE_URL as string})
    prefix = `${process.env.REDIS_PREFIX}b${randomBytes(3).toString('hex')}:`
    cusd = `0x${randomBytes(32).toString('hex')}::cusd::CUSD`
    tokens = new TokenRegistry([
      {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
      {symbol: 'CUSD', coinType: cusd, decimals: 6},
    ])
    // A bucket of its own: each chain read is a GetServiceInfo and a balance read, and the process
    // bucket (3 per second, the public fullnode's) would hold them past the 500 ms timeout.
    chain = testReader(sui.url, {maxAttempts: 1, deadlineMs: 10_000})
    opened = await open({chainTimeoutMs: 500})
    service = opened.service
    pipeline = await keepPipelineCaughtUp(process.env.REDIS_URL as string, prefix)
  })

  after(async () => {
    await pipeline?.stop()
    await opened?.close()
    const ids = accounts.map((a) => a.id)
    await db('balance_cache_outbox').whereIn('account_id', ids).delete()
    await db('pending_balance_changes').whereIn('account_id', ids).delete()
    await db('balances').whereIn('account_id', ids).delete()
    await db('accounts').whereIn('id', ids).delete()
    await db.destroy()
    chain?.close()
    await sui?.close()
  })

  beforeEach(() => sui.faults.reset())

  it('reads through every level: chain, then PostgreSQL, Redis and memory', async () => {
    const alice = await addAccount('alice')
    sui.ledger.mint(alice.address, cusd, 12_500_000n)
    sui.ledger.mint(alice.address, cusd, 500_000n, {addressBalance: true})
    sui.ledger.produceCheckpoint()

    const first = await service.getBalance(alice.email, 'cusd')
    assert.deepEqual([first.source, first.amount, first.isStale, first.checkpoint], ['chain', 13_000_000n, false, sui.ledger.checkpointHeight])
    assert.equal((await service.getBalance(alice.address, 'CUSD')).source, 'memory')

    service.memory.clear()
    assert.deepEqual(await service.getBalance(alice.id, 'CUSD'), {...first, source: 'redis'})

    service.memory.clear()
    await opened.redis.del(balanceCacheKey(prefix, {accountId: alice.id, token: 'CUSD'}))
    assert.deepEqual(await service.getBalance(alice.id, 'CUSD'), {...first, source: 'postgres'})
    assert.equal(sui.faults.calls('GetBalance'), 1, 'one chain call in all')
  })

  it('a slow chain: the last value, marked stale; a balance never known: an error', async () => {
    const bob = await addAccount('bob')
    sui.ledger.mint(bob.address, SUI_COIN_TYPE, 7_000_000_000n)
    sui.ledger.produceCheckpoint()
    const known = await service.getBalance(bob.email, 'SUI')
    sui.faults.latency('GetBalance', 2_000)
    const slow = await service.getBalance(bob.email, 'SUI', {forceRefresh: true})
    assert.deepEqual([slow.isStale, slow.amount, slow.source], [true, known.amount, 'postgres'])
    await assert.rejects(service.getBalance(bob.email, 'CUSD'), /not known and the chain did not answer within 500 ms/)
  })

  it('a stale or base-less row is read from the chain', async () => {
    const carol = await addAccount('carol')
    sui.ledger.mint(carol.address, cusd, 300n)
    sui.ledger.produceCheckpoint()
    await service.getBalance(carol.email, 'CUSD')
    assert.equal(await service.markStale(carol.email, 'CUSD'), 1)
    sui.ledger.mint(carol.address, cusd, 200n)
    sui.ledger.produceCheckpoint()
    const fresh = await service.getBalance(carol.email, 'CUSD')
    assert.deepEqual([fresh.source, fresh.amount, fresh.isStale], ['chain', 500n, false])
  })

  it('verifyCritical: always the chain, never a cache; the value is written back', async () => {
    const dave = await addAccount('dave')
    sui.ledger.mint(dave.address, cusd, 1_000n)
    sui.ledger.produceCheckpoint()
    await service.getBalance(dave.email, 'CUSD')
    // Every cache level says 999 (a tampered row, an old copy in Redis and in memory).
    await db('balances').where({account_id: dave.id, token: 'CUSD'}).update({amount: '999', version: db.raw('version + 1')})
    const tampered = {accountId: dave.id, token: 'CUSD', amount: 999n, pending: 0n, checkpoint: sui.ledger.checkpointHeight, version: 1_000n, stale: false, syncedAtMs: Date.now()}
    await opened.redis.set(balanceCacheKey(prefix, tampered), encodeCachedBalance(tampered, await readCacheGeneration(db)))
    service.memory.set(tampered)
    const calls = sui.faults.calls('GetBalance')
    const critical = await service.getBalance(dave.email, 'CUSD', {verifyCritical: true})
    assert.deepEqual([critical.amount, critical.source, critical.isStale], [1_000n, 'chain', false])
    assert.equal(sui.faults.calls('GetBalance'), calls + 1)
  })

  it('verifyCritical: a chain failure throws, never falls back', async () => {
    const erin = await addAccount('erin')
    sui.ledger.mint(erin.address, cusd, 5n)
    sui.ledger.produceCheckpoint()
    await service.getBalance(erin.email, 'CUSD')
    sui.faults.failRate('GetBalance', 'UNAVAILABLE', 1)
    await assert.rejects(service.getBalance(erin.email, 'CUSD', {verifyCritical: true}), (error: Error) => {
      assert.equal((error as {code?: string}).code, 'BALANCE_UNVERIFIED')
      assert.match(error.message, /cannot verify the CUSD balance of account \d+ on chain/)
      return true
    })
  })

  it('verifyCritical writes the chain value back over a wrong cached one', async () => {
    const [dave] = accounts.filter((a) => a.email.startsWith('dave'))
    const row = await db('balances').where({account_id: dave!.id, token: 'CUSD'}).first()
    assert.equal(row.amount, '1000')
  })

  it('100 concurrent misses for one balance make one chain call', async () => {
    const fay = await addAccount('fay')
    sui.ledger.mint(fay.address, cusd, 42n)
    sui.ledger.produceCheckpoint()
    sui.faults.latency('GetBalance', 100)
    const results = await Promise.all(Array.from({length: 100}, () => service.getBalance(fay.email, 'CUSD')))
    assert.equal(sui.faults.calls('GetBalance'), 1)
    assert.ok(results.every((r) => r.amount === 42n))
  })

  it('pending amounts: available = amount - pending, released when the worker processes the digest', async () => {
    const gus = await addAccount('gus')
    sui.ledger.mint(gus.address, cusd, 1_000n)
    sui.ledger.produceCheckpoint()
    await service.getBalance(gus.email, 'CUSD')
    const afterAdd = await service.addPending(gus.email, 'CUSD', 300n, 'digest-1')
    await service.addPending(gus.email, 'CUSD', 300n, 'digest-1')
    await service.addPending(gus.email, 'CUSD', 50n, 'digest-2')
    const read = await service.getBalance(gus.email, 'CUSD')
    assert.deepEqual([afterAdd.pending, read.amount, read.pending, read.available], [300n, 1_000n, 350n, 650n])
    await assert.rejects(service.addPending(gus.email, 'CUSD', 0n, 'digest-3'), /must be positive/)
  })

  it('getAllBalances: every registered token from one ListBalances, written back', async () => {
    const hal = await addAccount('hal')
    sui.ledger.mint(hal.address, SUI_COIN_TYPE, 9n)
    sui.ledger.produceCheckpoint()
    const all = await service.getAllBalances(hal.email)
    assert.deepEqual(all.map((b) => [b.token, b.amount, b.source]), [['SUI', 9n, 'chain'], ['CUSD', 0n, 'chain']])
    assert.equal(sui.faults.calls('ListBalances'), 1)
    assert.equal(sui.faults.calls('GetBalance'), 0)
    assert.equal((await service.getBalance(hal.email, 'CUSD')).source, 'memory')
  })

  it('an unknown account or token is a usage error', async () => {
    await assert.rejects(service.getBalance('nobody@balance.test', 'CUSD'), (error: Error & {exitCode?: number}) => error.exitCode === 2 && /no active account/.test(error.message))
    await assert.rejects(service.getBalance(accounts[0]!.email, 'DOGE'), (error: Error & {remedy?: string}) => error.message === 'unknown token "DOGE"' && error.remedy === 'use one of SUI, CUSD')
  })

  it('a change made through another service reaches this one\'s memory', async () => {
    const ivy = await addAccount('ivy')
    sui.ledger.mint(ivy.address, cusd, 10n)
    sui.ledger.produceCheckpoint()
    const other = await open()
    const listener = await InvalidationListener.start({redisUrl: process.env.REDIS_URL as string, prefix, onInvalidation: service.onInvalidation, onReconnect: service.onReconnect})
    try {
      await service.getBalance(ivy.email, 'CUSD')
      assert.equal((await service.getBalance(ivy.email, 'CUSD')).source, 'memory')
      await other.service.markStale(ivy.email, 'CUSD')
      const deadline = Date.now() + 5_000
      while (service.memory.get({accountId: ivy.id, token: 'CUSD'}) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      assert.equal(service.memory.get({accountId: ivy.id, token: 'CUSD'}), undefined)
      assert.equal((await service.getBalance(ivy.email, 'CUSD')).source, 'chain')
    } finally {
      await listener.close()
      await other.close()
    }
  })

  it('Redis down: reads fall through to PostgreSQL', async () => {
    const jo = await addAccount('jo')
    sui.ledger.mint(jo.address, cusd, 77n)
    sui.ledger.produceCheckpoint()
    await service.getBalance(jo.email, 'CUSD')
    const broken = new Redis('redis://127.0.0.1:1', {lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0})
    broken.on('error', () => undefined)
    const cut = await openBalanceService({databaseUrl: process.env.DATABASE_URL as string, redis: broken, redisPrefix: prefix, chain, tokens, logger: silent})
    try {
      const read = await cut.service.getBalance(jo.email, 'CUSD')
      // Nor can the pipeline marker be read: nobody can say the pipeline keeps up.
      assert.deepEqual([read.source, read.amount, read.staleReason], ['postgres', 77n, 'pipeline_behind'])
    } finally {
      await cut.close()
    }
  })
})
