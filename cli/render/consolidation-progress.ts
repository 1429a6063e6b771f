// `confio coins consolidate`'s progress on stderr: a step per planned transaction. Live: the list,
// the one in hand saying what it waits for (the node to catch up, the simulation, the execution,
// its checkpoint), each one done shown as its line. Plain: the line as each is done (not under --json).
import type {ConsolidationPlan} from '../../src/coins/consolidation-plan.ts'
import type {ConsolidationRunOptions, StepActivity} from '../../src/coins/consolidation-runner.ts'
import type {ProgressMode} from '../progress-mode.ts'
import type {StepList} from '../step-list.ts'
import {consolidationStepLine} from './consolidation-step-line.ts'

export function consolidationSteps(plan: ConsolidationPlan, executing: boolean): string[] {
  const doing = executing ? 'build, simulate, sign, execute and wait for its checkpoint' : 'build and simulate'
  return plan.transactions.map((t, index) => `Transaction ${index + 1}: ${t.coins.length} coins: ${doing}`)
}

export function consolidationProgress(mode: ProgressMode, steps: StepList, plan: ConsolidationPlan, executing: boolean, writeLine: ((line: string) => void) | undefined): Required<Pick<ConsolidationRunOptions, 'onStep' | 'onActivity'>> {
  if (mode === 'plain') return {onStep: (step) => writeLine?.(consolidationStepLine(step, plan.token, executing)), onActivity: () => undefined}
  let ended = 0
  /** A planned transaction the coins as they are now leave nothing to do for is passed over. */
  const reach = (step: number) => {
    for (; ended + 1 < step; ended++) steps.skip('nothing left to do')
  }
  return {
    onActivity: (step, activity) => {
      reach(step)
      steps.update(activityText(activity))
    },
    onStep: (step) => {
      reach(step.step)
      ended = step.step
      steps.next(consolidationStepLine(step, plan.token, executing))
    },
  }
}

function activityText(activity: StepActivity): string {
  switch (activity.kind) {
    case 'node-catching-up':
      return `waiting for the node to reach checkpoint ${activity.checkpoint} (the coins the last one left)`
    case 'building':
      return 'building it from the coins as they are now, and simulating it'
    case 'executing':
      return `executing ${activity.digest}`
    case 'awaiting-checkpoint':
      return `executed ${activity.digest}; waiting for its checkpoint`
  }
}
