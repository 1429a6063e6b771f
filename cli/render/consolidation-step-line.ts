// The line `confio coins consolidate` writes to stderr as each transaction is simulated or executed.
import type {StepOutcome} from '../../src/coins/consolidation-runner.ts'
import {formatTokenAmount} from '../../src/tokens/amounts.ts'
import type {Token} from '../../src/tokens/token-registry.ts'

export function consolidationStepLine(step: StepOutcome, token: Token, executing: boolean): string {
  const where = executing ? `executed ${step.digest} in checkpoint ${step.checkpoint}` : `simulated: ${step.status.success ? 'ok' : step.status.error}`
  return `transaction ${step.step}: ${step.coins} coins, ${formatTokenAmount(step.amount, token)}, ${where}`
}
