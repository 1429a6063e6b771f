// `confio backfill`'s progress (and `accounts add/import --backfill-*`'s), drawn live only: its
// two phases, finding where to start (the checkpoint of --since, the source) then reading and
// storing the history (checkpoints done/total, their rate, the time left, transactions found).
// Plain output has no progress, only the summary after.
import type {BackfillRequest} from '../../src/ingest/account-backfill.ts'
import type {FillProgress} from '../../src/ingest/history-fill.ts'
import type {StepList} from '../step-list.ts'
import {workRate} from './work-rate.ts'

export const BACKFILL_STEPS = ['Find where the history starts', 'Read and store the history']

export function backfillProgress(steps: StepList, now: () => number = () => performance.now()): Required<Pick<BackfillRequest, 'onStart' | 'onProgress'>> {
  let reading = now()
  return {
    onStart: ({from, source}) => {
      steps.next(`Start at checkpoint ${from}, by ${source === 'list' ? "the node's ListTransactions" : 'a checkpoint scan'}`)
      reading = now()
    },
    onProgress: (p: FillProgress) => {
      const found = `${p.found.toLocaleString('en-US')} transactions found`
      steps.update(`${workRate(Number(p.checkpointsDone), Number(p.checkpointsTotal), now() - reading, 'checkpoints')}; ${found}`)
    },
  }
}
