// A BalanceService given a registry (as a wallet service that imports confio gives its own
// prom-client Registry) exposes its reads by level and its chain fallbacks there, counted as the
// reads happen and read at scrape time.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {Registry} from 'prom-client'
import {balanceCacheKey} from '../../src/balances/balance-keys.ts'
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

describe('BalanceService metrics', function () {
  this.timeout(60_000)
  let sui: SuiTestServer | undefined
  let db: Database | undefined
  let chain: ChainReader | undefined
  let opened: OpenBalanceService | undefined
  let pipeline: CaughtUpPipeline | undefined
  let accountId: string | undefined

  after(async () => {
    await pipeline?.stop()
    await opened?.close()
    if (db && accountId) {
      await db('balance_cache_outbox').where({account_id: accountId}).delete()
      await db('balances').where({account_id: accountId}).delete()
      await db('accounts').where({id: accountId}).delete()
    }
    await db?.destroy()
    chain?.close()
    await sui?.close()
  })

  it('counts balances served by level and chain fallbacks into the registry it is given', async () => {
    sui = await startSuiServer()
    db = createDatabase({url: process.env.DATABASE_URL as string})
    const prefix = `${process.env.REDIS_PREFIX}m${randomBytes(3).toString('hex')}:`
    const cusd = `0x${randomBytes(32).toString('hex')}::cusd::CUSD`
    const tokens = new TokenRegistry([
      {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
      {symbol: 'CUSD', coinType: cusd, decimals: 6},
    ])
    chain = testReader(sui.url, {maxAttempts: 1, deadlineMs: 10_000})
    const registry = new Registry()
    opened = await openBalanceService({databaseUrl: process.env.DATABASE_URL as string, redisUrl: process.env.REDIS_URL as string, redisPrefix: prefix, chain, tokens, logger: silent, chainTimeoutMs: 500, metrics: registry})
    pipeline = await keepPipelineCaughtUp(process.env.REDIS_URL as string, prefix)
    const address = sui.ledger.createAddress('mia')
    const [row] = await db('accounts').insert({email: `mia-${randomBytes(3).toString('hex')}@metrics.test`, sui_address: address}).returning('id')
    accountId = String(row.id)
    sui.ledger.mint(address, cusd, 7_000n)
    sui.ledger.produceCheckpoint()
    const {service} = opened
    const scrape = () => registry.metrics()

    assert.match(await scrape(), /^# TYPE confio_balance_reads_total counter$/m)
    assert.equal((await service.getBalance(accountId, 'CUSD')).source, 'chain')
    assert.equal((await service.getBalance(accountId, 'CUSD')).source, 'memory')
    service.memory.clear()
    assert.equal((await service.getBalance(accountId, 'CUSD')).source, 'redis')
    service.memory.clear()
    await opened.redis.del(balanceCacheKey(prefix, {accountId, token: 'CUSD'}))
    assert.equal((await service.getBalance(accountId, 'CUSD')).source, 'postgres')
    // The chain does not answer a forced refresh: the last value, stale, from PostgreSQL.
    sui.faults.failRate('GetBalance', 'UNAVAILABLE', 1)
    const fallback = await service.getBalance(accountId, 'CUSD', {forceRefresh: true})
    assert.deepEqual([fallback.source, fallback.staleReason], ['postgres', 'chain_unavailable'])

    const text = await scrape()
    assert.match(text, /^confio_balance_reads_total\{level="chain"\} 1$/m)
    assert.match(text, /^confio_balance_reads_total\{level="memory"\} 1$/m)
    assert.match(text, /^confio_balance_reads_total\{level="redis"\} 1$/m)
    assert.match(text, /^confio_balance_reads_total\{level="postgres"\} 2$/m)
    assert.match(text, /^confio_balance_chain_fallbacks_total 1$/m)
  })
})
