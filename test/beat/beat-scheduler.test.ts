// The beat's scheduling on the real PostgreSQL and Redis: each run once whoever schedules it (two
// schedulers at once, two `confio beat` processes, two `--once`), one lease holder and a standby
// that takes over, a missed schedule run once after an outage, runs nobody started superseded, runs
// whose worker died finished instead of holding their task back, and lost jobs queued again.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {beatLease} from '../../src/beat/beat-lease.ts'
import {formatTimeOfDay} from '../../src/beat/beat-schedule.ts'
import {BeatScheduler, type PlannedTask} from '../../src/beat/beat-scheduler.ts'
import {BEAT_TASKS} from '../../src/beat/beat-tasks.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {BeatQueue, beatJobId} from '../../src/queue/beat-queue.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {jsonOf, runCli} from '../support/cli.ts'

const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})

const PLAN: PlannedTask[] = [
  {task: 'refresh-stale-balances', schedule: {everyMs: 300_000}, params: {limit: 100}},
  {task: 'reconcile', schedule: {everyMs: 3_600_000}, params: {olderThanMs: 3_600_000}},
  {task: 'expire-pending', schedule: {everyMs: 60_000}, params: {ttlMs: 600_000}},
  {task: 'cleanup', schedule: {dailyAtMinute: 120}, params: {retentionMs: 90 * 86_400_000}},
]

interface RunRow {
  task: string
  slot: string
  started: boolean
  outcome: string | null
  detail: Record<string, unknown> | null
}

