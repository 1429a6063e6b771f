// What `confio coins consolidate` answers with (--json, and what its screen draws): the plan and
// each transaction's outcome, coins by object id, amounts in base units. A step without an outcome
// was skipped: its coins were gone when it came to be built.
import type {ConsolidationDue, ConsolidationTarget, HoldingSummary} from './consolidation-plan.ts'
import type {ConsolidationRun, StepOutcome} from './consolidation-runner.ts'
import type {ProtocolLimits} from './protocol-limits.ts'

export interface ConsolidationResult {
  address: string
  token: string
  into: ConsolidationTarget
  executed: boolean
  due: ConsolidationDue
  limits: ProtocolLimits
  before: HoldingSummary
  /** The coin the others merge into, or (SUI) the gas coin that stays. */
  target: string | null
  kept: string[]
  transactions: {step: number; coins: string[]; amount: bigint; outcome: StepOutcome | null}[]
  /** Net gas of all transactions, MIST. */
  gasUsed: bigint
  /** Expected after a dry run, read from the node after --execute. */
  after: HoldingSummary
}

export function consolidationResult(run: ConsolidationRun): ConsolidationResult {
  const {plan} = run
  const outcomes = new Map(run.steps.map((s) => [s.step, s]))
  return {
    address: plan.owner,
    token: plan.token.symbol,
    into: plan.into,
    executed: run.executed,
    due: plan.due,
    limits: plan.limits,
    before: plan.before,
    target: plan.target?.objectId ?? null,
    kept: plan.kept.map((c) => c.objectId),
    transactions: plan.transactions.map((t, i) => ({step: i + 1, coins: t.coins.map((c) => c.objectId), amount: t.amount, outcome: outcomes.get(i + 1) ?? null})),
    gasUsed: run.gasUsed,
    after: run.after,
  }
}
