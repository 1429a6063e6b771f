// One active poller per database. The lease is a PostgreSQL session advisory lock held on a
// connection of its own: when the active poller dies (kill -9 included) its connection closes
// and PostgreSQL releases the lock at once, so a standby polling for it takes over within its
// retry interval. Fencing does not rest on the lock alone: the cursor only moves by
// compare-and-set (ingest-cursor.ts), so a poller that lost its lease cannot commit over the new one.
import pg from 'pg'
import {RuntimeFailure} from '../errors.ts'
import {withDefaultUser} from '../store/database.ts'

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
    const {rows} = await client.query<{locked: boolean}>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`confio:poll:${this.options.name}`])
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
