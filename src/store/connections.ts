// Opening PostgreSQL and Redis, with failures turned into one line that names the setting to
// check. The URL in a message is always redacted: it may carry a password.
import type {Redis} from 'ioredis'
import {REDIS_COMMAND_TIMEOUT_DEFAULT_MS} from '../config/settings.ts'
import {RuntimeFailure} from '../errors.ts'
import {redactUrl} from '../secrets.ts'
import {databaseNameOf} from './database-creation.ts'
import {createDatabase, type Database, type DatabaseOptions} from './database.ts'
import {sessionTimeoutOf} from './session-settings.ts'

/** PostgreSQL's SQLSTATE for connecting to a database that does not exist. */
const INVALID_CATALOG_NAME = '3D000'

export async function openDatabase(url: string, options: Omit<DatabaseOptions, 'url'> = {}): Promise<Database> {
  const db = createDatabase({url, ...options})
  try {
    await db.raw('select 1')
    return db
  } catch (error) {
    await db.destroy().catch(() => undefined)
    // PostgreSQL answered, too slowly for this process's deadline: the error translation names the setting.
    if (sessionTimeoutOf(error)) throw error
    if ((error as {code?: string}).code === INVALID_CATALOG_NAME) {
      throw new RuntimeFailure(`the database ${databaseNameOf(url)} does not exist at ${redactUrl(url)}`, {
        code: 'DATABASE_MISSING',
        remedy: 'create it and its tables with confio migrate --create, or fix DATABASE_URL (or --database-url)',
        cause: error,
      })
    }
    throw new RuntimeFailure(`cannot use PostgreSQL at ${redactUrl(url)}: ${describe(error)}`, {
      code: 'DATABASE_UNAVAILABLE',
      remedy: 'check that PostgreSQL is running and DATABASE_URL (or --database-url) is right',
      cause: error,
    })
  }
}

/**
 * `commandTimeoutMs` (REDIS_COMMAND_TIMEOUT) bounds every command: a Redis that accepts the
 * connection but does not answer (paused, swapping, a long script) fails a command instead of
 * holding its caller for good.
 */
export async function openRedis(url: string, options: {commandTimeoutMs?: number} = {}): Promise<Redis> {
  // Loaded on first use: the poller's queue speaks through bee-queue's own client, and a command's
  // start-up is paid on every run (ioredis is ~50 ms of module loading).
  const {Redis} = await import('ioredis')
  const redis = new Redis(url, {lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5_000, enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_DEFAULT_MS})
  // ioredis reports the cause (ECONNREFUSED, auth) as an 'error' event and rejects connect() with
  // a bare "Connection is closed"; keep the event's error for the message. Without a listener
  // ioredis would also print it as unhandled.
  let lastError: unknown
  redis.on('error', (error: unknown) => (lastError = error))
  try {
    await redis.connect()
    await redis.ping()
    return redis
  } catch (error) {
    redis.disconnect()
    throw new RuntimeFailure(`cannot use Redis at ${redactUrl(url)}: ${describe(lastError ?? error)}`, {
      code: 'REDIS_UNAVAILABLE',
      remedy: 'check that Redis is running and REDIS_URL (or --redis-url) is right',
      cause: error,
    })
  }
}

/** The useful part of a driver error, on one line (pg errors put the detail in code/message). */
export function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0])
  const {code, message} = error as {code?: string; message?: string}
  const text = (message ?? String(error)).split('\n')[0] ?? ''
  return code && !text.includes(code) ? `${code} ${text}`.trim() : text
}
