// The cache generation: after PostgreSQL is restored (or fails over losing commits) its versions go
// back, and copies Redis kept at higher versions would be served as trusted and never overwritten.
// `confio cache reset` and `confio migrate` move the generation on; a copy of another generation is
// a miss, and a newer generation's write replaces an older one's whatever the versions. On the real
// PostgreSQL and Redis, through the CLI as an operator runs it.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {Redis} from 'ioredis'
import {balanceCacheKey, type BalanceInvalidation} from '../../src/balances/balance-keys.ts'
import {advanceCacheGeneration, CacheGeneration, readCacheGeneration} from '../../src/balances/cache-generation.ts'
import {type CachedBalance, encodeCachedBalance} from '../../src/balances/cached-balance.ts'
import {InvalidationListener} from '../../src/balances/invalidation-listener.ts'
import {openBalanceService, type OpenBalanceService} from '../../src/balances/open-balance-service.ts'
import {RedisBalanceStore} from '../../src/balances/redis-balance-store.ts'
import type {ChainReader} from '../../src/chain/index.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {eventually} from '../support/child-process.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {type CaughtUpPipeline, keepPipelineCaughtUp} from '../support/pipeline-marker.ts'
import {noChain, removeAccounts, silent, TOKENS, trustedAccount} from './trusted-balances.ts'

interface ResetJson {
  previousGeneration: string
  generation: string
  scanned: number
  deleted: number
}

