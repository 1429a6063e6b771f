// One active poller per database. The lease is a PostgreSQL session advisory lock held on a
// connection of its own: when the active poller dies (kill -9 included) its connection closes
// and PostgreSQL releases the lock at once, so a standby polling for it takes over within its
// retry interval. Fencing does not rest on the lock alone: the cursor only moves by
// compare-and-set (ingest-cursor.ts), so a poller that lost its lease cannot commit over the new one.
import pg from 'pg'
import {RuntimeFailure} from '../errors.ts'
import {type Database, withDefaultUser} from '../store/database.ts'

/** The advisory lock's name; its key is hashtext() of it. */
function lockName(name: string): string {
  return `confio:poll:${name}`
}

export class LeaseLostError extends RuntimeFailure {
  constructor(reason: string) {
    super(`lost the poller lease: ${reason}`, {code: 'LEASE_LOST', remedy: 'the process stops; under systemd it restarts as a standby'})
  }
}

export interface PollerLeaseOptions {
  readonly databaseUrl: string
  /** The cursor the lease guards: two followers of different cursors do not exclude each other. */
  readonly name: string
  readonly retryMs?: number
}

export class PollerLease {
  private client: pg.Client | undefined
  private lost: string | undefined
  private readonly options: PollerLeaseOptions

  constructor(options: PollerLeaseOptions) {
    this.options = options
  }

  /** Tries once; true when this process now holds the lease. */
  async tryAcquire(): Promise<boolean> {
    const client = await this.connect()
    const {rows} = await client.query<{locked: boolean}>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lockName(this.options.name)])
    return rows[0]?.locked === true
  }

  /** Waits as a hot standby until the lease is ours; false if `signal` aborted first. */
  async acquire(signal: AbortSignal, onWaiting?: () => void): Promise<boolean> {
    let announced = false
    while (!signal.aborted) {
      if (await this.tryAcquire()) return true
      if (!announced) onWaiting?.()
      announced = true
      await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 1_000))
    }
    return false
  }

  /** Throws LeaseLostError when the lease's connection is gone. */
  async check(): Promise<void> {
    if (this.lost) throw new LeaseLostError(this.lost)
    try {
      await this.client?.query('SELECT 1')
    } catch (error) {
      throw new LeaseLostError((error as Error).message)
    }
  }

  async release(): Promise<void> {
    const client = this.client
    this.client = undefined
    // Closing the session releases the lock.
    await client?.end().catch(() => undefined)
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client
    const client = new pg.Client({connectionString: withDefaultUser(this.options.databaseUrl), keepAlive: true, application_name: 'confio-poll-lease'})
    client.on('error', (error) => (this.lost = error.message))
    client.on('end', () => (this.lost ??= 'connection closed'))
    await client.connect()
    this.client = client
    return client
  }
}

/** The session holding a lease, as far as this database user may see it (else the fields are null). */
export interface LeaseHolder {
  readonly pid: number
  /** null over a Unix socket, or when not visible to this user. */
  readonly clientAddress: string | null
  readonly applicationName: string | null
  readonly user: string | null
  /** When the holder's connection was opened (ISO 8601). */
  readonly backendStart: string | null
}

/**
 * Who holds the lease over `name` (null: nobody), read from pg_locks and pg_stat_activity without
 * taking it. A bigint advisory lock shows its key split in two: classid the high 32 bits, objid
 * the low ones, objsubid 1. Advisory locks are per database, so only this database's count.
 */
export async function readLeaseHolder(db: Database, name: string): Promise<LeaseHolder | null> {
  const {rows: holders} = await db.raw<{rows: {pid: number; client_address: string | null; application_name: string | null; usename: string | null; backend_start: Date | null}[]}>(
    `SELECT l.pid, host(a.client_addr) AS client_address, a.application_name, a.usename, a.backend_start
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::int8 << 32) | l.objid::int8) = hashtext(?)::int8`,
    [lockName(name)],
  )
  const row = holders[0]
  return row ? {pid: row.pid, clientAddress: row.client_address, applicationName: row.application_name, user: row.usename, backendStart: row.backend_start?.toISOString() ?? null} : null
}
