// Balances kept exact by the worker from the chain's own balance changes, end to end: the local Sui
// server, `confio poll --once`, `confio worker --drain`, the real PostgreSQL and Redis.
import assert from 'node:assert/strict'
import type {BalanceKey} from '../../src/balances/balance-keys.ts'
import {CacheOutboxRelay} from '../../src/balances/cache-outbox-relay.ts'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {RedisBalanceStore} from '../../src/balances/redis-balance-store.ts'
import {createLogger} from '../../src/logging/logger.ts'
import type {JobOutcome} from '../../src/processing/process-transaction-batch.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {PrivateRedis} from '../support/private-redis.ts'
import {heightWindow} from '../../src/chain/reader/height-window.ts'
import {anchorBalances, batchProcessor, chainBalance as chainBalanceOf, drain, enqueue, fundAll, moveOn, pollOnce, startWorld, type WorkerWorld} from '../processing/worker-support.ts'

const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})

describe('balances kept exact by the worker', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let store: PostgresBalanceStore
  let names: string[]
  const tokens = ['SUI', 'CUSD'] as const

  before(async () => {
    w = await startWorld(['alice', 'bob', 'carol', 'dave'])
    names = Object.keys(w.accounts)
    store = new PostgresBalanceStore(w.db)
    await fundAll(w, {sui: 100_000_000_000n, cusd: 5_000_000_000n})
  })

  after(async () => w?.close())

  const key = (address: string, token: string): BalanceKey => ({accountId: w.accounts[address]!, token})
  const coinType = (token: string) => (token === 'SUI' ? w.coins.SUI : w.coins.CUSD)
  const chainBalance = (address: string, token: string) => chainBalanceOf(w, address, coinType(token))
  const anchorAll = () => anchorBalances(w)
  /** A chain value read at the tip `height`, with the window such a read proves. */
  const readAt = (total: bigint, height: bigint) => ({total, checkpoint: height, window: heightWindow(height, height)})

  async function assertExact(): Promise<void> {
    for (const address of names) {
      for (const token of tokens) {
        const row = await store.read(key(address, token))
        assert.equal(row?.stale, false, `${token} of ${address.slice(0, 8)} is stale`)
        assert.equal(row?.amount, chainBalance(address, token), `${token} of ${address.slice(0, 8)}`)
      }
    }
  }

  it('add each change after the base exactly once, gas included; a re-delivered job adds nothing', async () => {
    const [alice, bob] = names as [string, string]
    await anchorAll()
    const digests = [
      w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 1_250_000n}).digest,
      w.sui.ledger.transfer({from: bob, to: alice, coinType: w.coins.SUI, amount: 3_000_000n}).digest,
    ]
    w.sui.ledger.produceCheckpoint()
    digests.push(w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 7n}).digest)
    await pollOnce(w)
    const before = await store.read(key(alice, 'CUSD'))
    await drain(w)
    await assertExact()
    const after = await store.read(key(alice, 'CUSD'))
    assert.equal(after?.checkpoint, before?.checkpoint, 'the base stays; the changes are added to it')
    assert.ok((after?.version ?? 0n) > (before?.version ?? 0n))

    await enqueue(w, digests)
    await drain(w)
    await assertExact()
    assert.equal((await store.read(key(alice, 'CUSD')))?.version, after?.version, 'a re-delivery changes nothing')
  })

  it('skip a transaction at or before the base: the chain value already has it', async () => {
    const [alice, , carol] = names as [string, string, string]
    w.sui.ledger.transfer({from: carol, to: alice, coinType: w.coins.CUSD, amount: 500n})
    await pollOnce(w)
    // Read from the chain after the transfer's checkpoint, before the worker processes it.
    await anchorAll()
    await drain(w)
    await assertExact()
  })

  it('refuse a chain value older than a change already counted, and never go back in time', async () => {
    const [alice, bob] = names as [string, string]
    await anchorAll()
    const oldHeight = w.sui.ledger.checkpointHeight
    const oldAmount = chainBalance(alice, 'CUSD')
    w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 40n})
    await pollOnce(w)
    await drain(w)
    // A fill that read the chain before that checkpoint and writes only now.
    const late = await store.writeFromChain(key(alice, 'CUSD'), readAt(oldAmount, oldHeight))
    assert.equal(late.written, false)
    assert.equal(late.balance.amount, chainBalance(alice, 'CUSD'))
    const behind = await store.writeFromChain(key(alice, 'CUSD'), readAt(1n, oldHeight - 1n))
    assert.equal(behind.written, false)
    await assertExact()
  })

  it('a stale row takes no change, and a chain value read before its last change cannot clear it', async () => {
    const [alice, bob] = names as [string, string]
    await anchorAll()
    const readHeight = w.sui.ledger.checkpointHeight
    const readAmount = chainBalance(bob, 'CUSD')
    await store.markStale(w.accounts[bob]!, 'CUSD')
    w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 9n})
    await pollOnce(w)
    await drain(w)
    const stale = await store.read(key(bob, 'CUSD'))
    assert.deepEqual([stale?.stale, stale?.amount], [true, readAmount])
    assert.equal((await store.writeFromChain(key(bob, 'CUSD'), readAt(readAmount, readHeight))).written, false, 'that value misses the transfer')
    moveOn(w)
    assert.equal((await store.writeFromChain(key(bob, 'CUSD'), readAt(chainBalance(bob, 'CUSD'), w.sui.ledger.checkpointHeight))).written, true)
    await assertExact()
  })

  it('after a generated run of transfers, every balance with a base equals the chain, read without a single chain call', async () => {
    await anchorAll()
    let seed = 7
    const next = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % n
    for (let checkpoint = 0; checkpoint < 20; checkpoint++) {
      for (let i = 0; i < 5; i++) {
        const from = names[next(names.length)]!
        const to = names[next(names.length)]!
        const token = tokens[next(2)]!
        w.sui.ledger.transfer({from, to, coinType: coinType(token), amount: BigInt(1 + next(1_000_000))})
      }
      w.sui.ledger.produceCheckpoint()
    }
    w.sui.faults.reset()
    await pollOnce(w)
    await drain(w)
    assert.deepEqual([w.sui.faults.calls('GetBalance'), w.sui.faults.calls('ListBalances')], [0, 0])
    await assertExact()
  })

  describe('the cache outbox', () => {
    let redis: PrivateRedis

    before(async () => (redis = await PrivateRedis.start()))
    after(async () => redis?.down())

    it('Redis down while jobs commit: no job fails, the outbox keeps the changes and delivers them when Redis is back', async () => {
      const [alice, bob] = names as [string, string]
      await anchorAll()
      const {Redis} = await import('ioredis')
      const client = new Redis(redis.url, {maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 200})
      client.on('error', () => undefined)
      const relay = new CacheOutboxRelay({db: w.db, redis: (await RedisBalanceStore.open(client, w.prefix, w.db)), logger: silent})
      const ready = async () => {
        const deadline = Date.now() + 10_000
        while (client.status !== 'ready') {
          if (Date.now() > deadline) throw new Error('the relay\'s Redis client did not reconnect within 10 s')
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
      try {
        await ready()
        await relay.drain()
        await redis.down()
        for (let i = 0; i < 3; i++) w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 11n})
        await pollOnce(w)
        const digests = (await w.db('raw_blockchain_events').whereNull('processed_at').select('tx_digest')).map((r) => r.tx_digest as string)
        assert.equal(digests.length, 3)
        const results = await batchProcessor(w, silent, () => relay.wake()).run(digests.map((digest) => ({digest, control: {retryIn: () => undefined, noRetry: () => undefined}})))
        assert.deepEqual(results.map((r) => (r as JobOutcome).status), ['completed', 'completed', 'completed'])
        await assert.rejects(relay.deliverOnce())
        const waiting = await w.db('balance_cache_outbox').count({n: '*'})
        assert.ok(Number(waiting[0]?.n) >= 2, 'the changes wait in PostgreSQL')

        await redis.up()
        await ready()
        await relay.drain()
        const cached = (await RedisBalanceStore.open(client, w.prefix, w.db))
        for (const address of [alice, bob]) {
          const inRedis = await cached.get(key(address, 'CUSD'))
          assert.deepEqual(inRedis, await store.read(key(address, 'CUSD')))
          assert.equal(inRedis?.amount, chainBalance(address, 'CUSD'))
        }
      } finally {
        await relay.stop()
        client.disconnect()
      }
    })

    it('a write never puts an older version over a newer one (a fill that read before a commit and writes after it)', async () => {
      const [alice] = names as [string]
      const {Redis} = await import('ioredis')
      const client = new Redis(redis.url)
      try {
        const cache = (await RedisBalanceStore.open(client, w.prefix, w.db))
        const readBeforeCommit = await store.read(key(alice, 'SUI'))
        assert.ok(readBeforeCommit)
        const committed = {...readBeforeCommit, amount: readBeforeCommit.amount - 5n, version: readBeforeCommit.version + 1n}
        assert.equal(await cache.setIfNewer(committed), true)
        assert.equal(await cache.setIfNewer(readBeforeCommit), false)
        assert.deepEqual(await cache.get(key(alice, 'SUI')), committed)
        // Versions compare as numbers, not as text: 10 is newer than 9.
        const other = {...committed, accountId: '999999999'}
        assert.equal(await cache.setIfNewer({...other, version: 9n}), true)
        assert.equal(await cache.setIfNewer({...other, version: 10n, amount: 1n}), true)
        assert.equal(await cache.setIfNewer({...other, version: 9n}), false)
        assert.equal((await cache.get(other))?.amount, 1n)
      } finally {
        client.disconnect()
      }
    })
  })
})
