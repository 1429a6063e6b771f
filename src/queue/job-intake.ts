// Takes a bee-queue's jobs many at a time. bee-queue 2.0.0's Queue#process takes one job per
// blocking pop, reads it with a second call, renews its claim with a third and finishes it with a
// MULTI: four to five Redis round trips a job, each written to the socket on its own, and the jobs
// reach the handler one by one (the worker's batches averaged 9.9 jobs at concurrency 32, and the
// worker sat idle a third of its time: bench:worker). The intake makes the same moves on the same
// keys, for many jobs a call:
//
//   take    up to n ids from the tail of `waiting` to the head of `active` (RPOPLPUSH each, as
//           bee-queue's BRPOPLPUSH), off `stalling`, with their stored data: one script.
//   wait    when nothing waits, one blocking BRPOPLPUSH for the whole intake, with a deadline;
//           the job it moves comes with the next take. Stopping ends the wait with CLIENT UNBLOCK
//           (bee-queue instead closes the connection, and a job Redis moves meanwhile is held by
//           nobody until the stall check finds it); a job the wait moved all the same is given
//           back to the tail of `waiting`, where it was.
//   renew   every half stall interval, one SREM of every job held from `stalling`.
//   finish  a batch's endings in one script: done → removed (removeOnSuccess); again → back on
//           `waiting`, or on `delayed` announced on `earlierDelayed` (bee-queue's timer raises it);
//           failed → kept, with its error, in the `failed` set (`worker --retry-failed` finds it).
//
// So every other part of bee-queue works as it did: producers' jobs, the stall check (a job whose
// worker died is still in `active`, no longer renewed, and goes back to `waiting`), delayed jobs,
// checkHealth's counts. A job taken but never finished (the process killed, or stopped past its
// grace) is such a stalled job. package.json pins bee-queue 2.0.0; test/queue/job-intake.test.ts
// fails if the keys' use changes.
import {messageOf} from '../errors.ts'
import {backoffDelayMs} from '../support/backoff.ts'
import {pause} from '../support/pause.ts'
import {type BeeQueueInternals, runQueueScript} from './queue-base.ts'

/**
 * KEYS: waiting, active, stalling, jobs. ARGV[1]: how many to take from waiting; ARGV[2..]: ids
 * the blocking wait already moved to active. Answers id, data, id, data, ...; an id whose data is
 * gone (the job was removed) leaves active at once, where bee-queue would leave it to the stall check.
 */
const TAKE_JOBS = `local taken = {}
for i = 2, #ARGV do taken[#taken + 1] = ARGV[i] end
for i = 1, tonumber(ARGV[1]) do
  local id = redis.call("rpoplpush", KEYS[1], KEYS[2])
  if not id then break end
  taken[#taken + 1] = id
end
if #taken == 0 then return {} end
redis.call("srem", KEYS[3], unpack(taken))
local data = redis.call("hmget", KEYS[4], unpack(taken))
local reply = {}
for i, id in ipairs(taken) do
  if data[i] then
    reply[#reply + 1] = id
    reply[#reply + 1] = data[i]
  else
    redis.call("lrem", KEYS[2], 0, id)
  end
end
return reply`

/**
 * bee-queue's finishing MULTI for many jobs. KEYS: active, stalling, jobs, waiting, delayed, failed.
 * ARGV[1]: the earlierDelayed channel; then per job: id, ending (done, waiting, delayed, failed),
 * its stored data (not for done), when it is due (Unix ms, for delayed).
 */
const FINISH_JOBS = `local earliest, earliestText
for i = 2, #ARGV, 4 do
  local id, ending = ARGV[i], ARGV[i + 1]
  redis.call("lrem", KEYS[1], 0, id)
  redis.call("srem", KEYS[2], id)
  if ending == "done" then
    redis.call("hdel", KEYS[3], id)
  else
    redis.call("hset", KEYS[3], id, ARGV[i + 2])
    if ending == "failed" then
      redis.call("sadd", KEYS[6], id)
    elseif ending == "waiting" then
      redis.call("lpush", KEYS[4], id)
    else
      local at = tonumber(ARGV[i + 3])
      redis.call("zadd", KEYS[5], at, id)
      if not earliest or at < earliest then earliest, earliestText = at, ARGV[i + 3] end
    end
  end
end
if earliest then redis.call("publish", ARGV[1], earliestText) end
return 0`

