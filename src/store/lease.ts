// One active holder per name and database: the poller holds the lease named after its cursor
// (src/ingest/poller-lease.ts), the beat the one named `beat` (src/beat/beat-lease.ts); two names do
// not exclude each other. The lease is a row in `leases` that lasts LEASE_TTL_MS unless its holder
// renews it (every RENEW_EVERY_MS), with a fencing token that grows at every change of holder. Every time is PostgreSQL's now(): the
// holder's and the standby's clocks never meet.
//
// Why a row that expires and not a session advisory lock alone: the lock lasts as long as
// PostgreSQL believes the holder's connection alive, and a holder that is stopped (SIGSTOP), in a
// long GC pause or on a host whose network is gone keeps that connection "alive" for hours with
// default TCP keepalive. The row expires whatever its connection does:
//   - a standby looks every STANDBY_RETRY_MS and takes an expired row (the token goes up by one),
//     so it takes over at most LEASE_TTL_MS + STANDBY_RETRY_MS (11 s) after the last renewal;
//   - the poller's commits are fenced (fence(), run by advanceCursor in the commit's transaction):
//     the row must still carry this holder's token and not have expired, and the row is locked
//     FOR SHARE until that commit ends, so a takeover waits for the commit or the commit sees the
//     takeover. A holder that wakes up after losing the lease writes nothing and stops (exit 1).
//   - the holder stops by itself once its last successful renewal is LEASE_TTL_MS old (measured
//     from before that renewal was sent, on a monotonic clock: never later than the row's expiry),
//     which is how the beat, which has no fenced commit, stops scheduling.
//
// Why the advisory lock as well: a holder that dies outright (kill -9, a crash) closes its
// connection, and PostgreSQL frees the lock at once. The holder's lease connection takes the lock
// and says so in the row (session_lock); a standby that gets the lock while the row says its holder
// had it knows that holder's connection is gone, and takes the row without waiting for it to expire:
// a dead poller is replaced within STANDBY_RETRY_MS, as fast as when the lock was the lease. A
// holder that took the row by expiry while a stopped predecessor still held the lock has
// session_lock false (the fast path does not apply to it) and takes the lock at a later renewal.
// A clean stop (SIGTERM, the end of --once) sets expires_at to now(): the standby takes over at its
// next look.
//
// Every lease statement has a deadline: statement_timeout on its connection, and a client-side one
// for when PostgreSQL or the network does not answer at all (the connection is then closed, and a
// holder has lost the lease).
import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import {performance} from 'node:perf_hooks'
import pg from 'pg'
import {messageOf, RuntimeFailure} from '../errors.ts'
import {pause} from '../support/pause.ts'
import {withTimeout} from '../support/with-timeout.ts'
import {withDefaultUser} from './database.ts'
import type {CommitFence} from './ingest-cursor.ts'
import {pgSessionOptions, sessionTimeouts} from './session-settings.ts'

/** How long a lease lasts without renewal. */
export const LEASE_TTL_MS = 10_000
/** Three renewals per expiry: one slow or failed renewal does not lose the lease. */
const RENEW_EVERY_MS = 3_000
/** How often a standby looks whether it can take the lease. */
const STANDBY_RETRY_MS = 1_000
/** Client side: PostgreSQL or the network does not answer at all (statement_timeout cannot help then). */
const ANSWER_TIMEOUT_MS = 4_000

/**
 * The advisory lock's name; its key is hashtext() of it. `confio:poll:` for every lease, the beat's
 * included: a new prefix would let a process of the previous release and one of this release hold
 * the same lease's lock at once while an upgrade rolls out.
 */
function lockName(name: string): string {
  return `confio:poll:${name}`
}

/**
 * The pid of the bin/run.js that handed this process over to the Node in .tools/ (it sets
 * CONFIO_WRAPPER_PID for its child: bin/node-runtime.js), the process systemd knows; null when this
 * process was started directly. Taken only from this process's own parent: a variable inherited
 * from further up names some other process.
 */
