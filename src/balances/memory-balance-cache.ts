// The in-process level of the balance cache: a bounded map kept in step with other processes by
// the invalidation channel. Redis pub/sub keeps nothing for a subscriber that is away, so:
// - while the channel is down (suspend) the level is bypassed: it holds nothing and takes nothing,
//   and when it is back (resume) it starts empty: anything held then may have missed a change;
// - an entry older than maxAgeMs is a miss, whatever the channel said: a lost message costs at
//   most that long;
// - a fill (a read from Redis or PostgreSQL on its way here) lands only if no invalidation of a
//   later version, and no suspend or clear, came while it was on its way (startFill).
import {BALANCE_MEMORY_MAX_AGE_DEFAULT_MS} from '../config/settings.ts'
import {type BalanceInvalidation, type BalanceKey, balanceKeyId} from './balance-keys.ts'
import type {CachedBalance} from './cached-balance.ts'

export interface MemoryBalanceCacheOptions {
  /** Entries kept (default 100,000); the oldest goes when full. */
  readonly maxEntries?: number
  /** BALANCE_MEMORY_MAX_AGE (default 60 s). */
  readonly maxAgeMs?: number
}

/** A read on its way to the memory level, begun before the read: set() lands only if nothing invalidated the key since. */
export interface MemoryFill {
  set(balance: CachedBalance): void
  /** The read is over (landed or not); call it once, whatever happened. */
  end(): void
}

interface Entry {
  readonly balance: CachedBalance
  readonly storedAtMs: number
}

/** The fills of one key on their way: the highest version an invalidation said is current meanwhile. */
interface Landing {
  fills: number
  floor: bigint
}

export class MemoryBalanceCache {
  private readonly entries = new Map<string, Entry>()
  private readonly landings = new Map<string, Landing>()
  private readonly maxEntries: number
  private readonly maxAgeMs: number
  private bypassed = false
  /** Moves on with every clear: a fill begun before one never lands. */
  private epoch = 0

  constructor(options: MemoryBalanceCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000
    this.maxAgeMs = options.maxAgeMs ?? BALANCE_MEMORY_MAX_AGE_DEFAULT_MS
  }

  get(key: BalanceKey): CachedBalance | undefined {
    const id = balanceKeyId(key)
    const entry = this.entries.get(id)
    if (!entry) return undefined
    if (performance.now() - entry.storedAtMs <= this.maxAgeMs) return entry.balance
    this.entries.delete(id)
    return undefined
  }

  /** Keeps the balance unless a later version is held; the oldest entry goes when full. Nothing while bypassed. */
  set(balance: CachedBalance): void {
    if (this.bypassed) return
    const id = balanceKeyId(balance)
    const held = this.entries.get(id)
    if (held && held.balance.version > balance.version) return
    this.entries.delete(id)
    this.entries.set(id, {balance, storedAtMs: performance.now()})
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string)
  }

  /** A read of `key` from a lower level begins: what it brings back lands through the returned fill. */
  startFill(key: BalanceKey): MemoryFill {
    const id = balanceKeyId(key)
    const epoch = this.epoch
    let landing = this.landings.get(id)
    if (!landing) this.landings.set(id, (landing = {fills: 0, floor: 0n}))
    landing.fills += 1
    const on = landing
    let ended = false
    return {
      set: (balance) => {
        if (epoch === this.epoch && balance.version >= on.floor) this.set(balance)
      },
      end: () => {
        if (ended) return
        ended = true
        on.fills -= 1
        if (on.fills === 0) this.landings.delete(id)
      },
    }
  }

  /** A change elsewhere: what is held, or on its way, before that version is no longer current. */
  invalidate(message: BalanceInvalidation): void {
    const id = balanceKeyId(message)
    const held = this.entries.get(id)
    if (held && held.balance.version < message.version) this.entries.delete(id)
    const landing = this.landings.get(id)
    if (landing && landing.floor < message.version) landing.floor = message.version
  }

  clear(): void {
    this.entries.clear()
    this.epoch += 1
  }

  /** The invalidation channel is down: hold and take nothing until resume(). */
  suspend(): void {
    this.bypassed = true
    this.clear()
  }

  /** The channel is back (subscribed again): start empty, since messages in between are lost. */
  resume(): void {
    this.bypassed = false
    this.clear()
  }

  /** False while the channel is down. */
  get inUse(): boolean {
    return !this.bypassed
  }
}
