// confio status, the real CLI on a world the pipeline has run over (poll, worker drain): the one
// screen and its JSON on a healthy world (exit 0), each alarm with its reason (exit 1), Redis down
// still answering with one screen, no chain call without --chain, and --watch frames until a signal.
import assert from 'node:assert/strict'
import {hostname} from 'node:os'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {pollerLease} from '../../src/ingest/poller-lease.ts'
import {TransactionQueue} from '../../src/queue/transaction-queue.ts'
import type {Lease} from '../../src/store/lease.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {type CliResult, jsonOf, runCli} from '../support/cli.ts'
import {drain, enqueue, pollOnce, startWorld, type WorkerWorld} from '../processing/worker-support.ts'

interface StatusJson {
  healthy: boolean
  alarms: {code: string; message: string}[]
  thresholds: {maxLag: number; maxCursorAgeMs: number; maxOutboxAgeMs: number; maxStallMs: number}
  poller: {
    lease: {holder: {pid: number | null; host: string | null; wrapperPid: number | null; backendPid: number; applicationName: string | null; backendStart: string | null} | null}
    cursor: {name: string; checkpoint: string; updatedAt: string; ageMs: number} | null
    chain: null | {available: true; tip: string; lagCheckpoints: string | null; lagMs: number | null} | {available: false; error: string}
  }
  queue: {available: true; queues: {name: string; waiting: number; active: number; delayed: number; failed: number | null}[]} | {available: false; error: string}
  processing: {failed: {count: number; newest: {digest: string; error: string | null}[]}; unprocessed: {count: number; oldest: {digest: string; checkpoint: string} | null}}
  balances: {
    rows: number
    stale: number
    withoutBase: number
    drift: {open: number; largest: {token: string; cached: string | null; chain: string; difference: string}[]}
    lastReconcile: {id: string; outcome: string | null; checked: number} | null
    cacheOutbox: {backlog: number; oldestAgeMs: number | null}
  }
  beat: {
    tasks: {task: string; slotStart: string; state: string; outcome: string | null; lastSuccess: {slotStart: string; finishedAt: string} | null; supersededLastDay: number; nextRun: string | null}[]
    scheduleKnown: boolean
  }
}

const SECTIONS = ['Poller', 'Queue', 'Processing', 'Balances', 'Beat']

function codesOf(json: StatusJson): string[] {
  return json.alarms.map((a) => a.code)
}

/** The ALARM lines of a text screen. */
function alarmLines(result: CliResult): string[] {
  return result.stdout.split('\n').filter((line) => line.trim().startsWith('ALARM '))
}

/** A screen that exits 1 with exactly one alarm: that alarm's line. */
function theOneAlarm(result: CliResult): string {
  assert.equal(result.code, 1, result.stdout + result.stderr)
  const lines = alarmLines(result)
  assert.equal(lines.length, 1, lines.join('\n'))
  return lines[0]!
}

function assertOneScreen(result: CliResult): void {
  for (const section of SECTIONS) assert.match(result.stdout, new RegExp(`^${section}$`, 'm'), `section ${section} in:\n${result.stdout}`)
  assert.doesNotMatch(result.stderr, /\n\s+at /, `no stack trace:\n${result.stderr}`)
}