/** KEYS: active, waiting. Puts the ARGV ids taken by a wait back where they were, the next to be taken. */
const GIVE_BACK = `for i = 1, #ARGV do
  if redis.call("lrem", KEYS[1], 0, ARGV[i]) > 0 then redis.call("rpush", KEYS[2], ARGV[i]) end
end
return 0`

/** How long one blocking wait lasts before it looks again (every wait has a deadline). */
const BLOCK_SECONDS = 5
/** Redis failures are retried after these waits, as bee-queue retries its blocking pop. */
const RETRY = {baseMs: 100, maxMs: 5_000}
/** Error texts kept with a job, newest first: a job retried for days must not grow without end. */
const KEPT_ERRORS = 5

/** A job as it was stored (bee-queue's Job#toData). */
interface StoredJob {
  data?: unknown
  options?: {timestamp?: number; stacktraces?: string[]; [option: string]: unknown}
  status?: string
  progress?: unknown
}

/** A job taken: its id, its data, and when it was created (bee-queue's options.timestamp, Unix ms). */
export interface IntakeJob {
  readonly id: string
  readonly data: unknown
  readonly createdAtMs: number | undefined
  /** The stored form, kept for an ending that stores it again. */
  readonly stored: StoredJob
}

/** How a job ended: done, to run again (after delayMs; 0: at once), or failed for good. */
export type JobEnding = {readonly kind: 'done'} | {readonly kind: 'again'; readonly delayMs: number; readonly error: unknown} | {readonly kind: 'failed'; readonly error: unknown}

export interface JobIntakeOptions {
  readonly queue: BeeQueueInternals
  /** bee-queue's stallInterval: claims are renewed every half of it. */
  readonly stallIntervalMs: number
  /** Told of every Redis failure; the intake goes on (a take is retried, a finish is left to the stall check). */
  readonly onError: (error: Error) => void
}

export class JobIntake {
  private readonly options: JobIntakeOptions
  /** Ids taken and not yet finished: the claims renewed. */
  private readonly held = new Set<string>()
  /** Ids the blocking wait moved to active, for the next take. */
  private readonly woken: string[] = []
  private waiting: Promise<void> | undefined
  /** The blocking connection's client id while a wait is on it (CLIENT UNBLOCK ends the wait). */
  private blockedClientId: number | undefined
  private readonly stopping = new AbortController()
  private stopped: Promise<void> | undefined
  private renewTimer: NodeJS.Timeout | undefined

  constructor(options: JobIntakeOptions) {
    this.options = options
  }

  /** Starts renewing claims and raising delayed jobs (bee-queue does both only in its own process()). */
  start(): void {
    this.renewTimer = setInterval(() => this.renewClaims(), Math.max(1, Math.floor(this.options.stallIntervalMs / 2)))
    this.renewTimer.unref()
    this.options.queue._activateDelayed()
  }

  /** How many jobs are held: taken and not finished. */
  get heldCount(): number {
    return this.held.size
  }

  /** Up to `most` jobs (at least one), waiting for one if none waits; none only once stopped. */
  async take(most: number): Promise<IntakeJob[]> {
    for (let failures = 0; !this.stopping.signal.aborted; ) {
      try {
        const jobs = await this.takeWaiting(most)
        if (jobs.length > 0 || this.stopping.signal.aborted) return jobs
        await this.waitForWork()
        failures = 0
      } catch (error) {
        if (this.stopping.signal.aborted) break
        this.options.onError(asError(error))
        failures += 1
        await pause(backoffDelayMs(RETRY, failures), this.stopping.signal)
      }
    }
    return []
  }

  /** Ends these jobs in one call; they are no longer held, whether or not Redis heard it. */
  async finish(endings: readonly {readonly job: IntakeJob; readonly ending: JobEnding}[]): Promise<void> {
    if (endings.length === 0) return
    const args: string[] = [this.options.queue.toKey('earlierDelayed')]
    const now = Date.now()
    for (const {job, ending} of endings) {
      if (ending.kind === 'done') args.push(job.id, 'done', '', '')
      else if (ending.kind === 'failed') args.push(job.id, 'failed', storedAgain(job, 'failed', ending.error), '')
      else args.push(job.id, ending.delayMs > 0 ? 'delayed' : 'waiting', storedAgain(job, 'retrying', ending.error), String(now + Math.round(ending.delayMs)))
    }
    try {
      await runQueueScript(this.options.queue, FINISH_JOBS, ['active', 'stalling', 'jobs', 'waiting', 'delayed', 'failed'], args)
    } finally {
      for (const {job} of endings) this.held.delete(job.id)
    }
  }

