// Opening PostgreSQL and Redis, with failures turned into one line that names the setting to
// check. The URL in a message is always redacted: it may carry a password.
import type {Redis} from 'ioredis'
import {PG_CONNECT_TIMEOUT_DEFAULT_MS, REDIS_COMMAND_TIMEOUT_DEFAULT_MS} from '../config/settings.ts'
import {messageOf, RuntimeFailure} from '../errors.ts'
import {redactUrl} from '../secrets.ts'
import {createDatabase, type Database, type DatabaseOptions} from './database.ts'
import {checkPostgres} from './postgres-check.ts'

/** A pool over a PostgreSQL that has just accepted a connection (checkPostgres: or one line saying why not). */
export async function openDatabase(url: string, options: Omit<DatabaseOptions, 'url'> = {}): Promise<Database> {
  await checkPostgres({url, ...options, connectTimeoutMs: options.connectTimeoutMs ?? PG_CONNECT_TIMEOUT_DEFAULT_MS})
  return createDatabase({url, ...options})
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

/** The useful part of a driver error, on one line (with its code, e.g. ECONNREFUSED, when the text lacks it). */
export function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0])
  const code = (error as {code?: unknown} | null | undefined)?.code
  const text = messageOf(error).split('\n')[0] ?? ''
  return typeof code === 'string' && !text.includes(code) ? `${code} ${text}`.trim() : text
}
