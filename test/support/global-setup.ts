// Each test run gets a database and a Redis key prefix of its own, so two runs on one machine
// (a developer's and CI's) cannot see each other's rows or keys. The database is dropped and
// the keys deleted when the run ends. Child processes the tests start inherit both through the
// environment.
//
// With mocha's --parallel, each worker process (MOCHA_WORKER_ID) gets a database and a key prefix
// of its own within the run's, created and migrated before its first file (the root hook below):
// test files assume they are alone in their database (worlds truncate tables and reset the
// poller's cursor), and a worker runs its files one at a time. The run's id travels to the
// workers in CONFIO_TEST_RUN; the teardown, in the main process, drops every database of the run.
import {randomBytes} from 'node:crypto'
import {createDatabase} from '../../src/store/database.ts'
import {migrateLatest} from '../../src/store/migrator.ts'
import {deleteKeysWithPrefix} from './redis-keys.ts'

const PG_BASE = process.env.CONFIO_TEST_PG ?? 'postgres://root@127.0.0.1:5432'
const REDIS_URL = process.env.CONFIO_TEST_REDIS ?? 'redis://127.0.0.1:6379/0'
process.env.CONFIO_TEST_RUN ??= `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
const runId = process.env.CONFIO_TEST_RUN
const workerId = process.env.MOCHA_WORKER_ID

const RUN_DATABASE = `confio_test_${runId}`
const RUN_REDIS_PREFIX = `confio-test-${runId}:`

/** This process's database: the run's, or in a parallel worker the worker's own. */
export const TEST_DATABASE = workerId === undefined ? RUN_DATABASE : `${RUN_DATABASE}_w${workerId}`
export const TEST_REDIS_PREFIX = workerId === undefined ? RUN_REDIS_PREFIX : `${RUN_REDIS_PREFIX}w${workerId}:`

export async function mochaGlobalSetup(): Promise<void> {
  await createTestDatabase()
}

export async function mochaGlobalTeardown(): Promise<void> {
  const admin = createDatabase({url: `${PG_BASE}/postgres`})
  try {
    const {rows} = await admin.raw<{rows: {datname: string}[]}>(`SELECT datname FROM pg_database WHERE datname = ? OR datname LIKE ?`, [RUN_DATABASE, `${RUN_DATABASE}\\_w%`])
    for (const {datname} of rows) await admin.raw(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`)
  } finally {
    await admin.destroy()
  }
  await deleteKeysWithPrefix(REDIS_URL, RUN_REDIS_PREFIX)
}

let created: Promise<void> | undefined

/** In a parallel worker, before its first file: the worker's own database. */
export const mochaHooks = {
  async beforeAll(): Promise<void> {
    if (workerId === undefined) return
    created ??= createTestDatabase()
    await created
  },
}

/** Creates and migrates this process's database, and points the process (and its children) at it. */
async function createTestDatabase(): Promise<void> {
  const admin = createDatabase({url: `${PG_BASE}/postgres`})
  try {
    await admin.raw(`CREATE DATABASE ${TEST_DATABASE}`)
  } finally {
    await admin.destroy()
  }
  Object.assign(process.env, {
    DATABASE_URL: `${PG_BASE}/${TEST_DATABASE}`,
    REDIS_URL,
    REDIS_PREFIX: TEST_REDIS_PREFIX,
    // Tests must not pick up the developer's own settings.
    CONFIO_CONFIG: '',
    LOG_LEVEL: 'warn',
  })
  const db = createDatabase({url: process.env.DATABASE_URL as string})
  try {
    await migrateLatest(db)
  } finally {
    await db.destroy()
  }
}

/** A scratch database for tests that need one to themselves (migrations up/down). */
export async function createScratchDatabase(suffix: string): Promise<string> {
  const name = `${TEST_DATABASE}_${suffix}`
  const admin = createDatabase({url: `${PG_BASE}/postgres`})
  try {
    await admin.raw(`CREATE DATABASE ${name}`)
  } finally {
    await admin.destroy()
  }
  return `${PG_BASE}/${name}`
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = createDatabase({url: `${PG_BASE}/postgres`})
  try {
    await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  } finally {
    await admin.destroy()
  }
}
