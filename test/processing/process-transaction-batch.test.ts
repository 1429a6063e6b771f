// Batches of jobs in one database transaction (group commit): each job must end exactly as it
// would alone. The batch processor is driven directly here, so which jobs share a batch is certain;
// the transactions are real ones, stored by `confio poll`, and PostgreSQL and Redis are real.
import assert from 'node:assert/strict'
import {hostname} from 'node:os'
import {createLogger} from '../../src/logging/logger.ts'
import {JobFailure, type JobOutcome, type ProcessTransactionBatch, type QueuedJob} from '../../src/processing/process-transaction-batch.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {batchProcessor, dropInjectedFailures, historyOf, injectFailures, logOf, pollOnce, startFundedWorld, type WorkerWorld} from './worker-support.ts'

const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})

describe('worker batches', function () {
  this.timeout(60_000)
  let w: WorkerWorld
  let alice: string
  let bob: string
  let processor: ProcessTransactionBatch

  before(async () => {
    ;({w, alice, bob} = await startFundedWorld())
    processor = batchProcessor(w, silent)
  })

  afterEach(async () => {
    await dropInjectedFailures(w.db)
  })

  after(async () => {
    await w?.close()
  })

  /** cUSD transfers alice -> bob of 1..n, stored by the poller. */
  async function storedTransfers(n: number): Promise<string[]> {
    const digests = Array.from({length: n}, (_, i) => w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: BigInt(i + 1)}).digest)
    await pollOnce(w)
    return digests
  }

  interface ControlledJob extends QueuedJob {
    readonly told: string[]
  }

  function job(digest: string): ControlledJob {
    const told: string[] = []
    return {digest, told, control: {retryIn: (ms) => told.push(`retry in ${ms}`), noRetry: () => told.push('no retry')}}
  }

  async function cusdRows(digest: string): Promise<string[]> {
    // Sorted as text, as the expected rows are: the database orders account ids as numbers (9 before 10).
    return (await historyOf(w.db, digest)).filter((r) => r.token === 'CUSD').map((r) => `${r.account_id} ${r.direction} ${r.amount}`).sort()
  }

  it('a write that fails once is redone job by job: every job completes once, no attempt counted twice', async () => {
    const digests = await storedTransfers(5)
    await injectFailures(w.db, digests[2]!, 1)
    const jobs = digests.map(job)
    const results = await processor.run(jobs)
    assert.deepEqual(
      results.map((r) => (r instanceof JobFailure ? 'failed' : r.status)),
      digests.map(() => 'completed'),
    )
    for (const [i, digest] of digests.entries()) {
      const log = await logOf(w.db, digest)
      assert.deepEqual([log.status, log.attempts, log.stalls], ['completed', 1, 0], digest)
      assert.deepEqual(await cusdRows(digest), [`${w.accounts[alice]} sent ${i + 1}`, `${w.accounts[bob]} received ${i + 1}`].sort())
      assert.deepEqual(jobs[i]!.told, [])
    }
  })

  it('one job that keeps failing is retried alone; the rest of its batch completes', async () => {
    const digests = await storedTransfers(4)
    await injectFailures(w.db, digests[1]!, 1_000)
    const jobs = digests.map(job)
    const results = await processor.run(jobs)
    const failure = results[1]
    assert.ok(failure instanceof JobFailure)
    assert.match(failure.message, /injected failure/)
    assert.deepEqual(jobs[1]!.told, ['retry in 1000'])
    const failedLog = await logOf(w.db, digests[1]!)
    assert.deepEqual([failedLog.status, failedLog.attempts], ['pending', 1])
    assert.deepEqual(await historyOf(w.db, digests[1]!), [])
    for (const i of [0, 2, 3]) {
      assert.equal((results[i] as JobOutcome).status, 'completed')
      assert.deepEqual([(await logOf(w.db, digests[i]!)).attempts, jobs[i]!.told], [1, []])
      assert.equal((await cusdRows(digests[i]!)).length, 2)
    }
  })

  it('jobs a stopped worker left processing run alone, each with its stall counted, not in the batch', async () => {
    const [left1, fresh, left2] = await storedTransfers(3)
    // A worker died holding these two (in one batch, say): their log rows still say `processing`.
    await w.db('transaction_processing_log').insert([left1!, left2!].map((d) => ({tx_digest: d, status: 'processing', attempts: 1, claimed_by: 'gone:1:1'})))
    const results = await processor.run([left1!, fresh!, left2!].map(job))
    assert.deepEqual(
      results.map((r) => (r as JobOutcome).status),
      ['completed', 'completed', 'completed'],
    )
    const logs = await Promise.all([left1!, fresh!, left2!].map((d) => logOf(w.db, d)))
    assert.deepEqual(
      logs.map((l) => [l.attempts, l.stalls]),
      [[2, 1], [1, 0], [2, 1]],
    )
    // Three runs: had the two shared a batch again, a transaction that kills its worker would take
    // the other to the stall limit with it.
    assert.equal(new Set(logs.map((l) => l.claimed_by)).size, 3, JSON.stringify(logs.map((l) => l.claimed_by)))
    assert.ok(logs.every((l) => l.claimed_by.startsWith(`${hostname()}:${process.pid}:`)))
  })

  it('a failed batch write redoes a job set aside to run alone with its attempt and stall counted', async () => {
    const [failing, left] = await storedTransfers(2)
    await w.db('transaction_processing_log').insert({tx_digest: left!, status: 'processing', attempts: 1, claimed_by: 'gone:1:1'})
    await injectFailures(w.db, failing!, 1)
    const results = await processor.run([failing!, left!].map(job))
    assert.deepEqual(
      results.map((r) => (r as JobOutcome).status),
      ['completed', 'completed'],
    )
    const logs = await Promise.all([failing!, left!].map((d) => logOf(w.db, d)))
    assert.deepEqual(
      logs.map((l) => [l.status, l.attempts, l.stalls]),
      [['completed', 1, 0], ['completed', 2, 1]],
    )
  })

  it('the same digest twice in one batch: the second finds it done and writes nothing', async () => {
    const [digest] = await storedTransfers(1)
    const results = await processor.run([job(digest!), job(digest!)])
    assert.deepEqual(
      results.map((r) => (r as JobOutcome).status),
      ['completed', 'already-processed'],
    )
    assert.equal((await cusdRows(digest!)).length, 2)
    assert.equal((await logOf(w.db, digest!)).attempts, 2)
  })

  it('a job with no stored transaction fails at once without holding back its batch', async () => {
    const [digest] = await storedTransfers(1)
    const missing = job('NoSuchDigest1111111111111111111111111111111')
    const results = await processor.run([missing, job(digest!)])
    assert.ok(results[0] instanceof JobFailure)
    assert.match(results[0].message, /no raw_blockchain_events row/)
    assert.deepEqual(missing.told, ['no retry'])
    assert.equal((await logOf(w.db, missing.digest)).status, 'failed')
    assert.equal((results[1] as JobOutcome).status, 'completed')
  })

  it('queue the changed balances of every job for the cache in the same commit, and ask Redis nothing', async () => {
    const keys = [`${w.accounts[alice]}:CUSD`, `${w.accounts[alice]}:SUI`, `${w.accounts[bob]}:CUSD`].sort()
    // Balances with a base (as after a chain read): each job's changes are added to them.
    for (const key of keys) {
      const [accountId, token] = key.split(':') as [string, string]
      await w.db('balances').insert({account_id: accountId, token, amount: '1000000000000', base_checkpoint: 0, is_stale: false}).onConflict(['account_id', 'token']).merge({amount: '1000000000000', base_checkpoint: 0, is_stale: false})
    }
    const digests = await storedTransfers(3)
    for (const key of [...keys, `${w.accounts[bob]}:SUI`]) await w.redis.set(`${w.prefix}balance:v3:${key}`, '1')
    await w.db('balance_cache_outbox').delete()
    let woken = 0
    const results = (await batchProcessor(w, silent, () => (woken += 1)).run(digests.map(job))) as JobOutcome[]
    assert.deepEqual(
      results.map((r) => r.touched.map((k) => `${k.accountId}:${k.token}`).sort()),
      digests.map(() => keys),
    )
    const outbox = await w.db('balance_cache_outbox').select('account_id', 'token')
    assert.deepEqual([...new Set(outbox.map((o) => `${o.account_id}:${o.token}`))].sort(), keys)
    assert.ok(woken >= 1, 'the relay is woken after the commit')
    for (const key of keys) assert.equal(await w.redis.get(`${w.prefix}balance:v3:${key}`), '1', 'Redis is left to the relay')
    const rows = await w.db('balances').whereIn('account_id', Object.values(w.accounts)).whereIn('token', ['CUSD', 'SUI']).select('account_id', 'token', 'is_stale', 'amount')
    for (const row of rows.filter((r) => keys.includes(`${r.account_id}:${r.token}`))) {
      assert.equal(row.is_stale, false)
      assert.notEqual(row.amount, '1000000000000', 'the changes were added')
    }
  })

  it('a stale balance only learns of later transactions: no new version, nothing for the cache', async () => {
    await w.db('balances').whereIn('account_id', Object.values(w.accounts)).update({is_stale: true})
    const before = await w.db('balances').whereIn('account_id', Object.values(w.accounts)).select('account_id', 'token', 'version', 'seen_checkpoint')
    const digests = await storedTransfers(2)
    await w.db('balance_cache_outbox').delete()
    await processor.run(digests.map(job))
    assert.equal((await w.db('balance_cache_outbox').count({n: '*'}))[0]?.n, '0')
    const after = await w.db('balances').whereIn('account_id', Object.values(w.accounts)).select('account_id', 'token', 'version', 'seen_checkpoint')
    for (const row of after) {
      const old = before.find((b) => b.account_id === row.account_id && b.token === row.token)
      if (!old) continue
      assert.equal(row.version, old.version, `${row.account_id}:${row.token} keeps its version`)
      if (row.token === 'CUSD') assert.ok(BigInt(row.seen_checkpoint) > BigInt(old.seen_checkpoint ?? -1), 'but records the later transaction')
    }
  })

  it('release the pending amount of a balance that is already stale', async () => {
    const [digest, other] = await storedTransfers(2)
    const aliceId = w.accounts[alice]!
    await w.db('balances').insert({account_id: aliceId, token: 'CUSD', is_stale: true, pending_amount: '7'}).onConflict(['account_id', 'token']).merge({is_stale: true, pending_amount: '7'})
    await w.db('pending_balance_changes').insert({tx_digest: digest, account_id: aliceId, token: 'CUSD', amount: '5'})
    const results = await processor.run([job(digest!), job(other!)])
    assert.ok(results.every((r) => !(r instanceof JobFailure)))
    const balance = await w.db('balances').where({account_id: aliceId, token: 'CUSD'}).first()
    assert.deepEqual([balance.is_stale, balance.pending_amount], [true, '2'])
    assert.equal((await w.db('pending_balance_changes').where({tx_digest: digest})).length, 0)
  })
})
