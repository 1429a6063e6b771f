// Migration 20261205000000 over the rows a running install already has: runs superseded under the
// old scheme (`failed`, "superseded by ...") become `superseded`; of two runs of one task left
// started (a worker that died, its job lost), the older is finished so the one-running index can be
// built; the index then refuses a second running run of a task. Down restores the old shape.
import assert from 'node:assert/strict'
import {fileURLToPath} from 'node:url'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {migrateLatest} from '../../src/store/migrator.ts'
import {createScratchDatabase, dropDatabase, TEST_DATABASE} from '../support/global-setup.ts'

const MIGRATION = '20261205000000_beat_one_run_per_task.ts'
const config = {directory: fileURLToPath(new URL('../../src/store/migrations', import.meta.url)), loadExtensions: ['.ts'], tableName: 'knex_migrations'}

describe('migration: one running run per beat task, superseded runs apart', () => {
  let db: Database

  before(async () => {
    db = createDatabase({url: await createScratchDatabase('beat_runs')})
    await migrateLatest(db)
    await db.migrate.down({...config, name: MIGRATION})
  })

  after(async () => {
    await db.destroy()
    await dropDatabase(`${TEST_DATABASE}_beat_runs`)
  })

  const rows = async () =>
    (await db('beat_runs').orderBy(['task', 'slot_start']).select('task', 'slot_start', 'started_at', 'finished_at', 'outcome', 'detail')).map((r) => [
      r.task,
      (r.slot_start as Date).toISOString(),
      r.started_at !== null,
      r.finished_at !== null,
      r.outcome,
      r.detail,
    ])

  it('relabels superseded runs, finishes the older of two running runs of a task, then refuses a second', async () => {
    const superseded = {error: 'superseded by the run of 2026-11-29T10:01:00.000Z: no worker started it in its slot'}
    await db('beat_runs').insert([
      {task: 'expire-pending', slot_start: '2026-11-29T10:00:00Z', finished_at: '2026-11-29T10:01:00Z', outcome: 'failed', detail: superseded},
      {task: 'expire-pending', slot_start: '2026-11-29T10:01:00Z', started_at: '2026-11-29T10:01:01Z', finished_at: '2026-11-29T10:01:02Z', outcome: 'failed', detail: {error: 'boom'}},
      {task: 'reconcile', slot_start: '2026-11-29T09:00:00Z', started_at: '2026-11-29T09:00:01Z'},
      {task: 'reconcile', slot_start: '2026-11-29T10:00:00Z', started_at: '2026-11-29T10:00:01Z'},
    ])
    await migrateLatest(db)
    const stopped = {error: 'its worker stopped mid-run; the next slot runs the task again'}
    assert.deepEqual(await rows(), [
      ['expire-pending', '2026-11-29T10:00:00.000Z', false, true, 'superseded', {supersededBy: '2026-11-29T10:01:00.000Z'}],
      ['expire-pending', '2026-11-29T10:01:00.000Z', true, true, 'failed', {error: 'boom'}],
      ['reconcile', '2026-11-29T09:00:00.000Z', true, true, 'failed', stopped],
      ['reconcile', '2026-11-29T10:00:00.000Z', true, false, null, null],
    ])
    await db('beat_runs').insert({task: 'reconcile', slot_start: '2026-11-29T11:00:00Z'})
    await assert.rejects(db('beat_runs').where({task: 'reconcile', slot_start: '2026-11-29T11:00:00Z'}).update({started_at: db.fn.now()}), /beat_runs_running_idx/)
    // Another task's run may run beside it.
    await db('beat_runs').insert({task: 'cleanup', slot_start: '2026-11-29T02:00:00Z', started_at: db.fn.now()})

    await db.migrate.down({...config, name: MIGRATION})
    assert.deepEqual((await rows()).find((r) => r[0] === 'expire-pending'), ['expire-pending', '2026-11-29T10:00:00.000Z', false, true, 'failed', superseded])
    await assert.rejects(db('beat_runs').where({task: 'expire-pending', slot_start: '2026-11-29T10:00:00Z'}).update({outcome: 'superseded'}), /beat_runs_outcome_check/)
  })
})
