// Every PostgreSQL wait has a deadline: each connection kind's statement, lock and
// idle-in-transaction timeouts, the PG_* settings over them, and what an operator sees when one is
// reached (one line naming the setting).
import assert from 'node:assert/strict'
import type {Knex} from 'knex'
import {loadConfig} from '../../src/config/config.ts'
import {ConfigError} from '../../src/errors.ts'
import {translateError} from '../../src/error-translation.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {rollbackLast} from '../../src/store/migrator.ts'
import {CONNECTION_KINDS, type ConnectionKind, pgSessionOptions, SESSION_DEFAULTS, sessionTimeouts} from '../../src/store/session-settings.ts'
import {eventually} from '../support/child-process.ts'
import {emptyDir, runCli} from '../support/cli.ts'
import {createScratchDatabase, dropDatabase, TEST_DATABASE} from '../support/global-setup.ts'

const URL = () => process.env.DATABASE_URL as string

/** The three settings as the server reports them on a connection, in ms. */
async function settingsOf(db: Database): Promise<{statement: number; lock: number; idle: number; application: string}> {
  const {rows} = await db.raw<{rows: {statement: string; lock: string; idle: string; application: string}[]}>(`
    SELECT (SELECT setting FROM pg_settings WHERE name = 'statement_timeout') AS statement,
           (SELECT setting FROM pg_settings WHERE name = 'lock_timeout') AS lock,
           (SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout') AS idle,
           current_setting('application_name') AS application`)
  const row = rows[0]!
  return {statement: Number(row.statement), lock: Number(row.lock), idle: Number(row.idle), application: row.application}
}

