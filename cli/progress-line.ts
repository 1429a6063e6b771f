// A progress line on stderr for a command that runs a while. On a terminal it is redrawn in place
// (at most every 100 ms, so drawing costs the work nothing) and each finished step stays on a line
// of its own; anywhere else (a pipe, a log file) only the finished steps are written, one line each.
// stdout is left alone: it carries the result (--json).

const REDRAW_MS = 100
const CLEAR_LINE = '\r\u001B[2K'

export class ProgressLine {
  private readonly stream: NodeJS.WriteStream
  private readonly live: boolean
  private lastDraw = 0
  private drawn = false

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.stream = stream
    this.live = Boolean(stream.isTTY)
  }

  /** Redrawn in place (a terminal); elsewhere only done() lines are written. */
  get isLive(): boolean {
    return this.live
  }

  /** The work in hand, e.g. `redis: 1200/2000 reads`; shown on a terminal only. */
  update(text: string): void {
    if (!this.live) return
    const now = performance.now()
    if (this.drawn && now - this.lastDraw < REDRAW_MS) return
    this.lastDraw = now
    this.drawn = true
    // Cut to the terminal's width: a wrapped line cannot be redrawn in place.
    const width = this.stream.columns > 1 ? this.stream.columns - 1 : 79
    this.stream.write(`${CLEAR_LINE}${text.length > width ? text.slice(0, width) : text}`)
  }

  /** A finished step, kept on its own line. */
  done(text: string): void {
    this.stream.write(`${this.live ? CLEAR_LINE : ''}${text}\n`)
    this.drawn = false
  }

  /** Removes the line being redrawn (before an error or the result is printed). */
  clear(): void {
    if (this.live && this.drawn) this.stream.write(CLEAR_LINE)
    this.drawn = false
  }
}
