// `confio cache reset`: retires every balance copy in Redis. The generation moves on in PostgreSQL
// first (that alone makes every copy a miss: cache-generation.ts), running processes are told at
// once on the invalidation channel (they would notice within seconds anyway), then the retired
// copies are deleted: every balance key, of any format, whose value is not of the new generation
// or a later one, SCANned in batches so Redis is never blocked for long.
import type {Redis} from 'ioredis'
import type {Knex} from 'knex'
import {messageOf, RuntimeFailure} from '../errors.ts'
import {advanceCacheGeneration} from './cache-generation.ts'
import {balanceInvalidationChannel, balanceKeyPattern, balanceKeyPrefix, encodeGenerationMessage} from './balance-keys.ts'

// KEYS: one SCAN batch of balance keys; ARGV[1]: the new generation; ARGV[2]: the current key
// format's prefix. A key of another format, or whose value is not a string of the new generation
// or a later one, is deleted. Returns how many were.
const DELETE_RETIRED = `
local function above(a, b) return #a > #b or (#a == #b and a > b) end
local deleted = 0
for _, key in ipairs(KEYS) do
  local keep = false
  if string.sub(key, 1, #ARGV[2]) == ARGV[2] then
    local value = redis.pcall('GET', key)
    local generation = type(value) == 'string' and string.match(value, '^(%d+)|')
    keep = generation and not above(ARGV[1], generation)
  end
  if not keep then deleted = deleted + redis.call('DEL', key) end
end
return deleted`

export interface CacheResetProgress {
  readonly scanned: number
  readonly deleted: number
}

export interface CacheResetResult extends CacheResetProgress {
  readonly previousGeneration: bigint
  readonly generation: bigint
  readonly ms: number
}

export interface CacheResetOptions {
  readonly db: Knex
  /** Opened after the generation has moved: a Redis that is down does not keep it from moving. */
  readonly redis: () => Promise<Redis>
  readonly prefix: string
  /** Keys per SCAN (default 1,000). */
  readonly batch?: number
  readonly onProgress?: (progress: CacheResetProgress) => void
}

export async function resetBalanceCache(options: CacheResetOptions): Promise<CacheResetResult> {
  const started = performance.now()
  const {previous, generation} = await advanceCacheGeneration(options.db)
  let scanned = 0
  let deleted = 0
  try {
    const redis = await options.redis()
    await redis.publish(balanceInvalidationChannel(options.prefix), encodeGenerationMessage(generation))
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', balanceKeyPattern(options.prefix), 'COUNT', options.batch ?? 1_000)
      cursor = next
      if (keys.length > 0) deleted += (await redis.eval(DELETE_RETIRED, keys.length, ...keys, generation.toString(), balanceKeyPrefix(options.prefix))) as number
      scanned += keys.length
      options.onProgress?.({scanned, deleted})
    } while (cursor !== '0')
  } catch (error) {
    throw new RuntimeFailure(
      `the cache generation moved on to ${generation}, so no old copy in Redis is served; deleting the old copies stopped after ${deleted} of them: ${messageOf(error)}`,
      {code: 'CACHE_RESET_INCOMPLETE', remedy: 'run confio cache reset again once Redis answers, or leave the old copies to expire (7 days)', cause: error},
    )
  }
  return {previousGeneration: previous, generation, scanned, deleted, ms: Math.round(performance.now() - started)}
}
