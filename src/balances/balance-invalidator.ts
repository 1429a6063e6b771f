// Drops cached balances after a worker has marked them stale in PostgreSQL. It runs after the
// job's transaction commits: a reader that misses the cache then finds is_stale = true in the
// database, never the old value as if it were current. Deleting and publishing are idempotent, so
// a job that runs again (or a re-delivery of a finished job) simply repeats them.
import type {Redis} from 'ioredis'
import {type BalanceInvalidation, balanceCacheKey, balanceInvalidationChannel, encodeInvalidation} from './balance-keys.ts'

export class BalanceInvalidator {
  private readonly redis: Redis
  private readonly prefix: string
  private readonly channel: string

  constructor(redis: Redis, prefix: string) {
    this.redis = redis
    this.prefix = prefix
    this.channel = balanceInvalidationChannel(prefix)
  }

  /** Deletes each entry and announces it, in one round trip; rejects if Redis refused any of it. */
  async invalidate(invalidations: readonly BalanceInvalidation[]): Promise<void> {
    if (invalidations.length === 0) return
    const pipeline = this.redis.pipeline()
    pipeline.del(...new Set(invalidations.map((key) => balanceCacheKey(this.prefix, key))))
    for (const invalidation of invalidations) pipeline.publish(this.channel, encodeInvalidation(invalidation))
    const results = (await pipeline.exec()) ?? []
    const failed = results.find(([error]) => error)
    if (failed?.[0]) throw failed[0]
  }
}