  /**
   * Takes no more jobs: a wait in progress ends at once, and a job it moved is given back. Held
   * jobs are still renewed, and may be finished.
   */
  stop(): Promise<void> {
    this.stopped ??= this.giveBackWaits()
    return this.stopped
  }

  /** Stops renewing claims (and taking): a job still held is left to the stall check, which puts it back. */
  end(): void {
    clearInterval(this.renewTimer)
    void this.stop()
  }

  private async giveBackWaits(): Promise<void> {
    this.stopping.abort()
    if (this.waiting) {
      this.unblock()
      await this.waiting.catch(() => undefined)
    }
    const woken = this.woken.splice(0)
    if (woken.length > 0) await runQueueScript(this.options.queue, GIVE_BACK, ['active', 'waiting'], woken).catch((error: unknown) => this.options.onError(asError(error)))
  }

  private unblock(): void {
    const id = this.blockedClientId
    if (id === undefined) return
    this.options.queue
      ._commandable()
      .then((client) => client.send_command('client', ['unblock', id], () => undefined))
      .catch(() => undefined)
  }

  private async takeWaiting(most: number): Promise<IntakeJob[]> {
    const woken = this.woken.splice(0)
    let reply: unknown
    try {
      reply = await runQueueScript(this.options.queue, TAKE_JOBS, ['waiting', 'active', 'stalling', 'jobs'], [Math.max(0, most - woken.length), ...woken])
    } catch (error) {
      this.woken.unshift(...woken)
      throw error
    }
    const flat = reply as string[]
    const jobs: IntakeJob[] = []
    for (let i = 0; i < flat.length; i += 2) {
      const id = flat[i]!
      const stored = JSON.parse(flat[i + 1]!) as StoredJob
      this.held.add(id)
      jobs.push({id, data: stored.data, createdAtMs: stored.options?.timestamp, stored})
    }
    return jobs
  }

  /** Resolves once a job may wait (one was moved to active for the next take) or the wait's deadline passed. */
  private waitForWork(): Promise<void> {
    this.waiting ??= this.blockForJob().finally(() => {
      this.waiting = undefined
    })
    return this.waiting
  }

  private async blockForJob(): Promise<void> {
    const {queue} = this.options
    await queue._commandable()
    const client = queue.bclient
    if (!client) throw new Error('the queue has no blocking connection (it is not a consumer)')
    if (this.stopping.signal.aborted) return
    // Its id is asked each time on the same connection, just ahead of the wait: a reconnect changes
    // it. A stop that came before the id did ends the wait as soon as the id is known.
    client.send_command('client', ['id'], (error, id) => {
      if (error) return
      this.blockedClientId = Number(id)
      if (this.stopping.signal.aborted) this.unblock()
    })
    try {
      const id = await new Promise<string | null>((resolve, reject) => {
        client.brpoplpush(queue.toKey('waiting'), queue.toKey('active'), BLOCK_SECONDS, (error, reply) => (error ? reject(error) : resolve(reply)))
      })
      if (id) this.woken.push(id)
    } finally {
      this.blockedClientId = undefined
    }
  }

  private renewClaims(): void {
    if (this.held.size === 0) return
    const {queue} = this.options
    queue
      ._commandable()
      .then(
        (client) =>
          new Promise<void>((resolve, reject) => {
            client.srem(queue.toKey('stalling'), [...this.held], (error) => (error ? reject(error) : resolve()))
          }),
      )
      .catch((error: unknown) => this.options.onError(asError(error)))
  }
}

/** The job's stored form with its new status and this error first among its errors (bee-queue's stacktraces). */
function storedAgain(job: IntakeJob, status: 'retrying' | 'failed', error: unknown): string {
  const {options = {}} = job.stored
  const errorText = error instanceof Error ? (error.stack ?? error.message) : String(error)
  const stacktraces = [errorText, ...(options.stacktraces ?? [])].slice(0, KEPT_ERRORS)
  return JSON.stringify({...job.stored, options: {...options, stacktraces}, status})
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(messageOf(error))
}
