// A process's view of the pipeline marker (pipeline-marker.ts), for the levels that do not read it
// with the balance: process memory, and PostgreSQL when Redis is not asked. It is what the last
// read of the marker said, trusted for at most PIPELINE_VIEW_MAX_AGE_MS (1 s) from when that read
// was sent; every Redis read of a balance renews it for free. Older, one GET of the marker (shared
// by every read waiting on it) renews it, so a memory hit makes at most one round trip a second.
// A marker that cannot be read counts as behind.

export const PIPELINE_VIEW_MAX_AGE_MS = 1_000

export class PipelineView {
  private readonly readMarker: () => Promise<boolean>
  private readonly maxAgeMs: number
  private caughtUp = false
  /** When the read the view holds was sent (performance.now()). */
  private sentAtMs = Number.NEGATIVE_INFINITY
  private renewal: Promise<boolean> | undefined

  /** `readMarker`: one read of the marker, true when it says caught up (rejects when Redis does not answer). */
  constructor(readMarker: () => Promise<boolean>, maxAgeMs = PIPELINE_VIEW_MAX_AGE_MS) {
    this.readMarker = readMarker
    this.maxAgeMs = maxAgeMs
  }

  /** What a read of the marker sent at `sentAtMs` said; an answer older than the view's is ignored. */
  note(caughtUp: boolean, sentAtMs: number): void {
    if (sentAtMs < this.sentAtMs) return
    this.caughtUp = caughtUp
    this.sentAtMs = sentAtMs
  }

  /** The view while it is fresh; undefined once it is older than the maximum age. */
  fresh(): boolean | undefined {
    return performance.now() - this.sentAtMs <= this.maxAgeMs ? this.caughtUp : undefined
  }

  /** The view, renewed first when it is not fresh; false when the marker cannot be read. */
  async current(): Promise<boolean> {
    const fresh = this.fresh()
    if (fresh !== undefined) return fresh
    this.renewal ??= this.renew().finally(() => (this.renewal = undefined))
    return this.renewal
  }

  private async renew(): Promise<boolean> {
    const sentAtMs = performance.now()
    const caughtUp = await this.readMarker().catch(() => false)
    this.note(caughtUp, sentAtMs)
    return caughtUp
  }
}
