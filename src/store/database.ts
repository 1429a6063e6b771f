// The one way confio opens PostgreSQL. numeric and int8 come back from pg as strings; the
// repositories turn them into bigint, so no amount ever passes through a JS number.
import {userInfo} from 'node:os'
import knexFactory, {type Knex} from 'knex'

export type Database = Knex

export interface DatabaseOptions {
  readonly url: string
  readonly poolMax?: number
}

export function createDatabase(options: DatabaseOptions): Database {
  return knexFactory({
    client: 'pg',
    connection: withDefaultUser(options.url),
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
