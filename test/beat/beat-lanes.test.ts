// The beat's tasks side by side in one `confio worker`, on the real PostgreSQL and Redis and the
// local Sui server: a reconcile held for as long as the test likes (every ListBalances answers
// after ten minutes) does not hold back the pending expiry or the stale refresh scheduled meanwhile;
// the reconcile's next slot waits for it instead of running beside it, and is superseded (and
// counted so by `confio status`) when the slot after comes first. Claims of two slots of one task
// at the same moment (two workers) start one of them, never both.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {beatLease} from '../../src/beat/beat-lease.ts'
import {BeatRuns} from '../../src/beat/beat-runs.ts'
import {BeatScheduler, type PlannedTask} from '../../src/beat/beat-scheduler.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {BeatQueue} from '../../src/queue/beat-queue.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {startWorld, type WorkerWorld} from '../processing/worker-support.ts'

const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})
const HOUR = 3_600_000

const RECONCILE: PlannedTask = {task: 'reconcile', schedule: {everyMs: HOUR}, params: {olderThanMs: HOUR}}
const SHORT: PlannedTask[] = [
  {task: 'expire-pending', schedule: {everyMs: 60_000}, params: {ttlMs: 600_000}},
  {task: 'refresh-stale-balances', schedule: {everyMs: 300_000}, params: {limit: 100}},
]

interface RunRow {
  slot_start: Date
  started_at: Date | null
  finished_at: Date | null
  outcome: string | null
  detail: Record<string, unknown> | null
}

interface BeatTaskJson {
  task: string
  state: string
  slotStart: string
  lastSuccess: {slotStart: string; finishedAt: string} | null
  supersededLastDay: number
  nextRun: string | null
}