describe('confio beat: scheduling', function () {
  this.timeout(90_000)
  let db: Database
  let prefix: string
  let queue: BeatQueue
  const children: ConfioProcess[] = []

  const runsOf = async (): Promise<RunRow[]> =>
    (await db('beat_runs').select('task', 'slot_start', 'started_at', 'outcome', 'detail').orderBy(['task', 'slot_start'])).map((r) => ({
      task: r.task,
      slot: (r.slot_start as Date).toISOString(),
      started: r.started_at !== null,
      outcome: r.outcome,
      detail: r.detail,
    }))

  /** `confio worker --drain` on this test's queue; its beat counts. */
  async function drainBeat(): Promise<unknown> {
    const worker = await runCli(['worker', '--drain', '--json'], {env: {REDIS_PREFIX: prefix}})
    assert.equal(worker.code, 0, worker.stderr)
    return jsonOf<{beat: unknown}>(worker).beat
  }

  const outcomesOf = async () => (await runsOf()).map((r) => [r.slot, r.outcome, r.detail?.error ?? null])

  function scheduler(now: () => Date, plan: PlannedTask[] = PLAN): BeatScheduler {
    return new BeatScheduler({db, queue, lease: beatLease(process.env.DATABASE_URL as string), plan, once: true, logger: silent, now})
  }

  before(async () => {
    db = createDatabase({url: process.env.DATABASE_URL as string})
  })

  beforeEach(async () => {
    await db('beat_runs').delete()
    prefix = `${process.env.REDIS_PREFIX}beat${randomBytes(3).toString('hex')}:`
    queue = new BeatQueue({redisUrl: process.env.REDIS_URL as string, redisPrefix: prefix})
    await queue.ready()
  })

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.child.exitCode === null) child.kill('SIGKILL')
    await queue.close()
  })

  after(async () => {
    await db('beat_runs').delete()
    await db.destroy()
  })

  it('two schedulers at the same moment record and queue each run once', async () => {
    const now = () => new Date('2026-11-29T10:07:30Z')
    const [a, b] = [scheduler(now), scheduler(now)]
    const scheduled = (await Promise.all([a.scheduleDue(), b.scheduleDue(), a.scheduleDue(), b.scheduleDue()])).flat()
    const expected = [
      'cleanup:2026-11-29T02:00:00.000Z',
      'expire-pending:2026-11-29T10:07:00.000Z',
      'reconcile:2026-11-29T10:00:00.000Z',
      'refresh-stale-balances:2026-11-29T10:05:00.000Z',
    ]
    assert.deepEqual(scheduled.map((r) => r.jobId).sort(), expected)
    assert.deepEqual((await runsOf()).map((r) => `${r.task}:${r.slot}`), expected)
    assert.deepEqual((await queue.waitingIds()).sort(), expected)
  })

  it("records each run with the start of its task's next slot under the plan: what confio status shows as next", async () => {
    await scheduler(() => new Date('2026-11-29T10:07:30Z')).scheduleDue()
    const rows = await db('beat_runs').select('task', 'next_slot_start').orderBy('task')
    assert.deepEqual(
      rows.map((r) => [r.task, (r.next_slot_start as Date).toISOString()]),
      [
        ['cleanup', '2026-11-30T02:00:00.000Z'],
        ['expire-pending', '2026-11-29T10:08:00.000Z'],
        ['reconcile', '2026-11-29T11:00:00.000Z'],
        ['refresh-stale-balances', '2026-11-29T10:10:00.000Z'],
      ],
    )
  })

  it('a job id names its slot: creating it again while it exists is a no-op', async () => {
    const job = {task: 'reconcile', slotStart: '2026-11-29T10:00:00.000Z', params: {olderThanMs: 3_600_000}}
    assert.equal(await queue.enqueue(job), true)
    assert.equal(await queue.enqueue(job), false)
    assert.deepEqual(await queue.waitingIds(), ['reconcile:2026-11-29T10:00:00.000Z'])
  })

  it('after three hourly slots down, runs the missed reconcile once, then keeps the schedule', async () => {
    await db('beat_runs').insert({task: 'reconcile', slot_start: new Date('2026-11-29T07:00:00Z'), started_at: new Date('2026-11-29T07:00:01Z'), finished_at: new Date('2026-11-29T07:00:09Z'), outcome: 'done'})
    let clock = new Date('2026-11-29T10:20:00Z')
    const beat = scheduler(() => clock, PLAN.filter((p) => p.task === 'reconcile'))
    assert.deepEqual((await beat.scheduleDue()).map((r) => r.slotStart), ['2026-11-29T10:00:00.000Z'])
    clock = new Date('2026-11-29T10:59:59Z')
    assert.deepEqual(await beat.scheduleDue(), [])
    clock = new Date('2026-11-29T11:00:00Z')
    assert.deepEqual((await beat.scheduleDue()).map((r) => r.slotStart), ['2026-11-29T11:00:00.000Z'])
    assert.deepEqual(
      (await runsOf()).map((r) => r.slot),
      ['2026-11-29T07:00:00.000Z', '2026-11-29T10:00:00.000Z', '2026-11-29T11:00:00.000Z'],
      'no run for 08:00 or 09:00',
    )
    // A beat restarted within the slot schedules nothing more.
    assert.deepEqual(await scheduler(() => clock, PLAN.filter((p) => p.task === 'reconcile')).scheduleDue(), [])
  })

  it('supersedes a run no worker started before its next slot', async () => {
    let clock = new Date('2026-11-29T10:00:30Z')
    const beat = scheduler(() => clock, PLAN.filter((p) => p.task === 'expire-pending'))
    await beat.scheduleDue()
    clock = new Date('2026-11-29T10:01:10Z')
    await beat.scheduleDue()
    const [old, current] = await runsOf()
    assert.deepEqual([old?.slot, old?.started, old?.outcome, old?.detail], ['2026-11-29T10:00:00.000Z', false, 'superseded', {supersededBy: '2026-11-29T10:01:00.000Z'}])
    assert.deepEqual([current?.slot, current?.outcome], ['2026-11-29T10:01:00.000Z', null])
  })

  it('the worker skips a superseded run and does not run again one whose worker died', async () => {
    let clock = new Date('2026-11-29T10:00:30Z')
    const beat = scheduler(() => clock, PLAN.filter((p) => p.task === 'expire-pending'))
    await beat.scheduleDue()
    clock = new Date('2026-11-29T10:01:10Z')
    await beat.scheduleDue()
    // A run a worker had started when it died; bee-queue's stall check hands its job to another.
    await db('beat_runs').insert({task: 'expire-pending', slot_start: new Date('2026-11-29T09:00:00Z'), started_at: new Date('2026-11-29T09:00:01Z')})
    await queue.enqueue({task: 'expire-pending', slotStart: '2026-11-29T09:00:00.000Z', params: {ttlMs: 600_000}})

    assert.deepEqual(await drainBeat(), {done: 1, failed: 1, skipped: 1})
    assert.deepEqual(await outcomesOf(), [
      ['2026-11-29T09:00:00.000Z', 'failed', 'its worker stopped mid-run; the next slot runs the task again'],
      ['2026-11-29T10:00:00.000Z', 'superseded', null],
      ['2026-11-29T10:01:00.000Z', 'done', null],
    ])
    // 10:01 was not started while 09:00 still counted as running.
    const times = await db('beat_runs').where({task: 'expire-pending'}).orderBy('slot_start').select('started_at', 'finished_at')
    assert.ok(times[2].started_at >= times[0].finished_at, JSON.stringify(times))
    assert.deepEqual(await queue.waitingIds(), [])
  })

  it('a started run whose job Redis lost holds its task back no longer: recorded failed, and the next slot runs', async () => {
    // Its worker died and Redis lost the job (a restart without persistence): no one would ever finish it.
    await db('beat_runs').insert({task: 'expire-pending', slot_start: new Date('2026-11-29T09:00:00Z'), started_at: new Date('2026-11-29T09:00:01Z')})
    const beat = scheduler(() => new Date('2026-11-29T10:01:10Z'), PLAN.filter((p) => p.task === 'expire-pending'))
    await beat.scheduleDue()

    assert.deepEqual(await drainBeat(), {done: 1, failed: 1, skipped: 0})
    assert.deepEqual(await outcomesOf(), [
      ['2026-11-29T09:00:00.000Z', 'failed', 'Redis no longer holds its job, so no worker will finish it; the next slot runs the task again'],
      ['2026-11-29T10:01:00.000Z', 'done', null],
    ])
  })

  it('queues again a current run whose job Redis lost', async () => {
    const clock = new Date()
    const beat = scheduler(() => clock, PLAN.filter((p) => p.task === 'cleanup'))
    const [run] = await beat.scheduleDue()
    assert.ok(run)
    await queue.queue.removeJob(run.jobId)
    assert.equal(await beat.sweep(), 0, 'a run just recorded is left to the beat creating its job')
    await db('beat_runs').update({enqueued_at: db.raw(`now() - interval '1 minute'`)})
    assert.equal(await beat.sweep(), 1)
    assert.deepEqual(await queue.waitingIds(), [run.jobId])
    assert.equal(await beat.sweep(), 0, 'a job Redis holds is left alone')
  })

  it('two confio beat processes: one schedules, the other waits as a standby and takes over without scheduling anything twice', async () => {
    // Intervals long enough that no slot boundary falls inside the test.
    const cleanupAt = formatTimeOfDay((new Date().getUTCHours() * 60 + new Date().getUTCMinutes() + 720) % 1440)
    const args = ['beat', '--log-level', 'info', '--refresh-every', '30d', '--reconcile-every', '30d', '--expire-every', '30d', '--cleanup-at', cleanupAt]
    const env = {REDIS_PREFIX: prefix}
    const first = new ConfioProcess(args, env)
    const second = new ConfioProcess(args, env)
    children.push(first, second)
    await eventually(async () => /holding the beat lease/.test(first.stderr + second.stderr) && /waiting as a standby/.test(first.stderr + second.stderr), 20_000, 'one active beat and one standby')
    const [active, standby] = /holding the beat lease/.test(first.stderr) ? [first, second] : [second, first]
    assert.doesNotMatch(standby.stderr, /holding the beat lease/)
    // A run is recorded, then its job queued: wait for both, or the last task's job may not be there yet.
    await eventually(async () => (await runsOf()).length === BEAT_TASKS.length && (await queue.waitingIds()).length === BEAT_TASKS.length, 15_000, 'every task scheduled and queued')
    const ids = (await runsOf()).map((r) => beatJobId(r.task, new Date(r.slot))).sort()
    assert.deepEqual((await queue.waitingIds()).sort(), ids)

    active.kill('SIGTERM')
    assert.equal(await active.exited, 0, active.stderr)
    assert.match(active.stdout, /^Stopped \(signal\): 4 runs scheduled:/m)
    await standby.waitForLog(/holding the beat lease/, 15_000)
    await new Promise((resolve) => setTimeout(resolve, 1_500)) // a tick or more as the active beat
    assert.equal((await runsOf()).length, BEAT_TASKS.length)
    assert.deepEqual((await queue.waitingIds()).sort(), ids, 'the new active beat queued nothing again')
    standby.kill('SIGTERM')
    assert.equal(await standby.exited, 0, standby.stderr)
    assert.match(standby.stdout, /^Stopped \(signal\): 0 runs scheduled\./m)
  })

  it('two confio beat --once at once: each run scheduled once between them; a third schedules nothing', async () => {
    const env = {REDIS_PREFIX: prefix}
    const results = await Promise.all([runCli(['beat', '--once', '--json'], {env}), runCli(['beat', '--once', '--json'], {env})])
    for (const result of results) assert.equal(result.code, 0, result.stderr)
    const scheduled = results.flatMap((r) => jsonOf<{scheduled: {jobId: string}[]}>(r).scheduled.map((s) => s.jobId))
    const rows = await runsOf()
    assert.equal(new Set(rows.map((r) => r.task)).size, BEAT_TASKS.length)
    // A slot boundary may fall between the two runs; every run recorded was scheduled exactly once.
    assert.deepEqual(scheduled.sort(), rows.map((r) => beatJobId(r.task, new Date(r.slot))).sort())
    assert.deepEqual((await queue.waitingIds()).sort(), scheduled)
    const third = await runCli(['beat', '--once', '--json', '--task', 'cleanup', '--task', 'reconcile'], {env})
    assert.equal(third.code, 0, third.stderr)
    assert.deepEqual(jsonOf<{scheduled: unknown[]; stoppedBy: string}>(third), {...jsonOf(third), stoppedBy: 'once', scheduled: []})
  })
})
