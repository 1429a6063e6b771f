// Each test run gets a database and a Redis key prefix of its own, so two runs on one machine
// (a developer's and CI's) cannot see each other's rows or keys. The database is dropped and
// the keys deleted when the run ends. Child processes the tests start inherit both through the
// environment.
import {randomBytes} from 'node:crypto'
import {createDatabase} from '../../src/store/database.ts'
import {migrateLatest} from '../../src/store/migrator.ts'
import {deleteKeysWithPrefix} from './redis-keys.ts'

const PG_BASE = process.env.CONFIO_TEST_PG ?? 'postgres://root@127.0.0.1:5432'
const REDIS_URL = process.env.CONFIO_TEST_REDIS ?? 'redis://127.0.0.1:6379/0'
const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`

export const TEST_DATABASE = `confio_test_${runId}`
export const TEST_REDIS_PREFIX = `confio-test-${runId}:`

export async function mochaGlobalSetup(): Promise<void> {
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

export async function mochaGlobalTeardown(): Promise<void> {
  await dropDatabase(TEST_DATABASE)
  await deleteKeysWithPrefix(REDIS_URL, TEST_REDIS_PREFIX)
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
