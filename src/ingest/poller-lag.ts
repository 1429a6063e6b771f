// The poller's lag, by this machine's clock alone: how long the oldest checkpoint the node has
// shown the poller (as a tip, or as a checkpoint read) has gone uncommitted; 0 when the cursor is
// at the last tip seen. Neither the chain's timestamps (another machine's clock, and a localnet
// that seals nothing has old ones) nor "time since the last commit" (a quiet chain commits nothing)
// would do: only a checkpoint known to exist and not committed is lag.
//
// One mark per second at most: a tip seen within a second of the last mark joins it, keeping the
// earlier time, so the lag can only be over-stated (by up to a second), never under-stated.

const MARK_SPACING_MS = 1_000

interface Mark {
  /** The highest checkpoint seen by `seenAtMs`. */
  through: bigint
  readonly seenAtMs: number
}

export class PollerLag {
  private committedThrough: bigint
  private readonly marks: Mark[] = []

  /** `cursor`: the last checkpoint committed when the poller starts (-1 for none). */
  constructor(cursor: bigint) {
    this.committedThrough = cursor
  }

  /** The node has shown checkpoint `tip` (GetServiceInfo, or a checkpoint read). */
  tipSeen(tip: bigint, nowMs = performance.now()): void {
    if (tip <= this.committedThrough) return
    const last = this.marks.at(-1)
    if (last && tip <= last.through) return
    if (last && nowMs - last.seenAtMs < MARK_SPACING_MS) last.through = tip
    else this.marks.push({through: tip, seenAtMs: nowMs})
  }

  /** Checkpoints through `cursor` are committed. */
  committed(cursor: bigint): void {
    if (cursor > this.committedThrough) this.committedThrough = cursor
    while (this.marks.length > 0 && (this.marks[0] as Mark).through <= this.committedThrough) this.marks.shift()
  }

  lagMs(nowMs = performance.now()): number {
    const oldest = this.marks[0]
    return oldest ? Math.max(0, nowMs - oldest.seenAtMs) : 0
  }
}
