// `confio reconcile`'s progress on stderr: done/total, accounts per second and the time left,
// redrawn on a terminal, and every tenth of the way as a line of its own elsewhere.
import type {ReconcileProgress} from '../../src/reconcile/reconcile-report.ts'
import {formatDuration} from '../durations.ts'
import type {ProgressLine} from '../progress-line.ts'

export function reconcileProgress(line: ProgressLine): (p: ReconcileProgress) => void {
  let lastTenth = 0
  return ({done, total, elapsedMs}) => {
    const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0
    const eta = rate > 0 ? formatDuration(Math.max(1, Math.round((total - done) / rate)) * 1000) : '?'
    const text = `reconcile: ${done}/${total} accounts, ${rate.toFixed(0)}/s, ${done < total ? `about ${eta} left` : 'done'}`
    if (line.isLive) line.update(text)
    else if (total > 0 && Math.floor((done * 10) / total) > lastTenth) {
      lastTenth = Math.floor((done * 10) / total)
      line.done(text)
    }
  }
}
