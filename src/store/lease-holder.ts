// Who holds a lease (lease.ts), read from its row without taking it: what `confio status` shows,
// and what an operator needs to find the process (host, pid, the wrapper's pid systemd knows) and
// its PostgreSQL connection.
import type {Database} from './database.ts'

/**
 * The holder of a lease, from its row (the holder wrote who it is when it took the lease). `pid` is
 * the process to stop; `backendPid` is PostgreSQL's and must never be.
 */
export interface LeaseHolder {
  /** The holding process's operating-system pid, on `host` (null: a row written without it). */
  readonly pid: number | null
  /** The holding process's host name. */
  readonly host: string | null
  /** The hand-over wrapper's pid (bin/run.js started by an older Node): the pid systemd knows; null without one. */
  readonly wrapperPid: number | null
  /** host:pid:random of the holding process. */
  readonly holder: string
  /** The PostgreSQL backend pid of the holder's lease connection (pg_stat_activity.pid). */
  readonly backendPid: number
  /** The lease connection's client address, as PostgreSQL sees it; null over a Unix socket. */
  readonly clientAddress: string | null
  readonly applicationName: string | null
  readonly user: string | null
  /** When the holder's lease connection was opened (ISO 8601). */
  readonly backendStart: string | null
  /** The fencing token. */
  readonly token: bigint
  readonly acquiredAt: string
  readonly renewedAt: string
  readonly expiresAt: string
}

/** Who holds the lease over `name` (null: nobody, or its lease has expired), without taking it. */
export async function readLeaseHolder(db: Database, name: string): Promise<LeaseHolder | null> {
  const {rows} = await db.raw<{
    rows: {
      pid: number | null
      host: string | null
      wrapper_pid: number | null
      holder: string
      backend_pid: number
      client_address: string | null
      application_name: string | null
      db_user: string | null
      backend_start: Date | null
      token: string
      acquired_at: Date
      renewed_at: Date
      expires_at: Date
    }[]
  }>(
    `SELECT pid, host, wrapper_pid, holder, backend_pid, host(client_addr) AS client_address, application_name, db_user,
            backend_start, token, acquired_at, renewed_at, expires_at
       FROM leases WHERE name = ? AND expires_at > now()`,
    [name],
  )
  const row = rows[0]
  if (!row) return null
  return {
    pid: row.pid,
    host: row.host,
    wrapperPid: row.wrapper_pid,
    holder: row.holder,
    backendPid: row.backend_pid,
    clientAddress: row.client_address,
    applicationName: row.application_name,
    user: row.db_user,
    backendStart: row.backend_start?.toISOString() ?? null,
    token: BigInt(row.token),
    acquiredAt: row.acquired_at.toISOString(),
    renewedAt: row.renewed_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
  }
}
