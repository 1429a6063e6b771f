// `confio reconcile`'s progress on stderr. Live: a list of its two steps, reading every account's
// balances (done/total, accounts per second, the time left) then settling those in flight (the
// pipeline waited for, those accounts read again). Plain: a line every tenth of the reading.
import type {ReconcileOptions, ReconcileProgress} from '../../src/reconcile/reconcile-report.ts'
import type {ProgressMode} from '../progress-mode.ts'
import type {StepList} from '../step-list.ts'
import {workRate} from './work-rate.ts'

export const RECONCILE_STEPS = ["Read each account's balances from the chain", 'Settle the accounts in flight']

type ReconcileCallbacks = Required<Pick<ReconcileOptions, 'onProgress' | 'onSettle'>>

export function reconcileProgress(mode: ProgressMode, steps: StepList, writeLine: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): ReconcileCallbacks {
  let read = 0
  if (mode === 'live') {
    return {
      onProgress: ({done, total, elapsedMs}: ReconcileProgress) => {
        read = total
        steps.update(workRate(done, total, elapsedMs, 'accounts'))
      },
      onSettle: (accounts) => {
        steps.next(`Read the balances of ${read} accounts from the chain`)
        steps.update(`${accounts} in flight: waiting for the pipeline to reach them, then reading them again`)
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
  }
}
