// The Redis level of the balance cache. Reads are one GET; writes go through a script that stores
// a value only over a lower version, so a fill that read the chain before a worker's commit and
// writes after it cannot put the older value back (the race the system confio replaces had).
import type {Redis} from 'ioredis'
import {type BalanceKey, balanceCacheKey, balanceInvalidationChannel, encodeInvalidation} from './balance-keys.ts'
import {type CachedBalance, decodeCachedBalance, encodeCachedBalance} from './cached-balance.ts'

// Versions are compared as decimal strings (length, then digits): exact for any u64, where Lua's
// numbers are doubles. Returns 1 when stored, 0 when the stored version is the same or higher.
const SET_IF_NEWER = `
local current = redis.call('GET', KEYS[1])
if current then
  local stored = string.match(current, '^(%d+)|')
  local offered = string.match(ARGV[1], '^(%d+)|')
  if stored and (#stored > #offered or (#stored == #offered and stored >= offered)) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

/** Redis forgets a balance nobody changed or read back for this long; PostgreSQL still has it. */
export const REDIS_BALANCE_TTL_MS = 7 * 24 * 3_600_000

const COMMAND = 'confioSetBalanceIfNewer'

/** What defineCommand adds to a client and to its pipelines (ioredis types only its own commands). */
interface WithSetIfNewer<R> {
  [COMMAND](key: string, value: string, ttlMs: string): R
}

export class RedisBalanceStore {
  readonly redis: Redis
  private readonly prefix: string
  private readonly channel: string

  constructor(redis: Redis, prefix: string) {
    this.redis = redis
    this.prefix = prefix
    this.channel = balanceInvalidationChannel(prefix)
    // defineCommand sends EVALSHA, falling back to EVAL once per connection when Redis lacks it.
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, {numberOfKeys: 1, lua: SET_IF_NEWER})
  }

  async get(key: BalanceKey): Promise<CachedBalance | undefined> {
    const value = await this.redis.get(balanceCacheKey(this.prefix, key))
    return value === null ? undefined : decodeCachedBalance(key, value)
  }

  /** Stores the balance unless Redis already has this version or a later one; true when stored. */
  async setIfNewer(balance: CachedBalance): Promise<boolean> {
    const client = this.redis as unknown as WithSetIfNewer<Promise<number>>
    return (await client[COMMAND](balanceCacheKey(this.prefix, balance), encodeCachedBalance(balance), String(REDIS_BALANCE_TTL_MS))) === 1
  }

  /**
   * Writes each balance (newer versions only) and announces each on the channel, in one round
   * trip; rejects when Redis refused any of it, so the caller keeps them to send again.
   */
  async publish(balances: readonly CachedBalance[]): Promise<void> {
    if (balances.length === 0) return
    const pipeline = this.redis.pipeline()
    const writes = pipeline as unknown as WithSetIfNewer<unknown>
    for (const b of balances) writes[COMMAND](balanceCacheKey(this.prefix, b), encodeCachedBalance(b), String(REDIS_BALANCE_TTL_MS))
    for (const b of balances) pipeline.publish(this.channel, encodeInvalidation(b))
    const results = (await pipeline.exec()) ?? []
    const failed = results.find(([error]) => error)
    if (failed?.[0]) throw failed[0]
  }
}
