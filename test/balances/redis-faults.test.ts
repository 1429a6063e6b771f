// Redis that misbehaves cannot freeze the balance cache, on a redis-server of this file's own: one
// that stops answering (SIGSTOP), one that is killed, a key of the wrong type, Redis out of memory,
// a key the relay may neither write nor delete (an ACL), a replica that is read-only. Readers fall
// through to PostgreSQL at the command timeout, the relay never waits on Redis with a PostgreSQL
// transaction open and one bad key never holds back the others, and the memory level is bypassed
// while its channel is down, ages out, and loses to an invalidation that beats a fill.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {Redis} from 'ioredis'
import {balanceCacheKey, type BalanceKey} from '../../src/balances/balance-keys.ts'
import type {BalanceService} from '../../src/balances/balance-service.ts'
import {CacheOutboxRelay} from '../../src/balances/cache-outbox-relay.ts'
import type {CachedBalance} from '../../src/balances/cached-balance.ts'
import {MemoryBalanceCache} from '../../src/balances/memory-balance-cache.ts'
import {openBalanceService, type OpenBalanceService} from '../../src/balances/open-balance-service.ts'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {RedisBalanceStore} from '../../src/balances/redis-balance-store.ts'
import type {ChainReader} from '../../src/chain/index.ts'
import {openRedis} from '../../src/store/connections.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {sleep} from '../../src/support/sleep.ts'
import {noChain, removeAccounts, silent, TOKENS, trustedAccount} from './trusted-balances.ts'
import {eventually} from '../support/child-process.ts'
import {type CaughtUpPipeline, keepPipelineCaughtUp} from '../support/pipeline-marker.ts'
import {PrivateRedis} from '../support/private-redis.ts'

/** Commands a client has sent and Redis has not answered yet. */
function unanswered(redis: Redis): number {
  return (redis as unknown as {commandQueue: {length: number}}).commandQueue.length
}