describe('PostgreSQL session timeouts', function () {
  this.timeout(60_000)
  const opened: Database[] = []
  const open = (kind: ConnectionKind, timeouts = {}) => {
    const db = createDatabase({url: URL(), kind, timeouts, poolMax: 2})
    opened.push(db)
    return db
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.destroy()))
  })

  it("sets each connection kind's defaults when the connection opens, and the PG_* settings over them (never the lease's)", async () => {
    for (const kind of CONNECTION_KINDS) {
      const expected = SESSION_DEFAULTS[kind]
      assert.deepEqual(await settingsOf(open(kind)), {statement: expected.statementTimeoutMs, lock: expected.lockTimeoutMs, idle: expected.idleInTransactionTimeoutMs, application: `confio-${kind}`}, kind)
    }
    assert.deepEqual(SESSION_DEFAULTS.worker, {statementTimeoutMs: 30_000, lockTimeoutMs: 5_000, idleInTransactionTimeoutMs: 60_000})
    assert.deepEqual(await settingsOf(open('worker', {lockTimeoutMs: 1_500})), {statement: 30_000, lock: 1_500, idle: 60_000, application: 'confio-worker'})
    assert.deepEqual(sessionTimeouts('lease', {statementTimeoutMs: 3_600_000}), SESSION_DEFAULTS.lease, 'a PG_* setting does not stretch the lease')
    assert.deepEqual(pgSessionOptions(SESSION_DEFAULTS.lease), {statement_timeout: 2_000, lock_timeout: 2_000, idle_in_transaction_session_timeout: 10_000})
  })

  it('reads PG_STATEMENT_TIMEOUT, PG_LOCK_TIMEOUT and PG_IDLE_IN_TRANSACTION_TIMEOUT as durations with a unit', () => {
    assert.deepEqual(loadConfig({env: {}, cwd: emptyDir()}).databaseTimeouts, {}, 'unset: each kind keeps its defaults')
    const set = loadConfig({env: {PG_STATEMENT_TIMEOUT: '2m', PG_LOCK_TIMEOUT: '1500ms', PG_IDLE_IN_TRANSACTION_TIMEOUT: '30s'}, cwd: emptyDir()})
    assert.deepEqual(set.databaseTimeouts, {statementTimeoutMs: 120_000, lockTimeoutMs: 1_500, idleInTransactionTimeoutMs: 30_000})
    for (const [value, why] of [['5000', 'no unit: seconds to a flag, milliseconds to PostgreSQL'], ['0s', 'none at all'], ['2d', 'over the maximum']]) {
      const error = (() => {
        try {
          loadConfig({env: {PG_LOCK_TIMEOUT: value}, cwd: emptyDir()})
        } catch (thrown) {
          return thrown
        }
        return undefined
      })()
      assert.ok(error instanceof ConfigError, why)
      assert.equal(error.oneLine(), `PG_LOCK_TIMEOUT (from environment): "${value}" is not valid; expected a duration with its unit from 100ms to 1h, e.g. 30s, 500ms or 5m`)
    }
  })

  it('ends a statement at the kind’s statement timeout, with one line naming the setting', async () => {
    const db = open('worker', {statementTimeoutMs: 1_000})
    const started = performance.now()
    const error = await db.raw('SELECT pg_sleep(5)').catch((e: unknown) => e)
    const elapsed = performance.now() - started
    assert.ok(elapsed >= 900 && elapsed < 3_000, `${elapsed} ms`)
    assert.equal((error as {code?: string}).code, '57014')
    const translated = translateError(error)
    assert.ok(translated)
    assert.equal(translated.code, 'DATABASE_STATEMENT_TIMEOUT')
    assert.equal(translated.exitCode, 1)
    assert.ok(!translated.oneLine().includes('\n'))
    assert.match(translated.oneLine(), /^PostgreSQL: canceling statement due to statement timeout \(57014\); .*raise PG_STATEMENT_TIMEOUT/)
  })

  describe('a command waiting on a lock another session holds', () => {
    let holder: Knex.Transaction
    let lockDb: Database

    beforeEach(async () => {
      lockDb = createDatabase({url: URL(), poolMax: 1})
      holder = await lockDb.transaction()
      await holder.raw('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE')
    })
    afterEach(async () => {
      await holder.rollback().catch(() => undefined)
      await lockDb.destroy()
    })

    it('stops at PG_LOCK_TIMEOUT: exit 1, one line naming the setting', async () => {
      const started = Date.now()
      const result = await runCli(['accounts', 'list'], {env: {PG_LOCK_TIMEOUT: '1s'}})
      assert.equal(result.code, 1, result.stderr)
      assert.ok(Date.now() - started < 15_000)
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
      assert.match(result.stderr, /^Error: PostgreSQL: canceling statement due to lock timeout \(55P03\); another session holds a lock this statement needs: .*confio-<kind>.*, or raise PG_LOCK_TIMEOUT$/m)
    })

    it('stops at PG_STATEMENT_TIMEOUT, lock waits included', async () => {
      const result = await runCli(['accounts', 'list', '--json'], {env: {PG_STATEMENT_TIMEOUT: '1s'}})
      assert.equal(result.code, 1, result.stderr)
      const {error} = JSON.parse(result.stdout) as {error: {code: string; message: string; remedy: string}}
      assert.equal(error.code, 'DATABASE_STATEMENT_TIMEOUT')
      assert.equal(error.message, 'PostgreSQL: canceling statement due to statement timeout (57014)')
      assert.match(error.remedy, /raise PG_STATEMENT_TIMEOUT/)
    })
  })

  it('migrate runs on connections of its own kind (an hour per statement, 10 s for a lock), and gets through a short lock wait', async () => {
    assert.deepEqual(SESSION_DEFAULTS.migration, {statementTimeoutMs: 3_600_000, lockTimeoutMs: 10_000, idleInTransactionTimeoutMs: 60_000})
    const url = await createScratchDatabase('timeouts')
    const scratch = createDatabase({url, poolMax: 2})
    try {
      const fresh = await runCli(['migrate', '--json'], {env: {DATABASE_URL: url}})
      assert.equal(fresh.code, 0, fresh.stderr)
      const applied = (JSON.parse(fresh.stdout) as {changed: string[]}).changed
      assert.ok(applied.length > 0)
      await rollbackLast(scratch)
      // Another session holds the migrator's table for a moment: migrate waits (as confio-migration), then applies.
      const holder = await scratch.transaction()
      await holder.raw('LOCK TABLE knex_migrations IN ACCESS EXCLUSIVE MODE')
      const again = runCli(['migrate', '--json'], {env: {DATABASE_URL: url}})
      await eventually(async () => {
        const {rows} = await scratch.raw<{rows: unknown[]}>(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'confio-migration' AND wait_event_type = 'Lock'`)
        return rows.length > 0
      }, 10_000, 'migrate waits for the lock on a confio-migration connection')
      await holder.rollback()
      const result = await again
      assert.equal(result.code, 0, result.stderr)
      // rollbackLast undid the whole first batch: all of it is applied again.
      assert.deepEqual((JSON.parse(result.stdout) as {changed: string[]}).changed, applied)
    } finally {
      await scratch.destroy()
      await dropDatabase(`${TEST_DATABASE}_timeouts`)
    }
  })
})
