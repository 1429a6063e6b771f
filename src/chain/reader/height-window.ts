// What a state reply's height proves. A fullnode appends x-sui-checkpoint-height to a reply after
// its handler has read the state, so a checkpoint sealed in between makes the value older than the
// header says; and the node's indexes are not written in one step with its height mark, so a value
// can also be a checkpoint newer than the header. What bounds it from below is a height the node
// had reached before the read was sent (an earlier reply's header, or a GetServiceInfo just
// before). So a state value is as of some checkpoint between that height and the header, and
// confio allows one checkpoint more on either side:
//
//   changes at checkpoints <  from   are in the value,
//   changes at checkpoints >  to     are not,
//   changes at checkpoints from..to  may or may not be: ambiguous.
//
// Whoever keeps a balance exact from a chain value decides each ambiguous change with what the
// pipeline knows (no change of that balance in the window: the value is exact whatever the
// header says), and otherwise marks the balance stale so the next read settles it.

export interface HeightWindow {
  /** The lowest checkpoint whose balance changes the value may leave out. */
  readonly from: bigint
  /** The highest checkpoint whose balance changes the value may hold. */
  readonly to: bigint
}

/**
 * The window of a reply whose header names `header`, for a read sent when the node was known to be
 * at `heightBefore` (undefined: nothing known; the header alone). A `heightBefore` above the
 * header is another node's, further ahead: it says nothing of this one.
 */
export function heightWindow(header: bigint, heightBefore: bigint | undefined): HeightWindow {
  const low = heightBefore !== undefined && heightBefore < header ? heightBefore : header
  return {from: low > 0n ? low - 1n : 0n, to: header + 1n}
}

/** The smallest window holding both (the pages of one listing, each with its own reply). */
export function spanOf(a: HeightWindow, b: HeightWindow): HeightWindow {
  return {from: a.from < b.from ? a.from : b.from, to: a.to > b.to ? a.to : b.to}
}

/** Whether a change at `checkpoint` may or may not be in a value read with this window. */
export function isAmbiguous(window: HeightWindow, checkpoint: bigint): boolean {
  return checkpoint >= window.from && checkpoint <= window.to
}