function wrapperPid(): number | null {
  const pid = Number(process.env.CONFIO_WRAPPER_PID)
  return pid > 0 && pid === process.ppid ? pid : null
}

export class LeaseLostError extends RuntimeFailure {
  constructor(name: string, reason: string) {
    super(`lost the ${name} lease: ${reason}`, {code: 'LEASE_LOST', remedy: 'the process stops; under systemd it restarts as a standby'})
  }
}

export interface LeaseOptions {
  readonly databaseUrl: string
  /** The holder's role (the poller's cursor, `beat`): two leases of different names do not exclude each other. */
  readonly name: string
  /** How often a standby looks (default 1 s). */
  readonly retryMs?: number
  /** How often the holder renews (default 3 s; tests lengthen it to hold a lease without renewing). */
  readonly renewEveryMs?: number
}

/** Takes the row when it is free, expired, or its holder's connection is gone (see the top). */
const TAKE = `
  INSERT INTO leases AS l (name, holder, token, expires_at, acquired_at, renewed_at, session_lock,
                           backend_pid, backend_start, client_addr, application_name, db_user, host, pid, wrapper_pid)
  VALUES ($1, $2, 1, now() + $3::int * interval '1 millisecond', now(), now(), $4,
          pg_backend_pid(), (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()),
          inet_client_addr(), current_setting('application_name'), session_user, $5, $6, $7)
  ON CONFLICT (name) DO UPDATE SET
         holder = excluded.holder, token = l.token + 1, expires_at = excluded.expires_at,
         acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, session_lock = excluded.session_lock,
         backend_pid = excluded.backend_pid, backend_start = excluded.backend_start, client_addr = excluded.client_addr,
         application_name = excluded.application_name, db_user = excluded.db_user, host = excluded.host, pid = excluded.pid,
         wrapper_pid = excluded.wrapper_pid
   WHERE l.expires_at <= now() OR (excluded.session_lock AND l.session_lock)
  RETURNING token`

/** An expired lease is never renewed: it is gone, and only taken again (with a new token). */
const RENEW = `
  UPDATE leases SET expires_at = now() + $3::int * interval '1 millisecond', renewed_at = now(), session_lock = $4
   WHERE name = $1 AND token = $2 AND expires_at > now()
  RETURNING token`

interface LeaseRowState {
  holder: string
  token: string
  live: boolean
}

export class Lease {
  /** Who this process is, in the row: host, pid and a random part (two leases of one process differ). */
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  private readonly options: LeaseOptions
  private client: pg.Client | undefined
  /** Why the lease connection cannot be used any more. */
  private broken: string | undefined
  /** The token held, and until when (performance.now()) this process may believe it holds it. */
  private held: {token: bigint; validUntil: number} | undefined
  private lost: string | undefined
  /** Whether the lease connection holds the advisory lock. */
  private sessionLocked = false
  private renewTimer: NodeJS.Timeout | undefined
  private renewing: Promise<void> | undefined
  private lastRenewError: string | undefined
  /** When the lease was last taken or renewed, by this machine's clock (ms since the epoch); for /metrics. */
  renewedAtMs: number | undefined
  /** Whether this process is waiting as a standby in acquire(). */
  waiting = false

  constructor(options: LeaseOptions) {
    this.options = options
  }

  get name(): string {
    return this.options.name
  }

  /** Whether this process holds the lease as far as it knows (taken, not lost, renewed within its expiry). */
  get holds(): boolean {
    return this.held !== undefined && this.lost === undefined && performance.now() < this.held.validUntil
  }

  /** The fencing token held (undefined: not held). */
  get token(): bigint | undefined {
    return this.held?.token
  }