describe('confio worker: the beat tasks side by side', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let queue: BeatQueue
  let ann: {address: string; id: string}

  const runsOf = (task: string): Promise<RunRow[]> => w.db('beat_runs').where({task}).orderBy('slot_start').select('slot_start', 'started_at', 'finished_at', 'outcome', 'detail')

  /** A beat scheduling `plan` as if the time were `clock()`, into the world's queue. */
  const scheduler = (plan: PlannedTask[], clock: () => Date) =>
    new BeatScheduler({db: w.db, queue, lease: beatLease(process.env.DATABASE_URL as string), plan, once: true, logger: silent, now: clock})

  before(async () => {
    w = await startWorld(['lanes-ann', 'lanes-ben'])
    for (const address of Object.keys(w.accounts)) w.sui.ledger.mint(address, w.coins.SUI, 3_000_000_000n)
    w.sui.ledger.produceCheckpoint()
    const address = Object.keys(w.accounts)[0]!
    ann = {address, id: w.accounts[address]!}
    queue = new BeatQueue({redisUrl: process.env.REDIS_URL as string, redisPrefix: w.prefix})
    await queue.ready()
  })

  beforeEach(async () => {
    await w.db('beat_runs').delete()
  })

  after(async () => {
    await w?.db('beat_runs').delete()
    await w?.db('reconcile_runs').where({trigger: 'beat'}).delete()
    await w?.db('balance_cache_outbox').whereIn('account_id', Object.values(w.accounts)).delete()
    await queue?.close()
    await w?.close()
  })

  it('an expiry and a refresh scheduled while an hour-long reconcile runs finish beside it; its next slot waits, then is superseded and counted', async () => {
    // Every ListBalances answers after ten minutes (the client waits as long): the reconcile runs until the worker stops.
    w.sui.faults.latency('ListBalances', 600_000)
    const store = new PostgresBalanceStore(w.db)
    const digest = `lanes-${randomBytes(4).toString('hex')}`
    await store.addPending({accountId: ann.id, token: 'SUI'}, 700_000n, digest)
    await w.db('pending_balance_changes').where({tx_digest: digest}).update({created_at: w.db.raw(`now() - interval '11 minutes'`)})
    await w.db('balances').where({account_id: ann.id, token: 'SUI'}).update({is_stale: true, amount: '1'})

    const t0 = new Date()
    let reconcileClock = t0
    const reconcileBeat = scheduler([RECONCILE], () => reconcileClock)
    const [first] = await reconcileBeat.scheduleDue()
    assert.ok(first)
    const worker = new ConfioProcess(['worker', '--log-level', 'info', '--json', '--stall-interval', '1s'], {...w.env, SUI_GRPC_DEADLINE_MS: '600000'})
    try {
      await eventually(async () => w.sui.faults.calls('ListBalances') > 0, 30_000, 'the reconcile reading the chain')
      const [running] = await runsOf('reconcile')
      assert.deepEqual([running?.started_at !== null, running?.finished_at], [true, null])

      // Scheduled while the reconcile runs: both finish while it still runs.
      assert.equal((await scheduler(SHORT, () => t0).scheduleDue()).length, 2)
      await eventually(async () => (await Promise.all(SHORT.map((p) => runsOf(p.task)))).every(([run]) => run?.finished_at), 30_000, 'expiry and refresh finished while the reconcile runs')
      const [expiry] = await runsOf('expire-pending')
      const [refresh] = await runsOf('refresh-stale-balances')
      assert.deepEqual([expiry?.outcome, expiry?.detail?.expired], ['done', 1])
      assert.deepEqual([refresh?.outcome, refresh?.detail?.refreshed], ['done', 1])
      const reconcileNow = await runsOf('reconcile')
      assert.deepEqual(
        reconcileNow.map((r) => [r.started_at !== null, r.finished_at]),
        [[true, null]],
        'the reconcile still runs',
      )
      assert.equal((await w.db('pending_balance_changes').where({tx_digest: digest}).first()) ?? null, null, 'the pending amount was released')
      const sui = await w.db('balances').where({account_id: ann.id, token: 'SUI'}).first()
      assert.deepEqual([sui.is_stale, BigInt(sui.amount)], [false, 3_000_000_000n], 'the stale balance was read from the chain')

      // The reconcile's next slot comes while it runs: the worker takes its job and waits, it does not start it.
      reconcileClock = new Date(t0.getTime() + HOUR)
      const [second] = await reconcileBeat.scheduleDue()
      assert.ok(second)
      await worker.waitForLog(/beat run waits for the run of its task still running/, 20_000)
      assert.deepEqual(
        (await runsOf('reconcile')).map((r) => [r.started_at !== null, r.outcome]),
        [
          [true, null],
          [false, null],
        ],
      )
      // The slot after comes first: the waiting one is superseded, never run.
      reconcileClock = new Date(t0.getTime() + 2 * HOUR)
      await reconcileBeat.scheduleDue()
      await eventually(async () => /beat run already finished or superseded; skipped/.test(worker.stderr), 20_000, 'the superseded run skipped')
      const reconciles = await runsOf('reconcile')
      assert.deepEqual(
        reconciles.map((r) => [r.slot_start.toISOString(), r.started_at !== null, r.outcome, r.detail?.supersededBy ?? null]),
        [
          [first.slotStart, true, null, null],
          [second.slotStart, false, 'superseded', reconciles[2]?.slot_start.toISOString()],
          [reconciles[2]?.slot_start.toISOString(), false, null, null],
        ],
      )

      // confio status: per task its newest run, its last success, its slots superseded in the last 24 h and its next slot.
      const status = await runCli(['status', '--json'], {env: w.env})
      const tasks = jsonOf<{beat: {tasks: BeatTaskJson[]}}>(status).beat.tasks
      assert.deepEqual(
        tasks.map((t) => [t.task, t.state, t.slotStart, t.lastSuccess?.slotStart ?? null, t.supersededLastDay, Date.parse(t.nextRun ?? '') - Date.parse(t.slotStart)]),
        [
          ['expire-pending', 'done', expiry?.slot_start.toISOString(), expiry?.slot_start.toISOString(), 0, 60_000],
          ['reconcile', 'enqueued', reconciles[2]?.slot_start.toISOString(), null, 1, HOUR],
          ['refresh-stale-balances', 'done', refresh?.slot_start.toISOString(), refresh?.slot_start.toISOString(), 0, 300_000],
        ],
      )
      const next = new Date(reconciles[2]!.slot_start.getTime() + HOUR).toISOString().replace('T', ' ').replace('.000Z', 'Z')
      const text = await runCli(['status'], {env: w.env})
      assert.match(text.stdout, /^ {2}TASK +LAST SLOT +STATE +FINISHED +LAST SUCCESS +SUPERSEDED 24H +NEXT$/m)
      assert.match(text.stdout, new RegExp(`^ {2}reconcile +\\S+ \\S+ +enqueued +- +never +1 +${next}$`, 'm'))
    } finally {
      worker.kill('SIGTERM')
      assert.equal(await worker.exited, 0, worker.stderr)
    }
    // Stopped: the reconcile in hand recorded failed; the newest slot, still waiting, never started.
    const [stopped, , waiting] = await runsOf('reconcile')
    assert.deepEqual([stopped?.outcome, waiting?.started_at, waiting?.outcome], ['failed', null, null])
    assert.match(String(stopped?.detail?.error), /stopped before it finished/)
    assert.deepEqual(jsonOf<{beat: unknown}>({code: 0, stdout: worker.stdout, stderr: ''}).beat, {done: 2, failed: 1, skipped: 2})
  })

  it('two slots of one task claimed at the same moment: one starts, the other is refused while it runs', async () => {
    const runs = new BeatRuns(w.db)
    for (let round = 0; round < 20; round += 1) {
      await w.db('beat_runs').delete()
      const [early, late] = [new Date(Date.UTC(2026, 10, 29, 10, round)), new Date(Date.UTC(2026, 10, 29, 11, round))]
      await w.db('beat_runs').insert([
        {task: 'cleanup', slot_start: early},
        {task: 'cleanup', slot_start: late},
        {task: 'reconcile', slot_start: early},
      ])
      const claims = await Promise.all([runs.claim({task: 'cleanup', slotStart: early}), runs.claim({task: 'cleanup', slotStart: late}), runs.claim({task: 'reconcile', slotStart: early})])
      const states = claims.map((c) => c.state)
      assert.equal(states[2], 'claimed', 'another task is never held back')
      assert.deepEqual([...states.slice(0, 2)].sort(), ['busy', 'claimed'], `round ${round}: ${JSON.stringify(claims)}`)
      const started = await w.db('beat_runs').where({task: 'cleanup'}).whereNotNull('started_at').pluck('slot_start')
      assert.equal(started.length, 1)
      const refused = claims.find((c) => c.state === 'busy')
      assert.ok(refused?.state === 'busy' && (refused.running === null || refused.running.getTime() === (started[0] as Date).getTime()), JSON.stringify(refused))
    }
    // Once the run ends, the other slot may start.
    const runningSlot = (await w.db('beat_runs').where({task: 'cleanup'}).whereNotNull('started_at').first('slot_start')).slot_start as Date
    const otherSlot = (await w.db('beat_runs').where({task: 'cleanup'}).whereNull('started_at').first('slot_start')).slot_start as Date
    await runs.finish({task: 'cleanup', slotStart: runningSlot}, 'done', {})
    assert.deepEqual(await runs.claim({task: 'cleanup', slotStart: otherSlot}), {state: 'claimed'})
  })
})
