// Tells `confio status` that workers are committing jobs. A job done (its effects committed, or
// found committed) is noted; once a second, if anything was, the worker sets
// <REDIS_PREFIX>pipeline:worker-progress with a lifetime of WORKER_PROGRESS_LIFETIME_MS
// (src/balances/pipeline-marker.ts), so the key's age, that lifetime minus its PTTL, is the time
// since any worker last made progress, by Redis's clock. It never holds up a job: a write Redis
// refuses is dropped, and the next progress writes again.
import type {Redis} from 'ioredis'
import {WORKER_PROGRESS_LIFETIME_MS, workerProgressKey} from '../balances/pipeline-marker.ts'

/** At most one write a second: `status` measures minutes, and a busy worker commits many batches a second. */
const WRITE_EVERY_MS = 1_000

export class WorkerProgress {
  private readonly redis: Redis
  private readonly key: string
  private owed = false
  private timer: NodeJS.Timeout | undefined

  constructor(redis: Redis, redisPrefix: string) {
    this.redis = redis
    this.key = workerProgressKey(redisPrefix)
  }

  start(): void {
    this.timer ??= setInterval(() => void this.write(), WRITE_EVERY_MS).unref()
  }

  /** A job is done. */
  note(): void {
    this.owed = true
  }

  /** Stops, writing what is owed. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.write()
  }

  private async write(): Promise<void> {
    if (!this.owed) return
    this.owed = false
    await this.redis.set(this.key, '', 'PX', WORKER_PROGRESS_LIFETIME_MS).catch(() => undefined)
  }
}
