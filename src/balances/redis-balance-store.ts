// The Redis level of the balance cache. A read is one MGET: the balance and the pipeline marker
// (pipeline-marker.ts), which says whether a cached value may be trusted. Writes go through a
// script that stores a value only over an older one (a lower generation, or the same generation
// and a lower version), so a fill that read the chain before a worker's commit and writes after
// it cannot put the older value back (the race the system confio replaces had), and a value of a
// generation retired by `confio cache reset` is never served (cache-generation.ts). Every command
// has the connection's deadline (REDIS_COMMAND_TIMEOUT): callers treat a timeout as Redis being
// away.
import type {Knex} from 'knex'
import {ReplyError, type Redis} from 'ioredis'
import {type BalanceKey, balanceCacheKey, balanceInvalidationChannel, encodeInvalidation} from './balance-keys.ts'
import {type CachedBalance, decodeCachedBalance, encodeCachedBalance} from './cached-balance.ts'
import {CacheGeneration} from './cache-generation.ts'
import {isCaughtUp, pipelineMarkerKey} from './pipeline-marker.ts'

// Generations and versions are compared as decimal strings (length, then digits): exact for any
// u64, where Lua's numbers are doubles. replaces(current, value): whether a value may be stored
// over the current one, i.e. the current one (if any) is of an older generation, or of the same one
// at a lower version.
const REPLACES = `
local function above(a, b) return #a > #b or (#a == #b and a > b) end
local function replaces(current, value)
  if not current then return true end
  local storedGeneration, storedVersion = string.match(current, '^(%d+)|(%d+)|')
  local generation, version = string.match(value, '^(%d+)|(%d+)|')
  return not (storedGeneration and (above(storedGeneration, generation) or (storedGeneration == generation and not above(version, storedVersion))))
end`

/** Returns 1 when stored, 0 when the stored value is as new or newer. */
const SET_IF_NEWER = `${REPLACES}
if not replaces(redis.call('GET', KEYS[1]), ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

/**
 * The relay's delivery in one call: per key of KEYS, its value stored if newer (ARGV[2i+1]; empty:
 * the key deleted), else, when Redis refuses that, the key deleted instead; then its invalidation
 * (ARGV[2i+2]; empty: none) announced on the channel (ARGV[1]). ARGV[2]: the TTL in ms. Answers
 * two texts per key: what refused the write (and the DELETE after it), and what refused the
 * announcement; empty when nothing did. Each command is a pcall, so one key's refusal is its own.
 * A memory limit fails the whole script (see below): it is redone key by key.
 */
const DELIVER = `${REPLACES}
local function refusal(reply) return type(reply) == 'table' and reply.err end
local channel, ttl, answer = ARGV[1], ARGV[2], {}
for i, key in ipairs(KEYS) do
  local value, note = ARGV[2 * i + 1], ARGV[2 * i + 2]
  local refused
  if value == '' then
    refused = refusal(redis.pcall('DEL', key))
  else
    local current = redis.pcall('GET', key)
    refused = refusal(current)
    if not refused and replaces(current, value) then refused = refusal(redis.pcall('SET', key, value, 'PX', ttl)) end
  end
  -- Out of memory, Redis would let this script's later writes through once it has written
  -- anything (not to break it half-way): the whole delivery goes key by key instead.
  if refused and string.sub(refused, 1, 4) == 'OOM ' then return redis.error_reply(refused) end
  if refused then
    local deleteRefused = refusal(redis.pcall('DEL', key))
    refused = deleteRefused and (refused .. '; DEL: ' .. deleteRefused) or false
  end
  local unannounced = note ~= '' and refusal(redis.pcall('PUBLISH', channel, note))
  answer[2 * i - 1] = refused or ''
  answer[2 * i] = unannounced or ''
