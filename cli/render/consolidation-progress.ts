// `confio coins consolidate`'s progress on stderr: a step per planned transaction. Live: the list,
// the one in hand built, simulated and (--execute) signed, executed and waited for until its
// checkpoint, each one done shown as its line. Plain: the line as each is done (not under --json).
import type {ConsolidationPlan} from '../../src/coins/consolidation-plan.ts'
import type {StepOutcome} from '../../src/coins/consolidation-runner.ts'
import type {ProgressMode} from '../progress-mode.ts'
import type {StepList} from '../step-list.ts'
import {consolidationStepLine} from './consolidation-step-line.ts'

export function consolidationSteps(plan: ConsolidationPlan, executing: boolean): string[] {
  const doing = executing ? 'build, simulate, sign, execute and wait for its checkpoint' : 'build and simulate'
  return plan.transactions.map((t, index) => `Transaction ${index + 1}: ${t.coins.length} coins: ${doing}`)
}

export function consolidationProgress(mode: ProgressMode, steps: StepList, plan: ConsolidationPlan, executing: boolean, writeLine: ((line: string) => void) | undefined): (step: StepOutcome) => void {
  let shown = 0
  return (step) => {
    const line = consolidationStepLine(step, plan.token, executing)
    if (mode === 'plain') {
      writeLine?.(line)
      return
    }
    // A planned transaction the coins as they are now leave nothing to do for is passed over.
    for (; shown + 1 < step.step; shown++) steps.skip('nothing left to do')
    shown = step.step
    steps.next(line)
  }
}
