// The one way confio opens PostgreSQL. numeric and int8 come back from pg as strings; the
// repositories turn them into bigint, so no amount ever passes through a JS number.
import {userInfo} from 'node:os'
import knexFactory, {type Knex} from 'knex'
import {type ConnectionKind, pgSessionOptions, type SessionTimeoutOverrides, sessionTimeouts} from './session-settings.ts'

export type Database = Knex

export interface DatabaseOptions {
  readonly url: string
  readonly poolMax?: number
  /** Which process the connections serve: their statement, lock and idle timeouts (default `command`). */
  readonly kind?: ConnectionKind
  /** The PG_* settings, over the kind's defaults. */
  readonly timeouts?: SessionTimeoutOverrides
}

export function createDatabase(options: DatabaseOptions): Database {
  const kind = options.kind ?? 'command'
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: withDefaultUser(options.url),
      // Set in each connection's startup message: no statement can run before them.
      ...pgSessionOptions(sessionTimeouts(kind, options.timeouts)),
      // pg_stat_activity then says which confio process holds a lock someone waits on.
      application_name: `confio-${kind}`,
    },
    pool: {min: 0, max: options.poolMax ?? 10},
    // Short enough that a stopped Postgres fails the command promptly instead of hanging.
    acquireConnectionTimeout: 10_000,
    // knex would print connection errors with stacks; confio reports them itself, on one line.
    log: {warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined},
  })
}

/** Like libpq: a URL without a user name connects as the operating-system user. */
export function withDefaultUser(url: string): string {
  const parsed = new URL(url)
  if (parsed.username || process.env.PGUSER) return url
  parsed.username = userInfo().username
  return parsed.toString()
}