end
return answer`

/** Redis forgets a balance nobody changed or read back for this long; PostgreSQL still has it. */
export const REDIS_BALANCE_TTL_MS = 7 * 24 * 3_600_000

const COMMAND = 'confioSetBalanceIfNewer'
const DELIVER_COMMAND = 'confioDeliverBalances'

/** What defineCommand adds to a client and to its pipelines (ioredis types only its own commands). */
interface WithSetIfNewer<R> {
  [COMMAND](key: string, value: string, ttlMs: string): R
  [DELIVER_COMMAND](keyCount: number, ...keysThenArgs: string[]): R
}

/** What the relay asks Redis to hold for one key: the row's state, or nothing (the row is gone). */
export interface Delivery {
  readonly key: BalanceKey
  readonly balance: CachedBalance | undefined
}

/** What one read of a balance brings back. */
export interface RedisRead {
  /** The copy of the current generation; undefined for none (or one of another generation). */
  readonly balance: CachedBalance | undefined
  /** The pipeline marker, read in the same round trip, says cached values may be trusted. */
  readonly caughtUp: boolean
}

/** A key the relay could neither write nor delete, with Redis's answer. */
export interface RefusedKey {
  readonly key: BalanceKey
  readonly error: Error
}

export class RedisBalanceStore {
  readonly redis: Redis
  /** Read by the caller before the first call; written into every value and compared on every read. */
  readonly generation: CacheGeneration
  private readonly prefix: string
  private readonly channel: string
  private readonly markerKey: string

  constructor(redis: Redis, prefix: string, generation: CacheGeneration) {
    this.redis = redis
    this.prefix = prefix
    this.generation = generation
    this.channel = balanceInvalidationChannel(prefix)
    this.markerKey = pipelineMarkerKey(prefix)
    // defineCommand sends EVALSHA, falling back to EVAL once per connection when Redis lacks it.
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, {numberOfKeys: 1, lua: SET_IF_NEWER})
    if (!(DELIVER_COMMAND in redis)) redis.defineCommand(DELIVER_COMMAND, {lua: DELIVER})
  }

  /** A store whose generation is read from PostgreSQL now. */
  static async open(redis: Redis, prefix: string, db: Knex): Promise<RedisBalanceStore> {
    return new RedisBalanceStore(redis, prefix, await CacheGeneration.read(db))
  }

  /** The copy of the current generation; undefined for none (or one of another generation). */
  async get(key: BalanceKey): Promise<CachedBalance | undefined> {
    const value = await this.redis.get(balanceCacheKey(this.prefix, key))
    return value === null ? undefined : decodeCachedBalance(key, value, this.generation.current)
  }

  /** What a balance read needs: the balance's copy (as get) and the pipeline marker, in one round trip. */
  async read(key: BalanceKey): Promise<RedisRead> {
    const [value, marker] = await this.redis.mget(balanceCacheKey(this.prefix, key), this.markerKey)
    return {balance: value === null || value === undefined ? undefined : decodeCachedBalance(key, value, this.generation.current), caughtUp: isCaughtUp(marker ?? null)}
  }

  /** The pipeline marker alone: true when it says cached values may be trusted. */
  async pipelineCaughtUp(): Promise<boolean> {
    return isCaughtUp(await this.redis.get(this.markerKey))
  }

  /** Stores the balance unless Redis already has this version or a later one; true when stored. */
  async setIfNewer(balance: CachedBalance): Promise<boolean> {
    const client = this.redis as unknown as WithSetIfNewer<Promise<number>>
    return (await client[COMMAND](balanceCacheKey(this.prefix, balance), this.encode(balance), String(REDIS_BALANCE_TTL_MS))) === 1
  }

  /**
   * Writes each balance (newer versions only) and announces each on the channel, in one round
   * trip; rejects when Redis refused any of it, so the caller keeps them to send again.
   */
  async publish(balances: readonly CachedBalance[]): Promise<void> {
    const outcomes = await this.write(balances.map((balance) => ({key: balance, balance})))
    const refused = outcomes.find((o) => o.written ?? o.announced)
    if (refused) throw refused.written ?? refused.announced
  }

  /**
   * The relay's delivery: publish, except that a key Redis refuses to write (WRONGTYPE, OOM) is
   * deleted instead, as is the key of a row PostgreSQL no longer has: a missing copy is a miss,
   * which is always safe. Resolves with the keys neither written nor deleted, or not announced,
   * for the relay to set aside; rejects when Redis refused every key (down, not answering,
   * read-only after a failover), so the relay backs off as a whole.
   */
  async deliver(deliveries: readonly Delivery[]): Promise<RefusedKey[]> {
    if (deliveries.length === 0) return []
    // One script for the whole delivery: a pipeline of a command per key cost the worker a tenth
    // of its CPU (bench:worker). Redis refuses a script as a whole for reasons it would refuse
    // only some of its keys for (an ACL on a key, a memory limit): the pipeline then tells them apart.
    const refused = (await this.deliverInOneCall(deliveries).catch((error: unknown) => (error instanceof ReplyError ? undefined : Promise.reject(error)))) ?? (await this.deliverKeyByKey(deliveries))
    if (refused.length === deliveries.length) throw refused[0]?.error
    return refused
  }

  private async deliverInOneCall(deliveries: readonly Delivery[]): Promise<RefusedKey[]> {
    const keys = deliveries.map(({key}) => balanceCacheKey(this.prefix, key))
    const args = deliveries.flatMap(({balance}) => (balance ? [this.encode(balance), encodeInvalidation(balance)] : ['', '']))
    const client = this.redis as unknown as WithSetIfNewer<Promise<string[]>>
    const answer = await client[DELIVER_COMMAND](keys.length, ...keys, this.channel, String(REDIS_BALANCE_TTL_MS), ...args)
    const refused: RefusedKey[] = []
    deliveries.forEach(({key}, i) => {
      const reason = answer[2 * i] || answer[2 * i + 1]
      if (reason) refused.push({key, error: new ReplyError(reason)})
    })
    return refused
  }

  private async deliverKeyByKey(deliveries: readonly Delivery[]): Promise<RefusedKey[]> {
    const outcomes = await this.write(deliveries)
    const refused: RefusedKey[] = []
    // Only a refusal Redis answered is worth a DEL: a timeout or a closed connection would refuse it too.
    const retry: {key: BalanceKey; written: Error; announced?: Error}[] = []
    deliveries.forEach(({key}, i) => {
      const {written, announced} = outcomes[i] ?? {}
      if (written?.name === 'ReplyError') retry.push({key, written, announced})
      else if (written ?? announced) refused.push({key, error: (written ?? announced) as Error})
    })
    const deleted = retry.length === 0 ? [] : ((await this.redis.pipeline(retry.map((r) => ['del', balanceCacheKey(this.prefix, r.key)])).exec()) ?? [])
    retry.forEach(({key, written, announced}, i) => {
      const error = deleted[i]?.[0]
      if (error) refused.push({key, error: new Error(`${written.message}; DEL: ${error.message}`)})
      else if (announced) refused.push({key, error: announced})
    })
    return refused
  }

  /** One pipeline: each balance written (or its key deleted when there is none) and announced; Redis's refusals by delivery. */
  private async write(deliveries: readonly Delivery[]): Promise<{written?: Error; announced?: Error}[]> {
    if (deliveries.length === 0) return []
    const pipeline = this.redis.pipeline()
    const writes = pipeline as unknown as WithSetIfNewer<unknown>
    const ttl = String(REDIS_BALANCE_TTL_MS)
    for (const {key, balance} of deliveries) {
      if (balance) writes[COMMAND](balanceCacheKey(this.prefix, key), this.encode(balance), ttl)
      else pipeline.del(balanceCacheKey(this.prefix, key))
    }
    for (const {balance} of deliveries) if (balance) pipeline.publish(this.channel, encodeInvalidation(balance))
    const results = (await pipeline.exec()) ?? []
    let announcement = deliveries.length
    return deliveries.map(({balance}, i) => ({
      written: results[i]?.[0] ?? undefined,
      announced: balance ? (results[announcement++]?.[0] ?? undefined) : undefined,
    }))
  }

  private encode(balance: CachedBalance): string {
    return encodeCachedBalance(balance, this.generation.current)
  }
}
