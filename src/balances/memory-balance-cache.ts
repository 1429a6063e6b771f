// The in-process level of the balance cache: a bounded map, dropped entry by entry by the
// invalidation channel and wholly after the channel reconnects (Redis pub/sub keeps nothing for a
// subscriber that was away, so anything held then may have missed a change).
import {type BalanceInvalidation, type BalanceKey, balanceKeyId} from './balance-keys.ts'
import type {CachedBalance} from './cached-balance.ts'

export class MemoryBalanceCache {
  private readonly entries = new Map<string, CachedBalance>()
  private readonly maxEntries: number

  constructor(maxEntries = 100_000) {
    this.maxEntries = maxEntries
  }

  get(key: BalanceKey): CachedBalance | undefined {
    return this.entries.get(balanceKeyId(key))
  }

  /** Keeps the balance unless a later version is held; the oldest entry goes when full. */
  set(balance: CachedBalance): void {
    const id = balanceKeyId(balance)
    const held = this.entries.get(id)
    if (held && held.version > balance.version) return
    this.entries.delete(id)
    this.entries.set(id, balance)
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string)
  }

  /** A change elsewhere: what is held before that version is no longer current. */
  invalidate(message: BalanceInvalidation): void {
    const id = balanceKeyId(message)
    const held = this.entries.get(id)
    if (held && held.version < message.version) this.entries.delete(id)
  }

  delete(key: BalanceKey): void {
    this.entries.delete(balanceKeyId(key))
  }

  clear(): void {
    this.entries.clear()
  }
}