describe('confio status', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let lease: Lease | undefined
  let ana: {id: string; email: string}

  const status = (args: string[] = [], env: Record<string, string> = {}) => runCli(['status', ...args], {env: {...w.env, ...env}})
  const statusJson = async (args: string[] = [], env: Record<string, string> = {}) => {
    const result = await status(['--json', ...args], env)
    return {result, json: jsonOf<StatusJson>(result)}
  }
  const chainCalls = () => Object.values(w.sui.faults.callCounts()).reduce((sum, n) => sum + n, 0)

  /** Stands in for a running poller: holds its lease, as `confio poll` does, on a connection of its own. */
  async function holdLease(): Promise<void> {
    lease = pollerLease(process.env.DATABASE_URL as string)
    assert.equal(await lease.tryAcquire(), true)
  }
  async function releaseLease(): Promise<void> {
    await lease?.release()
    lease = undefined
  }
  async function leasePid(): Promise<number> {
    const {rows} = await w.db.raw(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'confio-lease:checkpoints'`)
    assert.equal(rows.length, 1, 'one lease connection')
    return rows[0].pid as number
  }
  /** A poller that just committed: the cursor's last commit is now. */
  const touchCursor = () => w.db('ingest_cursors').where({name: POLLER_CURSOR}).update({updated_at: w.db.fn.now()})

  before(async () => {
    w = await startWorld(['st-ana', 'st-ben'])
    const [address, other] = Object.keys(w.accounts) as [string, string]
    w.sui.ledger.mint(address, w.coins.SUI, 5_000_000_000n)
    w.sui.ledger.mint(address, w.coins.CUSD, 20_000_000n)
    await pollOnce(w)
    w.sui.ledger.transfer({from: address, to: other, coinType: w.coins.CUSD, amount: 2_500_000n})
    await pollOnce(w)
    await drain(w)
    const row = await w.db('accounts').where({id: w.accounts[address]}).first('id', 'email')
    ana = {id: String(row.id), email: row.email}
    // Other files of this database (one mocha worker's) leave scheduled runs, failed transactions,
    // drift and cache outbox rows behind; the screen here must show only this file's.
    await w.db('beat_runs').delete()
    await w.db.raw('TRUNCATE transaction_processing_log, balance_cache_outbox')
    await w.db('balance_drift').whereNull('closed_at').update({closed_at: w.db.fn.now()})
    await holdLease()
  })

  beforeEach(async () => {
    await touchCursor()
    w.sui.faults.reset()
  })

  after(async () => {
    await releaseLease()
    await w?.close()
  })

  it('a healthy world: the one screen, exit 0, and not one chain call', async () => {
    const result = await status()
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(result.stderr, '')
    assertOneScreen(result)
    const cursor = await w.db('ingest_cursors').where({name: POLLER_CURSOR}).first('checkpoint')
    assert.match(result.stdout, /^confio status \S+ \S+: healthy$/m)
    assert.deepEqual(alarmLines(result), [])
    // The lease is this test process's: its pid is the one to stop; the backend's is PostgreSQL's.
    assert.match(result.stdout, new RegExp(`^ {2}lease +held by pid ${process.pid} on ${hostname()}, token \\d+$`, 'm'))
    assert.match(result.stdout, new RegExp(`^ {2}lease session +PostgreSQL backend pid ${await leasePid()} .*confio-lease:checkpoints`, 'm'))
    assert.match(result.stdout, new RegExp(`cursor +checkpoint ${cursor.checkpoint}, last commit \\d+\\.\\d s ago`))
    assert.match(result.stdout, /chain +not asked/)
    assert.match(result.stdout, /^ {2}process-transaction +0 +0 +0 +0$/m)
    assert.match(result.stdout, /^ {2}beat +0 +0 +0 +-$/m)
    assert.match(result.stdout, /unprocessed +0$/m)
    assert.match(result.stdout, /tasks +none has run yet/)
    assert.equal(chainCalls(), 0, `chain calls without --chain: ${JSON.stringify(w.sui.faults.callCounts())}`)
  })

  it('--json: the whole typed result, bigints as strings, and not one chain call', async () => {
    const {result, json} = await statusJson()
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(json.healthy, true)
    assert.deepEqual(json.alarms, [])
    assert.deepEqual(json.thresholds, {maxLag: 100, maxCursorAgeMs: 60_000, maxOutboxAgeMs: 60_000, maxStallMs: 30_000})
    assert.equal(json.poller.lease.holder?.pid, process.pid)
    assert.equal(json.poller.lease.holder?.host, hostname())
    assert.equal(json.poller.lease.holder?.wrapperPid, null)
    assert.equal(json.poller.lease.holder?.backendPid, await leasePid())
    assert.equal(json.poller.lease.holder?.applicationName, 'confio-lease:checkpoints')
    const cursor = await w.db('ingest_cursors').where({name: POLLER_CURSOR}).first('checkpoint')
    assert.equal(json.poller.cursor?.checkpoint, String(cursor.checkpoint))
    assert.ok(json.poller.cursor.ageMs >= 0 && json.poller.cursor.ageMs < 30_000, `cursor age ${json.poller.cursor.ageMs}`)
    assert.equal(json.poller.chain, null)
    assert.deepEqual(json.queue, {
      available: true,
      queues: [
        {name: 'process-transaction', waiting: 0, active: 0, delayed: 0, failed: 0},
        {name: 'beat', waiting: 0, active: 0, delayed: 0, failed: null},
      ],
    })
    assert.deepEqual(json.processing, {failed: {count: 0, newest: []}, unprocessed: {count: 0, oldest: null}})
    const counts = await w.db.raw(`SELECT count(*)::int AS n, count(*) FILTER (WHERE is_stale)::int AS stale, count(*) FILTER (WHERE base_checkpoint IS NULL)::int AS no_base FROM balances`)
    assert.ok(counts.rows[0].n > 0, 'the worker wrote balance rows')
    assert.deepEqual([json.balances.rows, json.balances.stale, json.balances.withoutBase], [counts.rows[0].n, counts.rows[0].stale, counts.rows[0].no_base])
    assert.deepEqual(json.balances.drift, {open: 0, largest: []})
    assert.equal(json.beat.scheduleKnown, true, 'no task has run: none has a next run to miss')
    assert.equal(chainCalls(), 0, `chain calls without --chain: ${JSON.stringify(w.sui.faults.callCounts())}`)
  })

  it('a failed transaction in the log: exit 1, PROCESSING_FAILED naming it and its error', async () => {
    const digest = 'StatusFailedDigest1111111111111111111111111'
    await w.db('transaction_processing_log').insert({tx_digest: digest, status: 'failed', attempts: 3, error_message: 'handler blew up: bad balance change', finished_at: w.db.fn.now()})
    try {
      const result = await status()
      assertOneScreen(result)
      assert.match(theOneAlarm(result), new RegExp(`ALARM PROCESSING_FAILED +1 transaction failed processing \\(newest ${digest}: handler blew up: bad balance change\\)`))
      // No raw event: it names no account ('-').
      assert.match(result.stdout, new RegExp(`^ {4}${digest} +\\S+ \\S+ +3 +- +handler blew up`, 'm'))
      const {json} = await statusJson()
      assert.equal(json.healthy, false)
      assert.deepEqual(codesOf(json), ['PROCESSING_FAILED'])
      assert.equal(json.processing.failed.count, 1)
      assert.equal(json.processing.failed.newest[0]?.digest, digest)
    } finally {
      await w.db('transaction_processing_log').where({tx_digest: digest}).delete()
    }
  })

  it('an open drift record: exit 1, BALANCE_DRIFT, the amounts in display units', async () => {
    const [row] = await w.db('balance_drift')
      .insert({account_id: ana.id, token: 'CUSD', cached_amount: '10000000', chain_amount: '12500000', difference: '2500000', chain_checkpoint: '7'})
      .returning('id')
    try {
      const result = await status()
      assert.match(theOneAlarm(result), new RegExp(`ALARM BALANCE_DRIFT +1 cached balance disagrees with the chain \\(largest: CUSD of ${ana.email}\\)`))
      assert.match(result.stdout, new RegExp(`^ {4}${ana.email} +CUSD +10 +12\\.5 +\\+2\\.5 +1 `, 'm'))
      const {json} = await statusJson()
      assert.deepEqual(codesOf(json), ['BALANCE_DRIFT'])
      assert.deepEqual(json.balances.drift.largest.map((d) => [d.token, d.cached, d.chain, d.difference]), [['CUSD', '10000000', '12500000', '2500000']])
      // A closed record is history, not an alarm.
      await w.db('balance_drift').where({id: row.id}).update({closed_at: w.db.fn.now()})
      assert.equal((await status()).code, 0)
    } finally {
      await w.db('balance_drift').where({id: row.id}).delete()
    }
  })

  it('drift in a token no longer registered: its amounts in base units, labelled so', async () => {
    const [row] = await w.db('balance_drift')
      .insert({account_id: ana.id, token: 'USDT', cached_amount: '10000000', chain_amount: '12500000', difference: '2500000', chain_checkpoint: '7'})
      .returning('id')
    try {
      const result = await status()
      assert.match(result.stdout, new RegExp(`^ {4}${ana.email} +USDT +10000000 \\(base units\\) +12500000 \\(base units\\) +\\+2500000 \\(base units\\) +1 `, 'm'))
    } finally {
      await w.db('balance_drift').where({id: row.id}).delete()
    }
  })

  it('a balance change not in Redis for longer than --max-outbox-age (60 s): exit 1, CACHE_OUTBOX_BEHIND', async () => {
    // A change the relay set aside (Redis would neither write nor delete its key) 90 s ago, and a new one.
    const rows = await w.db('balance_cache_outbox')
      .insert([
        {account_id: ana.id, token: 'CUSD', created_at: w.db.raw(`now() - interval '90 seconds'`), attempts: 4, retry_at: w.db.raw(`now() + interval '1 minute'`)},
        {account_id: ana.id, token: 'SUI'},
      ])
      .returning('id')
    try {
      const result = await status()
      assert.match(theOneAlarm(result), /ALARM CACHE_OUTBOX_BEHIND +2 balance changes have not reached Redis, the oldest for (9\d|1\d\d) s \(limit 60 s\): Redis refuses the relay's writes or no worker runs/)
      assert.match(result.stdout, /cache outbox +2 not yet in Redis, oldest \d+ s old/)
      const {json} = await statusJson()
      assert.deepEqual(codesOf(json), ['CACHE_OUTBOX_BEHIND'])
      assert.equal(json.balances.cacheOutbox.backlog, 2)
      const patient = await statusJson(['--max-outbox-age', '5m'])
      assert.deepEqual([patient.result.code, codesOf(patient.json), patient.json.thresholds.maxOutboxAgeMs], [0, [], 300_000])
    } finally {
      await w.db('balance_cache_outbox').whereIn('id', rows.map((r) => r.id)).delete()
    }
  })

  it('--chain: the lag behind the tip, an alarm past --max-lag', async () => {
    for (let i = 0; i < 5; i++) w.sui.ledger.produceCheckpoint()
    const cursor = await w.db('ingest_cursors').where({name: POLLER_CURSOR}).first('checkpoint')
    assert.equal(w.sui.ledger.checkpointHeight - BigInt(cursor.checkpoint), 5n)
    try {
      const behind = await status(['--chain', '--max-lag', '2'])
      assert.match(theOneAlarm(behind), new RegExp(`ALARM POLLER_LAG +the cursor \\(checkpoint ${cursor.checkpoint}\\) is 5 checkpoints behind the tip ${w.sui.ledger.checkpointHeight}, \\d+(\\.\\d)? (s|min) \\(limit 2\\)`))
      assert.match(behind.stdout, new RegExp(`chain +tip ${w.sui.ledger.checkpointHeight} at .*: 5 checkpoints behind`))
      assert.ok(chainCalls() > 0, 'status --chain asked the chain')

      const {result, json} = await statusJson(['--chain', '--max-lag', '5'])
      assert.equal(result.code, 0, result.stdout + result.stderr)
      assert.equal(json.healthy, true)
      assert.ok(json.poller.chain?.available)
      assert.equal(json.poller.chain.lagCheckpoints, '5')
      // In time: from the cursor's checkpoint to the tip, by the checkpoints' own timestamps.
      const sealedAt = (sequence: bigint) => w.sui.ledger.checkpoint(sequence)!.timestampMs
      assert.equal(json.poller.chain.lagMs, Number(sealedAt(w.sui.ledger.checkpointHeight) - sealedAt(BigInt(cursor.checkpoint))))
      assert.equal(json.thresholds.maxLag, 5)
    } finally {
      await w.db('ingest_cursors').where({name: POLLER_CURSOR}).update({checkpoint: w.sui.ledger.checkpointHeight.toString()})
    }
  })

  it('--max-lag without --chain is a usage error', async () => {
    const result = await status(['--max-lag', '3'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /--chain/)
  })

  it('Redis unreachable: the queue is unavailable, an alarm, and still the one screen', async () => {
    const result = await status([], {REDIS_URL: 'redis://127.0.0.1:1'})
    assertOneScreen(result)
    assert.match(theOneAlarm(result), /ALARM QUEUE_UNAVAILABLE +Redis did not answer \(cannot use Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/)
    assert.match(result.stdout, /^Queue\n {2}unavailable +cannot use Redis/m)
    // The rest is read as usual.
    assert.match(result.stdout, /lease +held by pid/)
    const {json} = await statusJson([], {REDIS_URL: 'redis://127.0.0.1:1'})
    assert.equal(json.queue.available, false)
    assert.deepEqual(codesOf(json), ['QUEUE_UNAVAILABLE'])
  })

  it('failed jobs in the queue: QUEUE_FAILED beside the failed transaction', async () => {
    const digest = 'StatusUnknownDigest11111111111111111111111'
    await enqueue(w, [digest])
    await drain(w)
    try {
      const {result, json} = await statusJson()
      assert.equal(result.code, 1, result.stdout + result.stderr)
      assert.deepEqual(codesOf(json), ['QUEUE_FAILED', 'PROCESSING_FAILED'])
      assert.match(json.alarms[0]!.message, /^1 process-transaction job failed for good; confio worker --retry-failed/)
      assert.ok(json.queue.available && json.queue.queues[0]?.failed === 1)
    } finally {
      const queue = new TransactionQueue({redisUrl: process.env.REDIS_URL as string, redisPrefix: w.prefix})
      await queue.queue.removeJob(digest)
      await queue.close()
      await w.db('transaction_processing_log').where({tx_digest: digest}).delete()
    }
    assert.equal((await status()).code, 0)
  })

  it('no poller holds the lease: NO_POLLER; a held lease with a cursor that does not move: POLLER_STALLED', async () => {
    await releaseLease()
    try {
      const {result, json} = await statusJson()
      assert.equal(result.code, 1)
      assert.deepEqual(codesOf(json), ['NO_POLLER'])
      assert.equal(json.poller.lease.holder, null)
    } finally {
      await holdLease()
    }
    await w.db('ingest_cursors').where({name: POLLER_CURSOR}).update({updated_at: w.db.raw(`now() - interval '5 minutes'`)})
    const stalled = await status()
    assert.match(theOneAlarm(stalled), new RegExp(`ALARM POLLER_STALLED +the cursor \\(checkpoint \\d+\\) has not moved for 5 min \\(limit 60 s\\) though pid ${process.pid} on ${hostname()} holds the lease`))
    assert.equal((await status(['--max-cursor-age', '10m'])).code, 0)
  })

  it('the lease names the poller process, its pid and host: SIGTERM to the pid on the screen stops the poller, never the database', async () => {
    await releaseLease()
    const poller = new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms'], {...w.env, LOG_LEVEL: 'info'})
    try {
      await poller.waitForLog(/holding the poller lease/)
      const {json} = await statusJson()
      const holder = json.poller.lease.holder
      assert.deepEqual([holder?.pid, holder?.host, holder?.wrapperPid], [poller.pid, hostname(), null])
      assert.equal(holder?.backendPid, await leasePid(), 'the backend pid is shown apart, as PostgreSQL’s')
      const screen = await status()
      const shown = /^ {2}lease +held by pid (\d+) on (\S+), token \d+$/m.exec(screen.stdout)
      assert.deepEqual(shown?.slice(1), [String(poller.pid), hostname()], screen.stdout)
      // What the on-call engineer does with the pid on the screen.
      process.kill(Number(shown?.[1]), 'SIGTERM')
      assert.equal(await poller.exitWithin(15_000, 'the poller stops'), 0, poller.stderr)
      assert.deepEqual((await w.db.raw('SELECT 1 AS one')).rows, [{one: 1}], 'PostgreSQL answers on')
      assert.equal((await statusJson()).json.poller.lease.holder, null, 'the poller gave the lease up')
    } finally {
      poller.kill('SIGKILL')
      await holdLease()
    }
  })

  it('beat: per task the newest run, the last success, the slots superseded in the last 24 h and the next run; unknown for a run recorded without it', async () => {
    // Whole minutes before now: the screen shows times to the second.
    const ago = (minutes: number) => new Date((Math.floor(Date.now() / 60_000) - minutes) * 60_000)
    const shown = (at: Date) => at.toISOString().replace('T', ' ').replace('.000Z', 'Z')
    const [newest, newestEnd, next] = [ago(2), ago(1), ago(-1)]
    const superseded = (slot: Date, by: Date) => ({task: 'expire-pending', slot_start: slot, enqueued_at: slot, finished_at: by, outcome: 'superseded', detail: {supersededBy: by.toISOString()}})
    await w.db('beat_runs').insert([
      {task: 'reconcile', slot_start: '2026-11-29T10:00:00Z', enqueued_at: '2026-11-29T10:00:01Z', started_at: '2026-11-29T10:00:02Z', finished_at: '2026-11-29T10:03:00Z', outcome: 'done'},
      {task: 'reconcile', slot_start: '2026-11-29T11:00:00Z', enqueued_at: '2026-11-29T11:00:01Z', started_at: '2026-11-29T11:00:02Z'},
      {task: 'cleanup', slot_start: '2026-11-29T02:00:00Z', enqueued_at: '2026-11-29T02:00:01Z', started_at: '2026-11-29T02:00:02Z', finished_at: '2026-11-29T02:00:09Z', outcome: 'failed', detail: {error: 'boom'}},
      // Two slots superseded within the last 24 h, one before; then a run that failed and the newest, done.
      superseded(ago(25 * 60), ago(25 * 60 - 1)),
      superseded(ago(120), ago(119)),
      superseded(ago(119), ago(118)),
      {task: 'expire-pending', slot_start: ago(118), enqueued_at: ago(118), started_at: ago(118), finished_at: ago(117), outcome: 'failed', detail: {error: 'boom'}},
      {task: 'expire-pending', slot_start: newest, enqueued_at: newest, started_at: newest, finished_at: newestEnd, outcome: 'done', next_slot_start: next},
    ])
    try {
      const result = await status()
      assert.equal(result.code, 0, result.stdout + result.stderr)
      assert.match(result.stdout, /^ {2}TASK +LAST SLOT +STATE +FINISHED +LAST SUCCESS +SUPERSEDED 24H +NEXT$/m)
      assert.match(result.stdout, /^ {2}cleanup +2026-11-29 02:00:00Z +failed +2026-11-29 02:00:09Z +never +0 +unknown$/m)
      assert.match(result.stdout, new RegExp(`^ {2}expire-pending +${shown(newest)} +done +${shown(newestEnd)} +${shown(newestEnd)} +2 +${shown(next)}$`, 'm'))
      assert.match(result.stdout, /^ {2}reconcile +2026-11-29 11:00:00Z +running +- +2026-11-29 10:03:00Z +0 +unknown$/m)
      assert.match(result.stdout, /^ {2}\(next runs unknown: those runs were recorded by a beat that did not record its schedule\)$/m)
      const {json} = await statusJson()
      assert.deepEqual(
        json.beat.tasks.map((t) => [t.task, t.slotStart, t.state, t.outcome, t.lastSuccess, t.supersededLastDay, t.nextRun]),
        [
          ['cleanup', '2026-11-29T02:00:00.000Z', 'failed', 'failed', null, 0, null],
          ['expire-pending', newest.toISOString(), 'done', 'done', {slotStart: newest.toISOString(), finishedAt: newestEnd.toISOString()}, 2, next.toISOString()],
          ['reconcile', '2026-11-29T11:00:00.000Z', 'running', null, {slotStart: '2026-11-29T10:00:00.000Z', finishedAt: '2026-11-29T10:03:00.000Z'}, 0, null],
        ],
      )
    } finally {
      await w.db('beat_runs').delete()
    }
  })

  it("beat: each task's next run as the beat that scheduled it recorded it, from its own flags", async () => {
    // A queue of its own: the jobs this beat creates are not the screen's.
    const beat = await runCli(['beat', '--once', '--refresh-every', '10m', '--cleanup-at', '03:30'], {env: {...w.env, REDIS_PREFIX: `${w.prefix}next:`}})
    assert.equal(beat.code, 0, beat.stderr)
    try {
      const {json} = await statusJson()
      const steps = Object.fromEntries(json.beat.tasks.map((t) => [t.task, Date.parse(t.nextRun ?? '') - Date.parse(t.slotStart)]))
      assert.deepEqual(steps, {'refresh-stale-balances': 600_000, reconcile: 3_600_000, 'expire-pending': 60_000, cleanup: 86_400_000})
      assert.equal(json.beat.scheduleKnown, true)
      assert.match(json.beat.tasks.find((t) => t.task === 'cleanup')?.nextRun ?? '', /T03:30:00\.000Z$/)
      const screen = await status()
      const reconcile = json.beat.tasks.find((t) => t.task === 'reconcile')!
      assert.match(screen.stdout, new RegExp(`^ {2}reconcile +.* +${reconcile.nextRun!.replace('T', ' ').replace('.000Z', 'Z')}$`, 'm'))
      assert.doesNotMatch(screen.stdout, /next runs unknown/)
    } finally {
      await w.db('beat_runs').delete()
    }
  })

  it('PostgreSQL unreachable: one line, exit 1', async () => {
    const result = await status(['--database-url', 'postgres://root@127.0.0.1:1/confio'])
    assert.equal(result.code, 1)
    assert.equal(result.stdout, '')
    assert.match(result.stderr.trim(), /^Error: cannot use PostgreSQL at postgres:\/\/root@127\.0\.0\.1:1\/confio: .*ECONNREFUSED[^\n]*$/)
  })

  it('--watch --json: one JSON line per frame until SIGINT, exiting with the last frame’s code', async () => {
    const watch = new ConfioProcess(['status', '--watch', '--json'], w.env)
    const frames = () => watch.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as StatusJson)
    let driftId: string | undefined
    try {
      await eventually(async () => frames().length >= 1, 20_000, 'a first frame')
      assert.equal(frames()[0]?.healthy, true, watch.stdout)
      const [row] = await w.db('balance_drift').insert({account_id: ana.id, token: 'SUI', chain_amount: '1', difference: '1', chain_checkpoint: '1'}).returning('id')
      driftId = String(row.id)
      await eventually(async () => frames().some((f) => !f.healthy), 20_000, 'a frame with the drift alarm')
      watch.kill('SIGINT')
      assert.equal(await watch.exited, 1, watch.stderr)
      const all = frames()
      assert.ok(all.length >= 2)
      assert.deepEqual(codesOf(all.at(-1)!), ['BALANCE_DRIFT'])
    } finally {
      watch.kill('SIGKILL')
      if (driftId) await w.db('balance_drift').where({id: driftId}).delete()
    }
  })

  it('--watch without a terminal: a text frame per interval until SIGTERM, exit 0 when the last was healthy', async () => {
    const watch = new ConfioProcess(['status', '--watch'], w.env)
    try {
      await eventually(async () => (watch.stdout.match(/^confio status .*: healthy$/gm) ?? []).length >= 2, 20_000, 'two text frames')
      watch.kill('SIGTERM')
      assert.equal(await watch.exited, 0, watch.stderr)
      assert.ok(!watch.stdout.includes('\u001B['), 'no terminal escapes when stdout is not a terminal')
    } finally {
      watch.kill('SIGKILL')
    }
  })
})