  /** Tries once; true when this process now holds the lease (it is then renewed until release()). */
  async tryAcquire(): Promise<boolean> {
    if (this.held) {
      await this.check()
      return true
    }
    const locked = await this.tryLock()
    const sentAt = performance.now()
    let row: {token: string} | undefined
    try {
      const taken = await this.query<{token: string}>(TAKE, [this.name, this.holder, LEASE_TTL_MS, locked, hostname(), process.pid, wrapperPid()])
      row = taken[0]
    } finally {
      // Not taken though the lock was free: the row's holder never had the lock (it took the row
      // by expiry from a holder that was stopped), so it is alive; it takes the lock at a renewal.
      if (locked && !row) await this.unlock().catch(() => undefined)
    }
    if (!row) return false
    this.sessionLocked = locked
    this.lost = undefined
    this.held = {token: BigInt(row.token), validUntil: sentAt + LEASE_TTL_MS}
    this.renewedAtMs = Date.now()
    this.lastRenewError = undefined
    this.renewTimer = setInterval(() => {
      this.renewing ??= this.renew().finally(() => (this.renewing = undefined))
    }, this.options.renewEveryMs ?? RENEW_EVERY_MS)
    // The holder's work keeps the process alive, not its lease.
    this.renewTimer.unref()
    return true
  }

  /**
   * Waits as a hot standby until the lease is ours; false if `signal` aborted first, or with `wait`
   * false (`--once`: an active holder means nothing to do) if the first look found it held.
   * `onHeld` is told once, when a look first finds the lease held. A standby that gives up (false,
   * or a failed look) closes its lease connection: an open one would keep the process alive after
   * its work returned, until the stop's grace ran out.
   */
  async acquire(signal: AbortSignal, options: {wait?: boolean; onHeld?: () => void} = {}): Promise<boolean> {
    let announced = false
    let acquired = false
    this.waiting = true
    try {
      while (!signal.aborted) {
        try {
          acquired = await this.tryAcquire()
          if (acquired) return true
        } catch (error) {
          // A look that ran into its statement_timeout (it waited on a commit holding the row) is
          // only a look that found nothing; anything else (the connection failed) stops the standby.
          if ((error as {code?: unknown}).code !== '57014') throw error
        }
        if (!announced) options.onHeld?.()
        announced = true
        if (options.wait === false) return false
        await pause(this.options.retryMs ?? STANDBY_RETRY_MS, signal)
      }
      return false
    } finally {
      this.waiting = false
      if (!acquired) await this.release()
    }
  }

  /**
   * Throws LeaseLostError once the lease is lost: taken by another, expired, not renewed within its
   * expiry (this process was stopped, or PostgreSQL did not answer), or its connection failed.
   * Reads no database: the renewals do.
   */
  async check(): Promise<void> {
    const held = this.held
    if (this.lost) throw new LeaseLostError(this.name, this.lost)
    if (!held) throw new LeaseLostError(this.name, 'not held')
    if (performance.now() >= held.validUntil) {
      const last = this.lastRenewError ? `; last renewal error: ${this.lastRenewError}` : ''
      const reason = `not renewed within its ${LEASE_TTL_MS / 1_000} s expiry (this process was stopped or paused, or PostgreSQL did not answer${last})`
      this.lose(reason)
      throw new LeaseLostError(this.name, reason)
    }
  }

  /**
   * The commit fence: run inside the transaction that commits, so that transaction commits only
   * while this process's token is the row's and the row has not expired. clock_timestamp(), not
   * now(): now() is when the transaction began. FOR SHARE keeps the row as it is until the commit
   * ends; it waits only on the lease's own one-statement transactions (renewal, takeover, release),
   * each bounded by its statement_timeout.
   */
  readonly fence: CommitFence = async (trx) => {
    const held = this.held
    if (!held) throw new LeaseLostError(this.name, this.lost ?? 'not held')
    const {rows} = await trx.raw<{rows: LeaseRowState[]}>(`SELECT holder, token, expires_at > clock_timestamp() AS live FROM leases WHERE name = ? FOR SHARE`, [this.name])
    const reason = lossReason(rows[0], held.token)
    if (reason) {
      this.lose(reason)
      throw new LeaseLostError(this.name, reason)
    }
  }

