// The cache generation: one number in PostgreSQL (cache_generation) that every balance copy in
// Redis carries. A copy of another generation is a miss, and a copy of a newer generation replaces
// one of an older generation whatever their versions. Moving it on (`confio migrate`,
// `confio cache reset`) retires every copy at once: after PostgreSQL is restored, or fails over
// losing commits, its rows' versions go back, and copies Redis kept at higher versions would
// otherwise be served as trusted and never overwritten.
//
// A process reads it once at start (before its first Redis read or write) and, when it runs for
// long, again every few seconds and whenever `confio cache reset` announces a new one on the
// invalidation channel. A process that has not noticed a new generation yet reads only copies of
// its old one, which the new generation's writers replace; it never overwrites theirs.
import type {Knex} from 'knex'

/** How often a long-running process reads the generation again (watch). */
export const GENERATION_REFRESH_MS = 5_000

export class CacheGeneration {
  private readonly db: Knex
  private value: bigint | undefined
  private readonly listeners = new Set<(generation: bigint) => void>()
  private timer: NodeJS.Timeout | undefined

  /** Not read yet: call refresh() (or use read()) before the first Redis call. */
  constructor(db: Knex) {
    this.db = db
  }

  static async read(db: Knex): Promise<CacheGeneration> {
    const generation = new CacheGeneration(db)
    await generation.refresh()
    return generation
  }

  get current(): bigint {
    if (this.value === undefined) throw new Error('the cache generation has not been read from PostgreSQL yet')
    return this.value
  }

  /** Reads it again; true when it moved (listeners have been told). */
  async refresh(): Promise<boolean> {
    const generation = await readCacheGeneration(this.db)
    if (this.value !== undefined && generation === this.value) return false
    const moved = this.value !== undefined
    this.value = generation
    if (moved) for (const listener of this.listeners) listener(generation)
    return moved
  }

  /** Called with each new generation this process takes (memory levels clear on it). */
  onChange(listener: (generation: bigint) => void): void {
    this.listeners.add(listener)
  }

  /** Reads it again every intervalMs until stop(); a failed read is passed to onError and retried at the next. */
  watch(onError: (error: unknown) => void, intervalMs = GENERATION_REFRESH_MS): void {
    this.timer ??= setInterval(() => void this.refresh().catch(onError), intervalMs).unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}

export async function readCacheGeneration(db: Knex): Promise<bigint> {
  const {rows} = await db.raw<{rows: {generation: string}[]}>('SELECT generation::text FROM cache_generation')
  if (!rows[0]) throw new Error('cache_generation has no row; run confio migrate')
  return BigInt(rows[0].generation)
}

/**
 * Moves the generation on: to PostgreSQL's clock in ms, or one past the last when that is higher,
 * so a database restored to an older generation still moves past every one used since.
 */
export async function advanceCacheGeneration(db: Knex): Promise<{previous: bigint; generation: bigint}> {
  const {rows} = await db.raw<{rows: {previous: string; generation: string}[]}>(
    `WITH old AS (SELECT generation FROM cache_generation FOR UPDATE)
     UPDATE cache_generation c SET generation = greatest(old.generation + 1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint), changed_at = now()
     FROM old RETURNING old.generation::text AS previous, c.generation::text AS generation`,
  )
  if (!rows[0]) throw new Error('cache_generation has no row; run confio migrate')
  return {previous: BigInt(rows[0].previous), generation: BigInt(rows[0].generation)}
}