/** Settles with the promise, or rejects once `ms` have passed: a read that waits for good fails the test. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`${what} did not settle within ${ms} ms`)))])
}

describe('Redis that misbehaves', function () {
  this.timeout(60_000)
  let redis: PrivateRedis
  let admin: Redis
  let db: Database
  let chain: ChainReader
  let postgres: PostgresBalanceStore
  let prefix: string
  let pipeline: CaughtUpPipeline
  const accountIds: string[] = []
  const opened: OpenBalanceService[] = []

  const account = () => trustedAccount(db, accountIds)

  async function open(options: {listen?: boolean; redisCommandTimeoutMs?: number; memoryMaxAgeMs?: number} = {}): Promise<BalanceService> {
    const service = await openBalanceService({databaseUrl: process.env.DATABASE_URL as string, redisUrl: redis.url, redisPrefix: prefix, chain, tokens: TOKENS, logger: silent, redisCommandTimeoutMs: 300, ...options})
    opened.push(service)
    return service.service
  }

  /** A relay on its own client (user `user`, when given), with the command timeout the commands use. */
  async function relayOn(options: {user?: string; commandTimeoutMs?: number} = {}): Promise<{relay: CacheOutboxRelay; client: Redis}> {
    const url = options.user ? redis.url.replace('redis://', `redis://${options.user}:any@`) : redis.url
    const client = await openRedis(url, {commandTimeoutMs: options.commandTimeoutMs ?? 1_000})
    return {relay: new CacheOutboxRelay({db, redis: await RedisBalanceStore.open(client, prefix, db), logger: silent}), client}
  }

  const outboxOf = async (ids: string[]) => db('balance_cache_outbox').whereIn('account_id', ids).orderBy('id').select('id', 'account_id', 'token', 'attempts', db.raw('retry_at > now() AS waiting'))

  before(async () => {
    redis = await PrivateRedis.start()
    admin = new Redis(redis.url, {maxRetriesPerRequest: 0, retryStrategy: () => 100})
    admin.on('error', () => undefined)
    db = createDatabase({url: process.env.DATABASE_URL as string})
    postgres = new PostgresBalanceStore(db)
    prefix = `${process.env.REDIS_PREFIX}f${randomBytes(3).toString('hex')}:`
    chain = noChain()
    pipeline = await keepPipelineCaughtUp(redis.url, prefix)
  })

  afterEach(async () => {
    redis.resume()
    for (const service of opened.splice(0)) await service.close()
    await admin.config('SET', 'maxmemory', '0').catch(() => undefined)
    await admin.replicaof('NO', 'ONE').catch(() => undefined)
    await db('balance_cache_outbox').whereIn('account_id', accountIds).delete()
  })

  after(async () => {
    await pipeline?.stop()
    await removeAccounts(db, accountIds)
    await db.destroy()
    chain.close()
    admin.disconnect()
    await redis.down()
  })

  describe('deadlines', () => {
    it('a Redis that stops answering (SIGSTOP): a read falls through to PostgreSQL at the command timeout, stale once the pipeline marker is unknown', async () => {
      const {id, cusd} = await account()
      const service = await open()
      assert.equal((await service.getBalance(id, 'CUSD')).source, 'postgres')
      assert.equal((await service.getBalance(id, 'CUSD')).source, 'memory')
      service.memory.clear()
      assert.equal((await service.getBalance(id, 'CUSD')).source, 'redis')
      service.memory.clear()
      redis.pause()
      // The process's view of the pipeline marker lasts a second; past it, with Redis (and so the
      // queue) not answering, nobody can say the pipeline keeps up: PostgreSQL's value, stale.
      await sleep(1_100)
      const read = await within(service.getBalance(id, 'CUSD'), 5_000, 'a read with Redis stopped')
      assert.deepEqual([read.source, read.amount, read.isStale, read.staleReason], ['postgres', cusd.amount, true, 'pipeline_behind'])
      assert.equal(service.chainReads, 0)
    })

    it("the commands' Redis connection (openRedis) fails a command Redis does not answer at REDIS_COMMAND_TIMEOUT", async () => {
      const client = await openRedis(redis.url, {commandTimeoutMs: 200})
      try {
        redis.pause()
        await within(assert.rejects(client.get('anything'), /Command timed out/), 5_000, 'a GET with Redis stopped')
      } finally {
        redis.resume()
        client.disconnect()
      }
    })

    it('the relay never waits on Redis with a PostgreSQL transaction open: its outbox rows stay unlocked, and stay', async () => {
      const a = await account()
      const {relay, client} = await relayOn({commandTimeoutMs: 1_500})
      try {
        redis.pause()
        const delivery = relay.deliverOnce()
        await eventually(async () => unanswered(client) > 0, 5_000, 'the relay writes to Redis')
        const {rows: idle} = await db.raw(`SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`)
        assert.deepEqual(idle, [], 'no session sits in an open transaction')
        const ids = (await outboxOf([a.id])).map((r) => r.id)
        assert.equal(ids.length, 2)
        // Another relay (or a worker) could take the rows now: nothing holds them.
        await db.transaction(async (trx) => {
          const {rows} = await trx.raw('SELECT id FROM balance_cache_outbox WHERE id = ANY(?::bigint[]) FOR UPDATE NOWAIT', [ids])
          assert.equal(rows.length, 2)
        })
        await within(assert.rejects(delivery, /timed out/), 5_000, 'the delivery')
        assert.deepEqual((await outboxOf([a.id])).map((r) => [r.id, r.attempts]), ids.map((id) => [id, 0]), 'kept as they were for the next try')
        redis.resume()
        await relay.drain()
        assert.deepEqual(await outboxOf([a.id]), [])
      } finally {
        redis.resume()
        client.disconnect()
      }
    })
  })

  describe('one key Redis refuses', () => {
    it('WRONGTYPE: that key is deleted instead (a miss), the others are written', async () => {
      const [a, b] = [await account(), await account()]
      await admin.rpush(balanceCacheKey(prefix, b.cusd), 'not a balance')
      const {relay, client} = await relayOn()
      try {
        assert.ok((await relay.deliverOnce()) >= 4)
        const cache = await RedisBalanceStore.open(client, prefix, db)
        assert.deepEqual(await cache.get(a.cusd), a.cusd)
        assert.deepEqual(await cache.get(b.sui), b.sui)
        assert.equal(await admin.exists(balanceCacheKey(prefix, b.cusd)), 0, 'the list is gone')
        assert.deepEqual(await outboxOf([a.id, b.id]), [], 'every row delivered')
      } finally {
        client.disconnect()
      }
    })

    it('out of memory (maxmemory, noeviction): the copies are deleted instead, and the outbox empties', async () => {
      const a = await account()
      const {relay, client} = await relayOn()
      try {
        await relay.drain()
        const cache = await RedisBalanceStore.open(client, prefix, db)
        assert.deepEqual(await cache.get(a.cusd), a.cusd)
        await postgres.markStale(a.id)
        await admin.config('SET', 'maxmemory-policy', 'noeviction')
        await admin.config('SET', 'maxmemory', '1')
        await assert.rejects(admin.set('probe', '1'), /OOM/)
        assert.ok((await relay.deliverOnce()) >= 2)
        assert.deepEqual([await admin.exists(balanceCacheKey(prefix, a.cusd)), await admin.exists(balanceCacheKey(prefix, a.sui))], [0, 0], 'no copy of the trusted value is left')
        assert.deepEqual(await outboxOf([a.id]), [])
      } finally {
        client.disconnect()
      }
    })

    it('a key Redis will neither write nor delete (ACL NOPERM): set aside with backoff while the others go on', async () => {
      const [a, b] = [await account(), await account()]
      // The relay's user may touch a's keys and b's SUI, never b's CUSD.
      const allowed = [balanceCacheKey(prefix, a.cusd), balanceCacheKey(prefix, a.sui), balanceCacheKey(prefix, b.sui)]
      await admin.call('ACL', 'SETUSER', 'relay', 'on', 'nopass', 'resetkeys', ...allowed.map((k) => `~${k}`), 'resetchannels', '&*', '+@all')
      const {relay, client} = await relayOn({user: 'relay'})
      try {
        assert.ok((await relay.deliverOnce()) >= 4)
        const cache = await RedisBalanceStore.open(admin, prefix, db)
        assert.deepEqual([await cache.get(a.cusd), await cache.get(a.sui), await cache.get(b.sui)], [a.cusd, a.sui, b.sui])
        assert.deepEqual((await outboxOf([a.id, b.id])).map((r) => [r.account_id, r.token, r.attempts, r.waiting]), [[b.id, 'CUSD', 1, true]])
        await relay.deliverOnce()
        assert.deepEqual((await outboxOf([b.id])).map((r) => r.attempts), [1], 'not tried again before its retry time')
        // Its next try is due; Redis lets the relay write it now.
        await db('balance_cache_outbox').whereIn('account_id', [b.id]).update({retry_at: db.raw(`now() - interval '1 second'`)})
        await admin.call('ACL', 'SETUSER', 'relay', `~${balanceCacheKey(prefix, b.cusd)}`)
        await relay.deliverOnce()
        assert.deepEqual(await cache.get(b.cusd), b.cusd)
        assert.deepEqual(await outboxOf([a.id, b.id]), [])
      } finally {
        client.disconnect()
        await admin.call('ACL', 'DELUSER', 'relay')
      }
    })

    it('READONLY (a replica after a failover): every key refused, so the relay backs off as a whole and keeps every row as it was', async () => {
      const a = await account()
      await admin.replicaof('127.0.0.1', '1')
      const {relay, client} = await relayOn()
      try {
        await assert.rejects(relay.deliverOnce(), /READONLY/)
        assert.deepEqual((await outboxOf([a.id])).map((r) => [r.token, r.attempts, r.waiting]), [['CUSD', 0, null], ['SUI', 0, null]])
        await admin.replicaof('NO', 'ONE')
        await relay.drain()
        assert.deepEqual(await outboxOf([a.id]), [])
      } finally {
        client.disconnect()
      }
    })
  })

  describe('the memory level', () => {
    const key = (id: string, token = 'CUSD'): BalanceKey => ({accountId: id, token})
    /**
     * Reads until memory serves: after a test that stopped or restarted Redis, the pipeline marker
     * is back within a second (keepPipelineCaughtUp), and until then memory rightly serves nothing.
     */
    const servedFromMemory = (service: BalanceService, id: string) =>
      eventually(async () => (await service.getBalance(id, 'CUSD')).source === 'memory', 5_000, 'memory serving (the pipeline marker back)')

    it('is bypassed and emptied while the invalidation channel is down (Redis killed), and used again once it is back', async () => {
      const {id} = await account()
      const service = await open({listen: true})
      await servedFromMemory(service, id)
      await redis.down()
      try {
        await eventually(async () => service.memory.get(key(id)) === undefined, 5_000, 'memory emptied once the channel is down')
        for (let i = 0; i < 3; i++) assert.equal((await service.getBalance(id, 'CUSD')).source, 'postgres', 'memory takes nothing while the channel is down')
      } finally {
        await redis.up()
      }
      await eventually(async () => (await service.getBalance(id, 'CUSD')).source === 'memory', 15_000, 'memory used again once the channel is back')
    })

    it('is bypassed while Redis stops answering (SIGSTOP) with the connection open: the heartbeat notices', async () => {
      const {id} = await account()
      const service = await open({listen: true})
      await servedFromMemory(service, id)
      redis.pause()
      await eventually(async () => service.memory.get(key(id)) === undefined, 5_000, 'memory emptied once the heartbeat goes unanswered')
      const read = await within(service.getBalance(id, 'CUSD'), 5_000, 'a read with Redis stopped')
      assert.equal(read.source, 'postgres')
      assert.equal(service.memory.get(key(id)), undefined, 'nothing filled while the channel is down')
      redis.resume()
      await eventually(async () => (await service.getBalance(id, 'CUSD')).source === 'memory', 10_000, 'memory used again once Redis answers')
    })

    it('serves an entry no longer than BALANCE_MEMORY_MAX_AGE', async () => {
      const {id} = await account()
      const service = await open({memoryMaxAgeMs: 300})
      await servedFromMemory(service, id)
      await sleep(400)
      assert.equal((await service.getBalance(id, 'CUSD')).source, 'redis', 'too old: read again from Redis')
      assert.equal((await service.getBalance(id, 'CUSD')).source, 'memory')
    })

    it('an invalidation that arrives while a fill from Redis is on its way wins over the fill', async () => {
      const {id, cusd} = await account()
      const service = await open({redisCommandTimeoutMs: 10_000})
      await service.getBalance(id, 'CUSD')
      service.memory.clear()
      const connection = opened.at(-1)?.redis as Redis
      redis.pause()
      const reading = service.getBalance(id, 'CUSD')
      await eventually(async () => unanswered(connection) > 0, 5_000, 'the GET is sent')
      // Another process changed the balance; its copy in Redis is not written yet.
      service.onInvalidation({accountId: id, token: 'CUSD', version: cusd.version + 1n})
      redis.resume()
      const read = await reading
      assert.deepEqual([read.source, read.amount], ['redis', cusd.amount])
      assert.equal(service.memory.get(key(id)), undefined, 'the older copy did not land in memory')
      assert.equal((await service.getBalance(id, 'CUSD')).source, 'redis')
    })

    it('MemoryBalanceCache: a fill lands only at or after the version an invalidation named meanwhile, and never across a clear', () => {
      const memory = new MemoryBalanceCache({maxAgeMs: 60_000})
      const at = (version: bigint): CachedBalance => ({accountId: '1', token: 'CUSD', amount: version, pending: 0n, checkpoint: 1n, version, stale: false, syncedAtMs: null})
      const older = memory.startFill(at(0n))
      const newer = memory.startFill(at(0n))
      memory.invalidate({accountId: '1', token: 'CUSD', version: 5n})
      older.set(at(4n))
      assert.equal(memory.get(at(0n)), undefined)
      newer.set(at(5n))
      assert.equal(memory.get(at(0n))?.version, 5n)
      older.end()
      newer.end()
      const across = memory.startFill(at(0n))
      memory.clear()
      across.set(at(6n))
      across.end()
      assert.equal(memory.get(at(0n)), undefined)
      memory.suspend()
      memory.set(at(7n))
      assert.equal(memory.get(at(0n)), undefined)
      memory.resume()
      memory.set(at(7n))
      assert.equal(memory.get(at(0n))?.version, 7n)
    })
  })
})