  /** Gives the lease up at once (a standby takes it at its next look) and closes its connection. */
  async release(): Promise<void> {
    clearInterval(this.renewTimer)
    await this.renewing
    const {client, held} = this
    if (client && held && !this.broken) {
      // Only if still ours and live: a lease taken over is the new holder's.
      await this.query(`UPDATE leases SET expires_at = now(), session_lock = false WHERE name = $1 AND token = $2 AND expires_at > now()`, [this.name, held.token.toString()]).catch(() => undefined)
    }
    this.held = undefined
    this.lost = undefined
    this.sessionLocked = false
    this.client = undefined
    // Closing the session frees the advisory lock.
    if (client) await withTimeout(client.end(), ANSWER_TIMEOUT_MS, 'PostgreSQL did not close the lease connection').catch(() => client.connection.stream.destroy())
  }

  private async renew(): Promise<void> {
    const held = this.held
    if (!held || this.lost) return
    try {
      if (!this.sessionLocked) this.sessionLocked = await this.tryLock()
      const sentAt = performance.now()
      const renewed = await this.query<{token: string}>(RENEW, [this.name, held.token.toString(), LEASE_TTL_MS, this.sessionLocked])
      if (renewed.length === 1) {
        held.validUntil = sentAt + LEASE_TTL_MS
        this.renewedAtMs = Date.now()
        this.lastRenewError = undefined
        return
      }
      const [row] = await this.query<LeaseRowState>(`SELECT holder, token, expires_at > now() AS live FROM leases WHERE name = $1`, [this.name])
      this.lose(lossReason(row, held.token) ?? 'not renewed')
    } catch (error) {
      // Tried again at the next renewal, until the expiry (check() then says the lease is lost).
      this.lastRenewError = messageOf(error)
    }
  }

  private lose(reason: string): void {
    if (!this.held || this.lost) return
    this.lost = reason
    clearInterval(this.renewTimer)
  }

  private async tryLock(): Promise<boolean> {
    const [row] = await this.query<{locked: boolean}>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lockName(this.name)])
    return row?.locked === true
  }

  private async unlock(): Promise<void> {
    await this.query('SELECT pg_advisory_unlock(hashtext($1))', [lockName(this.name)])
  }

  /** One statement on the lease connection, with both deadlines. */
  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    const client = await this.connect()
    let answered = false
    const pending = client.query<R>(sql, params).finally(() => (answered = true))
    try {
      return (await withTimeout(pending, ANSWER_TIMEOUT_MS, 'PostgreSQL did not answer the lease statement')).rows
    } catch (error) {
      if (!answered) {
        // The connection is stuck behind a statement nobody will answer: close it.
        this.breakConnection(client, messageOf(error))
      }
      throw error
    }
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) {
      if (this.broken) throw new Error(`the lease connection failed: ${this.broken}`)
      return this.client
    }
    const client = new pg.Client({
      connectionString: withDefaultUser(this.options.databaseUrl),
      keepAlive: true,
      // Each lease its own name: pg_stat_activity tells the poller's lease from the beat's.
      application_name: `confio-lease:${this.name}`,
      // Server side (the lease kind: 2 s), e.g. a renewal waiting on the row a commit's fence holds FOR SHARE.
      ...pgSessionOptions(sessionTimeouts('lease')),
      connectionTimeoutMillis: ANSWER_TIMEOUT_MS,
    })
    client.on('error', (error) => this.breakConnection(client, error.message))
    client.on('end', () => this.breakConnection(client, 'connection closed'))
    await client.connect()
    this.client = client
    this.broken = undefined
    return client
  }

  /** A lease whose connection failed is lost: its advisory lock is gone, a standby may take over at once. */
  private breakConnection(client: pg.Client, reason: string): void {
    if (client !== this.client) return
    this.broken ??= reason
    this.lose(`its connection to PostgreSQL failed: ${reason}`)
    client.connection.stream.destroy()
  }
}

/** Why a row no longer belongs to the holder of `token`; undefined when it still does. */
function lossReason(row: LeaseRowState | undefined, token: bigint): string | undefined {
  if (!row) return 'its row in leases is gone'
  if (BigInt(row.token) !== token) return `taken over by ${row.holder} (token ${row.token}; this process held ${token})`
  if (!row.live) return 'it expired without renewal (this process was stopped or paused, or PostgreSQL did not answer)'
  return undefined
}
