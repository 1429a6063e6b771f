// How much gas a coin-management transaction is given. It is simulated first under a provisional
// budget, then given what the simulation used, the way the SDK budgets (client/core-resolver):
// the computation plus a safety overhead of 1,000 gas units, plus storage net of the rebate, never
// less than the computation with its overhead, because the rebate is only credited afterwards.
import type {GasCostRecord} from '../chain/index.ts'

/** Gas units of headroom over the simulated computation (the SDK's GAS_SAFE_OVERHEAD). */
const SAFE_OVERHEAD_UNITS = 1_000n

/**
 * The cap of the budget a transaction is simulated under (1 SUI): far above what merging a
 * transaction's worth of coins costs (their rebates mostly pay for it), and low enough that a
 * wallet holding little SUI can still simulate.
 */
export const PROVISIONAL_BUDGET_CAP = 1_000_000_000n

export function gasBudgetFrom(cost: GasCostRecord, gasPrice: bigint): bigint {
  const computation = cost.computation + SAFE_OVERHEAD_UNITS * gasPrice
  const withStorage = computation + cost.storage - cost.rebate
  return withStorage > computation ? withStorage : computation
}

/** The provisional budget: the cap, or what the gas payment holds if that is less. */
export function provisionalBudget(available: bigint): bigint {
  return available < PROVISIONAL_BUDGET_CAP ? available : PROVISIONAL_BUDGET_CAP
}
