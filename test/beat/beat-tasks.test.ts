// The beat's tasks end to end, as an operator runs them: `confio beat --once` schedules, then
// `confio worker --drain` runs the jobs, on the real PostgreSQL and Redis and the local Sui server.
// Stale balances refreshed (oldest first, up to the limit, removed accounts skipped) or their
// sync_attempts counted when the chain fails; old pending amounts released; old processed rows
// cleaned up and nothing else.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {RedisBalanceStore} from '../../src/balances/redis-balance-store.ts'
import {cleanupExpiredRows} from '../../src/beat/retention-cleanup.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {drain, settleChain, startWorld, type WorkerWorld} from '../processing/worker-support.ts'

interface BeatRunRow {
  task: string
  started_at: Date | null
  finished_at: Date | null
  outcome: string | null
  detail: Record<string, unknown> | null
}

describe('confio beat: the tasks, run by confio worker', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let ids: Record<'ann' | 'ben' | 'cy' | 'dee', string>
  let addresses: Record<'ann' | 'ben' | 'cy' | 'dee', string>

  before(async () => {
    w = await startWorld(['ann', 'ben', 'cy', 'dee'])
    const [ann, ben, cy, dee] = Object.keys(w.accounts) as [string, string, string, string]
    addresses = {ann, ben, cy, dee}
    ids = {ann: w.accounts[ann]!, ben: w.accounts[ben]!, cy: w.accounts[cy]!, dee: w.accounts[dee]!}
    for (const address of [ann, ben, cy, dee]) {
      w.sui.ledger.mint(address, w.coins.SUI, 7_000_000_000n)
      w.sui.ledger.mint(address, w.coins.CUSD, 12_500_000n)
      w.sui.ledger.mint(address, w.coins.CUSD, 500_000n, {addressBalance: true})
    }
    w.sui.ledger.produceCheckpoint()
    // The funding is stored and the chain moves on past it, so a refresh's window holds none of it.
    await settleChain(w)
    // It is processed here, and the balances it made are dropped, so that each case starts from
    // the rows it writes: left to the first case's worker, its jobs ran beside the refresh's, and
    // the rows they made (stale, never synced, so oldest first) were now and then refreshed in
    // place of the case's own (seen failing: ben's row still stale, then 5 refresh failures in
    // the next case where 1 was expected).
    await drain(w)
    await w.db('balances').whereIn('account_id', Object.values(ids)).delete()
    await w.db('accounts').where({id: ids.dee}).update({deleted_at: w.db.fn.now()})
  })

  beforeEach(async () => {
    w.sui.faults.reset()
    await w.db('beat_runs').delete()
  })

  after(async () => {
    await w?.db('beat_runs').delete()
    await w?.db('balance_cache_outbox').whereIn('account_id', Object.values(ids)).delete()
    await w?.db('balance_drift').whereIn('account_id', Object.values(ids)).delete()
    await w?.close()
  })

  /** `confio beat --once` for these tasks, then the worker works the jobs off; the runs recorded. */
  async function beatThenWork(tasks: string[], beatArgs: string[] = [], workerArgs: string[] = []) {
    const beat = await runCli(['beat', '--once', '--json', ...tasks.flatMap((t) => ['--task', t]), ...beatArgs], {env: w.env})
    assert.equal(beat.code, 0, beat.stderr)
    const scheduled = jsonOf<{scheduled: {task: string}[]}>(beat).scheduled
    assert.deepEqual(scheduled.map((s) => s.task).sort(), [...tasks].sort())
    const worker = await drain(w, workerArgs)
    const runs: BeatRunRow[] = await w.db('beat_runs').select('task', 'started_at', 'finished_at', 'outcome', 'detail').orderBy('task')
    return {worker, runs}
  }

  const chainAmount = (address: string, coinType: string) => {
    const {coinBalance, addressBalance} = w.sui.ledger.balance(address, coinType)
    return coinBalance + addressBalance
  }

  async function balanceRow(accountId: string, token: string) {
    return w.db('balances').where({account_id: accountId, token}).first()
  }

  it('refreshes stale balances oldest first, up to the limit, skipping removed accounts', async () => {
    const stale = {is_stale: true, amount: '1', base_checkpoint: null}
    await w.db('balances').insert([
      {account_id: ids.ann, token: 'SUI', ...stale, last_synced: null},
      {account_id: ids.ben, token: 'CUSD', ...stale, last_synced: w.db.raw(`now() - interval '2 hours'`)},
      {account_id: ids.cy, token: 'CUSD', ...stale, last_synced: w.db.raw(`now() - interval '1 minute'`)},
      {account_id: ids.dee, token: 'SUI', ...stale, last_synced: null},
    ])

    const first = await beatThenWork(['refresh-stale-balances'], ['--refresh-limit', '2'])
    assert.deepEqual(first.worker.json.beat, {done: 1, failed: 0, skipped: 0})
    const [run] = first.runs
    assert.equal(run?.outcome, 'done')
    assert.deepEqual([run?.detail?.selected, run?.detail?.refreshed, run?.detail?.failed], [2, 2, 0])
    const ann = await balanceRow(ids.ann, 'SUI')
    const ben = await balanceRow(ids.ben, 'CUSD')
    assert.deepEqual([ann.is_stale, BigInt(ann.amount), ann.sync_attempts], [false, chainAmount(addresses.ann, w.coins.SUI), 0])
    assert.deepEqual([ben.is_stale, BigInt(ben.amount)], [false, 13_000_000n])
    assert.equal(BigInt(ben.base_checkpoint), w.sui.ledger.checkpointHeight)
    assert.equal((await balanceRow(ids.cy, 'CUSD')).is_stale, true, 'the newest stale row waits for the next run')

    // Redis has the refreshed value too.
    const cached = await (await RedisBalanceStore.open(w.redis, w.prefix, w.db)).get({accountId: ids.ben, token: 'CUSD'})
    assert.deepEqual([cached?.amount, cached?.stale], [13_000_000n, false])

    await w.db('beat_runs').delete()
    await beatThenWork(['refresh-stale-balances'])
    const cy = await balanceRow(ids.cy, 'CUSD')
    assert.deepEqual([cy.is_stale, BigInt(cy.amount)], [false, 13_000_000n])
    const dee = await balanceRow(ids.dee, 'SUI')
    assert.deepEqual([dee.is_stale, dee.amount, dee.last_synced], [true, '1', null], 'a removed account is not refreshed')
  })

  it('counts sync_attempts when the chain does not answer, and resets them once it does', async () => {
    await w.db('balances').where({account_id: ids.ann, token: 'SUI'}).update({is_stale: true, last_synced: null})
    const before = await balanceRow(ids.ann, 'SUI')
    w.sui.faults.failRate('GetBalance', 'UNAVAILABLE', 1)

    const failing = await beatThenWork(['refresh-stale-balances'])
    const [run] = failing.runs
    assert.deepEqual([run?.outcome, run?.detail?.failed, run?.detail?.refreshed], ['failed', 1, 0])
    assert.match(String(run?.detail?.error), /the chain did not answer for any of 1 stale balances/)
    assert.ok(w.sui.faults.calls('GetBalance') > 0, 'the chain was asked')
    const after = await balanceRow(ids.ann, 'SUI')
    assert.deepEqual([after.is_stale, after.amount, after.sync_attempts], [true, before.amount, before.sync_attempts + 1])

    w.sui.faults.reset()
    await w.db('beat_runs').delete()
    await beatThenWork(['refresh-stale-balances'])
    const fresh = await balanceRow(ids.ann, 'SUI')
    assert.deepEqual([fresh.is_stale, fresh.sync_attempts, BigInt(fresh.amount)], [false, 0, chainAmount(addresses.ann, w.coins.SUI)])
  })

  it('releases a pending amount older than the TTL, keeps a new one, and logs the release', async () => {
    const store = new PostgresBalanceStore(w.db)
    const key = {accountId: ids.ben, token: 'CUSD'}
    const [oldDigest, newDigest] = [`old-${randomBytes(4).toString('hex')}`, `new-${randomBytes(4).toString('hex')}`]
    await store.addPending(key, 300_000n, oldDigest)
    const pending = (await store.addPending(key, 200_000n, newDigest)).balance!
    assert.equal(pending.pending, 500_000n)
    await w.db('pending_balance_changes').where({tx_digest: oldDigest}).update({created_at: w.db.raw(`now() - interval '11 minutes'`)})

    const {worker, runs} = await beatThenWork(['expire-pending'], [], ['--log-level', 'info'])
    assert.deepEqual([runs[0]?.outcome, runs[0]?.detail?.expired, runs[0]?.detail?.balances], ['done', 1, 1])
    const after = await store.read(key)
    assert.deepEqual([after?.pending, after?.version], [200_000n, pending.version + 1n])
    assert.deepEqual((await w.db('pending_balance_changes').where({account_id: ids.ben}).pluck('tx_digest')).sort(), [newDigest])
    // The release went to Redis through the outbox, like the worker's own releases.
    const cached = await (await RedisBalanceStore.open(w.redis, w.prefix, w.db)).get(key)
    assert.deepEqual([cached?.pending, cached?.version], [200_000n, pending.version + 1n])
    const released = worker.result.stderr.split('\n').filter((line) => line.includes('pending amount expired'))
    assert.equal(released.length, 1, worker.result.stderr)
    const line = JSON.parse(released[0]!) as Record<string, unknown>
    assert.deepEqual([line.digest, line.accountId, line.token, line.amount], [oldDigest, ids.ben, 'CUSD', '300000'])
  })

  it('reconciles through the Reconciler (trigger beat) and records its summary', async () => {
    const height = w.sui.ledger.checkpointHeight
    // The pipeline is up to date (nothing in flight), and ann's CUSD row claims a wrong amount at the chain's height.
    await w.db('ingest_cursors').where({name: POLLER_CURSOR}).update({checkpoint: height.toString()})
    await w.db('balances').where({account_id: ids.ann, token: 'CUSD'}).delete()
    await w.db('balances').insert({account_id: ids.ann, token: 'CUSD', amount: '1', base_checkpoint: height.toString(), is_stale: false})

    const {runs} = await beatThenWork(['reconcile'])
    const [run] = runs
    assert.equal(run?.outcome, 'done', JSON.stringify(run?.detail))
    assert.equal(run?.detail?.drift, 1)
    const reconcileRun = await w.db('reconcile_runs').where({id: run?.detail?.runId}).first()
    assert.deepEqual([reconcileRun?.trigger, reconcileRun?.outcome], ['beat', 'drift'])
    const ann = await balanceRow(ids.ann, 'CUSD')
    assert.deepEqual([ann.is_stale, BigInt(ann.amount)], [false, 13_000_000n])
  })

  it('confio run --once schedules the beat and runs its jobs in the same process', async () => {
    await w.db('balances').where({account_id: ids.cy, token: 'SUI'}).delete()
    await w.db('balances').insert({account_id: ids.cy, token: 'SUI', is_stale: true, amount: '1'})
    const result = await runCli(['run', '--once', '--mode', 'poll', '--json', '--task', 'refresh-stale-balances'], {env: w.env})
    assert.equal(result.code, 0, result.stderr)
    const json = jsonOf<{beat: {stoppedBy: string; scheduled: {task: string}[]}; worker: {beat: unknown}}>(result)
    assert.deepEqual([json.beat.stoppedBy, json.beat.scheduled.map((s) => s.task)], ['once', ['refresh-stale-balances']])
    assert.deepEqual(json.worker.beat, {done: 1, failed: 0, skipped: 0})
    const cy = await balanceRow(ids.cy, 'SUI')
    assert.deepEqual([cy.is_stale, BigInt(cy.amount)], [false, chainAmount(addresses.cy, w.coins.SUI)])
  })

  describe('cleanup', () => {
    const tag = randomBytes(3).toString('hex')
    const digest = (name: string) => `cleanup-${tag}-${name}`
    const events = {oldProcessed: digest('old-processed'), oldUnprocessed: digest('old-unprocessed'), recentProcessed: digest('recent-processed')}

    beforeEach(async () => {
      const event = (tx_digest: string, ageDays: number, processed: boolean) => ({
        tx_digest,
        checkpoint: 1,
        created_at: w.db.raw(`now() - ? * interval '1 day'`, [ageDays]),
        processed_at: processed ? w.db.raw(`now() - ? * interval '1 day'`, [ageDays]) : null,
      })
      await w.db('raw_blockchain_events').insert([event(events.oldProcessed, 91, true), event(events.oldUnprocessed, 91, false), event(events.recentProcessed, 89, true)])
      const log = (name: string, status: string, ageDays: number) => ({tx_digest: digest(name), status, updated_at: w.db.raw(`now() - ? * interval '1 day'`, [ageDays])})
      await w.db('transaction_processing_log').insert([
        log('old-completed', 'completed', 91),
        log('old-failed', 'failed', 91),
        log('old-unprocessed', 'failed', 91), // its raw event is still waiting: kept
        log('old-processing', 'processing', 91),
        log('old-pending', 'pending', 91),
        log('recent-completed', 'completed', 89),
      ])
      // Webhook events: delivered long ago (deleted), lately (kept), and old but pending or failed (kept).
      const hook = (name: string, status: string, ageDays: number) => ({
        source: digest(name),
        type: 'account.transaction',
        payload: {},
        status,
        created_at: w.db.raw(`now() - ? * interval '1 day'`, [ageDays]),
        delivered_at: status === 'delivered' ? w.db.raw(`now() - ? * interval '1 day'`, [ageDays]) : null,
      })
      await w.db('webhook_deliveries').insert([hook('hook-old-delivered', 'delivered', 91), hook('hook-recent-delivered', 'delivered', 89), hook('hook-old-pending', 'pending', 91), hook('hook-old-failed', 'failed', 91)])
    })

    afterEach(async () => {
      await w.db('raw_blockchain_events').where('tx_digest', 'like', `cleanup-${tag}-%`).delete()
      await w.db('transaction_processing_log').where('tx_digest', 'like', `cleanup-${tag}-%`).delete()
      await w.db('webhook_deliveries').where('source', 'like', `cleanup-${tag}-%`).delete()
    })

    const left = async () => ({
      events: (await w.db('raw_blockchain_events').where('tx_digest', 'like', `cleanup-${tag}-%`).pluck('tx_digest')).sort(),
      log: (await w.db('transaction_processing_log').where('tx_digest', 'like', `cleanup-${tag}-%`).pluck('tx_digest')).sort(),
      hooks: (await w.db('webhook_deliveries').where('source', 'like', `cleanup-${tag}-%`).pluck('source')).sort(),
    })

    const kept = {
      events: [events.oldUnprocessed, events.recentProcessed].sort(),
      log: [digest('old-pending'), digest('old-processing'), digest('old-unprocessed'), digest('recent-completed')].sort(),
      hooks: [digest('hook-old-failed'), digest('hook-old-pending'), digest('hook-recent-delivered')].sort(),
    }

    it('deletes only processed raw events, finished log rows and delivered webhook events past the retention', async () => {
      const {runs} = await beatThenWork(['cleanup'])
      assert.deepEqual([runs[0]?.outcome, runs[0]?.detail?.rawEvents, runs[0]?.detail?.processingLog, runs[0]?.detail?.webhookDeliveries], ['done', 1, 2, 1])
      assert.deepEqual(await left(), kept)
    })

    it('works in batches, walking each table to its end', async () => {
      // More deletable rows than a few batches hold.
      const extra = Array.from({length: 7}, (_, i) => digest(`bulk-${i}`))
      await w.db('raw_blockchain_events').insert(extra.map((tx_digest) => ({tx_digest, checkpoint: 1, created_at: w.db.raw(`now() - interval '100 days'`), processed_at: w.db.fn.now()})))
      await w.db('transaction_processing_log').insert(extra.map((tx_digest) => ({tx_digest, status: 'completed', updated_at: w.db.raw(`now() - interval '100 days'`)})))
      await w.db('webhook_deliveries').insert(extra.map((source) => ({source, type: 'account.transaction', payload: {}, status: 'delivered', delivered_at: w.db.raw(`now() - interval '100 days'`)})))
      const result = await cleanupExpiredRows({db: w.db, retentionMs: 90 * 86_400_000, batchSize: 2})
      assert.deepEqual([result.rawEvents, result.processingLog, result.webhookDeliveries, result.stopped], [8, 9, 8, false])
      assert.ok(result.batches >= 14, `batches: ${result.batches}`)
      assert.deepEqual(await left(), kept)
    })
  })

  it('records a task that fails as failed, with its error, and does not retry it', async () => {
    // A trigger that refuses every release makes the expiry's transaction fail.
    await w.db.raw(`
      CREATE FUNCTION beat_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected: no release today'; END $$;
      CREATE TRIGGER beat_test_refuse BEFORE DELETE ON pending_balance_changes FOR EACH ROW EXECUTE FUNCTION beat_test_refuse();
    `)
    try {
      const store = new PostgresBalanceStore(w.db)
      const digest = `stuck-${randomBytes(4).toString('hex')}`
      await store.addPending({accountId: ids.cy, token: 'SUI'}, 5n, digest)
      await w.db('pending_balance_changes').where({tx_digest: digest}).update({created_at: w.db.raw(`now() - interval '1 hour'`)})
      const {worker, runs} = await beatThenWork(['expire-pending'])
      assert.deepEqual(worker.json.beat, {done: 0, failed: 1, skipped: 0})
      assert.equal(runs[0]?.outcome, 'failed')
      assert.match(String(runs[0]?.detail?.error), /injected: no release today/)
      assert.match(worker.result.stderr, /beat task failed/)
      // Not retried: nothing is left in the queue, and a second drain runs nothing.
      assert.deepEqual((await drain(w)).json.beat, {done: 0, failed: 0, skipped: 0})
    } finally {
      await w.db.raw('DROP TRIGGER IF EXISTS beat_test_refuse ON pending_balance_changes; DROP FUNCTION IF EXISTS beat_test_refuse();')
      await w.db('pending_balance_changes').where({account_id: ids.cy}).delete()
    }
  })
})