describe('the cache generation', function () {
  this.timeout(60_000)
  let db: Database
  let redis: Redis
  let chain: ChainReader
  let prefix: string
  const accountIds: string[] = []
  const opened: OpenBalanceService[] = []
  const pipelines: CaughtUpPipeline[] = []
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, {env: {REDIS_PREFIX: prefix, ...env}})

  const account = () => trustedAccount(db, accountIds)

  /** What Redis kept from before a restore: a copy of the current generation at a version PostgreSQL no longer has, with another amount. */
  async function copyFromBeforeTheRestore(cusd: CachedBalance): Promise<CachedBalance> {
    const ahead = {...cusd, amount: 9_999_999n, version: cusd.version + 50n}
    await redis.set(balanceCacheKey(prefix, cusd), encodeCachedBalance(ahead, await readCacheGeneration(db)))
    return ahead
  }

  async function open(listen = false): Promise<OpenBalanceService> {
    const service = await openBalanceService({databaseUrl: process.env.DATABASE_URL as string, redisUrl: process.env.REDIS_URL as string, redisPrefix: prefix, chain, tokens: TOKENS, logger: silent, listen})
    opened.push(service)
    pipelines.push(await keepPipelineCaughtUp(process.env.REDIS_URL as string, prefix))
    return service
  }

  before(async () => {
    db = createDatabase({url: process.env.DATABASE_URL as string})
    redis = new Redis(process.env.REDIS_URL as string)
    chain = noChain()
  })

  // Each test counts the keys under its own prefix.
  beforeEach(() => (prefix = `${process.env.REDIS_PREFIX}g${randomBytes(3).toString('hex')}:`))

  afterEach(async () => {
    for (const service of opened.splice(0)) await service.close()
    for (const pipeline of pipelines.splice(0)) await pipeline.stop()
  })

  after(async () => {
    await removeAccounts(db, accountIds)
    await db.destroy()
    redis.disconnect()
    chain.close()
  })

  it('a copy of another generation is a miss; a newer generation replaces an older one whatever the versions, never the other way', async () => {
    const {cusd} = await account()
    const before = new RedisBalanceStore(redis, prefix, await CacheGeneration.read(db))
    assert.equal(await before.setIfNewer({...cusd, version: 100n}), true)
    await advanceCacheGeneration(db)
    const after = new RedisBalanceStore(redis, prefix, await CacheGeneration.read(db))
    assert.ok(after.generation.current > before.generation.current)
    assert.equal(await after.get(cusd), undefined, "the old generation's copy is a miss")
    assert.equal(await after.setIfNewer({...cusd, version: 1n}), true, 'a newer generation at a lower version replaces it')
    assert.equal(await before.setIfNewer({...cusd, version: 200n}), false, 'an older generation never replaces a newer one')
    assert.equal(await before.get(cusd), undefined)
    assert.deepEqual(await after.get(cusd), {...cusd, version: 1n})
    assert.equal(await after.setIfNewer({...cusd, version: 1n}), false)
    assert.equal(await after.setIfNewer({...cusd, version: 2n}), true)
  })

  it('after a restore, `confio cache reset` retires the copies Redis kept: old keys deleted, running services told at once', async () => {
    const {id, cusd} = await account()
    const service = await open(true)
    const announced: BalanceInvalidation[] = []
    const generations: bigint[] = []
    const listener = await InvalidationListener.start({redisUrl: process.env.REDIS_URL as string, prefix, onInvalidation: (m) => announced.push(m), onGeneration: (g) => generations.push(g)})
    try {
      const ahead = await copyFromBeforeTheRestore(cusd)
      await redis.set(`${prefix}balance:v2:${id}:CUSD`, `${ahead.version}|9999999|0|50|0|`)
      // The hazard: served as trusted, and the relay's lower version can never replace it.
      const wrong = await service.service.getBalance(id, 'CUSD')
      assert.deepEqual([wrong.source, wrong.amount, wrong.isStale], ['redis', 9_999_999n, false])
      const store = await RedisBalanceStore.open(redis, prefix, db)
      assert.equal(await store.setIfNewer(cusd), false)

      const previous = await readCacheGeneration(db)
      const result = await cli(['cache', 'reset', '--json'])
      assert.equal(result.code, 0, result.stdout + result.stderr)
      const json = jsonOf<ResetJson>(result)
      const generation = await readCacheGeneration(db)
      assert.deepEqual([json.previousGeneration, json.generation], [String(previous), String(generation)])
      assert.ok(generation > previous)
      assert.deepEqual([json.scanned, json.deleted], [2, 2], 'the v3 copy and the v2 key')
      assert.deepEqual([await redis.exists(balanceCacheKey(prefix, cusd)), await redis.exists(`${prefix}balance:v2:${id}:CUSD`)], [0, 0])
      await eventually(async () => generations.includes(generation), 5_000, 'the new generation announced on the channel')
      assert.deepEqual(announced, [])

      // The running service took the new generation (and emptied its memory): PostgreSQL's value, written back under it.
      await eventually(async () => (await service.service.getBalance(id, 'CUSD')).amount === cusd.amount, 10_000, "PostgreSQL's value served")
      assert.deepEqual(await (await RedisBalanceStore.open(redis, prefix, db)).get(cusd), cusd)
      // A process that has not noticed yet cannot put the old copy back.
      assert.equal(await store.setIfNewer(ahead), false)
    } finally {
      await listener.close()
    }
  })

  it('`confio cache reset` deletes every balance key older than the generation it moves to, keeps a later one, and says what it did', async () => {
    const [a, b] = [await account(), await account()]
    const current = await RedisBalanceStore.open(redis, prefix, db)
    assert.equal(await current.setIfNewer(a.cusd), true)
    // A copy of a later generation than this reset's (another reset ran beside it), and a key of the wrong type.
    await redis.set(balanceCacheKey(prefix, b.cusd), encodeCachedBalance(b.cusd, current.generation.current + 3_600_000n))
    await redis.rpush(balanceCacheKey(prefix, {accountId: b.id, token: 'SUI'}), 'not a balance')
    const result = await cli(['cache', 'reset'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const generation = await readCacheGeneration(db)
    assert.match(result.stdout, new RegExp(`^Cache generation ${current.generation.current} -> ${generation}: every older copy in Redis is a miss from now on\\.$`, 'm'))
    assert.match(result.stdout, /^Deleted 2 of 3 balance keys in \d+\.\d s\.$/m)
    assert.deepEqual([await redis.exists(balanceCacheKey(prefix, a.cusd)), await redis.exists(balanceCacheKey(prefix, b.cusd)), await redis.exists(balanceCacheKey(prefix, {accountId: b.id, token: 'SUI'}))], [0, 1, 0])
  })

  it('Redis down: the generation still moves on (exit 1, saying so), so no old copy is served', async () => {
    const previous = await readCacheGeneration(db)
    const result = await cli(['cache', 'reset', '--json'], {REDIS_URL: 'redis://127.0.0.1:1/0'})
    assert.equal(result.code, 1, result.stdout + result.stderr)
    const {error} = jsonOf<{error: {code: string; message: string; remedy: string}}>(result)
    const generation = await readCacheGeneration(db)
    assert.ok(generation > previous)
    assert.equal(error.code, 'CACHE_RESET_INCOMPLETE')
    assert.match(error.message, new RegExp(`^the cache generation moved on to ${generation}, so no old copy in Redis is served; deleting the old copies stopped after 0 of them: `))
    assert.match(error.remedy, /run confio cache reset again once Redis answers/)
  })

  it('`confio migrate` moves the generation on, with migrations to apply or none; --status does not', async () => {
    const previous = await readCacheGeneration(db)
    assert.equal((await cli(['migrate', '--status'])).code, 0)
    assert.equal(await readCacheGeneration(db), previous)
    const result = await cli(['migrate', '--json'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const json = jsonOf<{changed: string[]; cacheGeneration: string}>(result)
    assert.deepEqual(json.changed, [])
    const generation = await readCacheGeneration(db)
    assert.ok(generation > previous)
    assert.equal(json.cacheGeneration, String(generation))
    const text = await cli(['migrate'])
    assert.match(text.stdout, /^Already up to date\.\nCache generation moved on to \d+: no balance copy Redis holds from before is served\.$/m)
  })

  it('a running service notices a new generation without any message (read again every 5 s)', async () => {
    const {id, cusd} = await account()
    const service = await open(false)
    await copyFromBeforeTheRestore(cusd)
    assert.equal((await service.service.getBalance(id, 'CUSD')).amount, 9_999_999n)
    assert.equal((await service.service.getBalance(id, 'CUSD')).source, 'memory')
    await advanceCacheGeneration(db)
    // Memory too lets go of what it held at the old generation.
    await eventually(async () => (await service.service.getBalance(id, 'CUSD')).amount === cusd.amount, 12_000, "the service reads the new generation and serves PostgreSQL's value")
  })
})
