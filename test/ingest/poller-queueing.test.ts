// A committed batch's jobs are queued beside the next batch's commit, not before it: Redis that
// stops answering holds up neither the cursor nor the next store, and every job still lands.
import assert from 'node:assert/strict'
import type {GrpcChainReader} from '../../src/chain/index.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {pollerLease} from '../../src/ingest/poller-lease.ts'
import {Poller} from '../../src/ingest/poller.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {TransactionQueue} from '../../src/queue/transaction-queue.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {normalizeCoinType} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {testReader} from '../chain/chain-test-support.ts'
import {eventually} from '../support/child-process.ts'
import {PrivateRedis} from '../support/private-redis.ts'
import {closeWorld, CUSD_PACKAGE, cursorOf, pollWorld, type PollWorld, SUI} from './poll-support.ts'

describe('poller: queueing beside the next commit', function () {
  this.timeout(60_000)
  let world: PollWorld | undefined
  let chain: GrpcChainReader | undefined
  let redis: PrivateRedis | undefined
  let queue: TransactionQueue | undefined

  afterEach(async () => {
    redis?.resume()
    await queue?.close()
    await redis?.down()
    chain?.close()
    await closeWorld(world)
    world = undefined
    chain = undefined
    redis = undefined
    queue = undefined
  })

  it("stores the next batch while Redis holds the previous batch's jobs, and queues both once it answers", async () => {
    const w = (world = await pollWorld())
    redis = await PrivateRedis.start()
    // A queue timeout far longer than the pause: the jobs are late, never failed.
    const jobs = (queue = new TransactionQueue({redisUrl: redis.url, redisPrefix: 'poller-queueing:', timeoutMs: 30_000}))
    chain = testReader(w.sui.url)
    const lines: string[] = []
    const poller = new Poller({
      db: w.db,
      chain,
      queue,
      lease: pollerLease(process.env.DATABASE_URL as string),
      packages: [CUSD_PACKAGE],
      tokens: new TokenRegistry([{symbol: 'SUI', coinType: normalizeCoinType(SUI), decimals: 9}]),
      cursorName: POLLER_CURSOR,
      mode: 'poll',
      intervalMs: 20,
      once: false,
      maxBatch: 1,
      fromCheckpoint: w.sui.ledger.checkpointHeight,
      logger: createLogger({level: 'info', scrubber: new SecretScrubber(), pretty: false, write: (line) => lines.push(line)}),
    })
    const stop = new AbortController()
    const running = poller.run(stop.signal)
    try {
      await eventually(async () => (await cursorOf(w.db)) === w.sui.ledger.checkpointHeight, 10_000, 'the poller at the tip')

      redis.pause()
      const {ledger} = w.sui
      const first = ledger.transfer({from: w.bob, to: w.alice, coinType: SUI, amount: 1n}).digest
      ledger.produceCheckpoint()
      const second = ledger.transfer({from: w.bob, to: w.alice, coinType: SUI, amount: 2n}).digest
      const last = ledger.produceCheckpoint()
      // Both batches (one checkpoint each) are committed while the first one's jobs wait on Redis.
      await eventually(async () => (await cursorOf(w.db)) === last, 10_000, 'the second batch committed while Redis is stopped')
      const stored = (await w.db('raw_blockchain_events').whereIn('tx_digest', [first, second]).pluck('tx_digest')) as string[]
      assert.deepEqual(stored.sort(), [first, second].sort())

      redis.resume()
      await eventually(async () => (await jobs.missing([first, second])).length === 0, 10_000, 'both batches queued once Redis is back')
    } finally {
      stop.abort()
    }
    const result = await running
    assert.equal(result.cursor, w.sui.ledger.checkpointHeight)
    // This run stored everything there is, each once.
    assert.equal(result.relevant, Number(((await w.db('raw_blockchain_events').count('* as n')) as [{n: string}])[0].n))
    assert.ok(!lines.some((line) => /could not queue/.test(line)), lines.join('\n'))
  })
})
