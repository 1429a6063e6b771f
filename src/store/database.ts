// The one way confio opens PostgreSQL. numeric and int8 come back from pg as strings; the
// repositories turn them into bigint, so no amount ever passes through a JS number.
import {userInfo} from 'node:os'
import knexFactory, {type Knex} from 'knex'
import {PG_CONNECT_TIMEOUT_DEFAULT_MS} from '../config/settings.ts'
import {type ConnectionKind, pgSessionOptions, type SessionTimeoutOverrides, sessionTimeouts} from './session-settings.ts'

export type Database = Knex

export interface DatabaseOptions {
  readonly url: string
  readonly poolMax?: number
  /** Which process the connections serve: their statement, lock and idle timeouts (default `command`). */
  readonly kind?: ConnectionKind
  /** The PG_* settings, over the kind's defaults. */
  readonly timeouts?: SessionTimeoutOverrides
  /** PG_CONNECT_TIMEOUT: the deadline of opening each connection (default 5 s). */
  readonly connectTimeoutMs?: number
}

export function createDatabase(options: DatabaseOptions): Database {
  return knexFactory({
    client: 'pg',
    connection: connectionConfig(options),
    pool: {min: 0, max: options.poolMax ?? 10},
    // Short enough that a stopped Postgres fails the command promptly instead of hanging; never
    // shorter than opening a connection may take, whose failure says more than knex's timeout.
    acquireConnectionTimeout: Math.max(10_000, connectTimeoutOf(options) + 1_000),
    // knex would print connection errors with stacks; confio reports them itself, on one line.
    log: {warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined},
  })
}

/** How each connection is opened: pg's client configuration, the pool's and a connection check's. */
export function connectionConfig(options: DatabaseOptions) {
  const kind = options.kind ?? 'command'
  return {
    connectionString: withDefaultUser(options.url),
    // Set in each connection's startup message: no statement can run before them.
    ...pgSessionOptions(sessionTimeouts(kind, options.timeouts)),
    // pg_stat_activity then says which confio process holds a lock someone waits on.
    application_name: `confio-${kind}`,
    // Without it pg waits for a silent server for good (knex's pool gave up after 30 s).
    connectionTimeoutMillis: connectTimeoutOf(options),
  }
}

function connectTimeoutOf(options: DatabaseOptions): number {
  return options.connectTimeoutMs ?? PG_CONNECT_TIMEOUT_DEFAULT_MS
}

/** Like libpq: a URL without a user name connects as the operating-system user. */
export function withDefaultUser(url: string): string {
  const parsed = new URL(url)
  if (parsed.username || process.env.PGUSER) return url
  parsed.username = userInfo().username
  return parsed.toString()
}
