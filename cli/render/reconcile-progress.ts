// `confio reconcile`'s progress on stderr. Live: a list of its two steps, reading every account's
// balances (done/total, accounts per second, the time left) then settling those in flight (the
// pipeline waited for, those accounts read again). Plain: a line every tenth of the reading.
import type {ReconcileOptions, ReconcileProgress} from '../../src/reconcile/reconcile-report.ts'
import type {ProgressMode} from '../progress-mode.ts'
import type {StepList} from '../step-list.ts'
import {workRate} from './work-rate.ts'

export const RECONCILE_STEPS = ["Read each account's balances from the chain", 'Settle the accounts in flight']

export interface ReconcileShown extends Required<Pick<ReconcileOptions, 'onProgress' | 'onSettle'>> {
  /** The run is over: a settling that never began was not needed. */
  finished(): void
}

export function reconcileProgress(mode: ProgressMode, steps: StepList, writeLine: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): ReconcileShown {
  if (mode === 'live') {
    let stage: 'reading' | 'read' | 'settling' = 'reading'
    let total = 0
    const endReading = () => {
      if (stage === 'reading') steps.next(`Read the balances of ${total} accounts from the chain`)
      stage = 'read'
    }
    return {
      onProgress: ({done, total: all, elapsedMs}: ReconcileProgress) => {
        total = all
        if (stage !== 'reading') return
        steps.update(workRate(done, all, elapsedMs, 'accounts'))
        if (done === all) endReading()
      },
      onSettle: (accounts) => {
        endReading()
        stage = 'settling'
        steps.update(`${accounts} in flight: waiting for the pipeline to reach them, then reading them again`)
      },
      finished: () => {
        if (stage === 'settling') return
        endReading()
        steps.skip('no account in flight')
      },
    }
  }
  let lastTenth = 0
  return {
    onProgress: ({done, total, elapsedMs}: ReconcileProgress) => {
      if (total > 0 && Math.floor((done * 10) / total) > lastTenth) {
        lastTenth = Math.floor((done * 10) / total)
        writeLine(`reconcile: ${workRate(done, total, elapsedMs, 'accounts')}`)
      }
    },
    onSettle: () => undefined,
    finished: () => undefined,
  }
}
