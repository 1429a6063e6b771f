// What executing a transaction costs, in the shape of mainnet's GasCostSummary for the coin-only
// transactions the local Sui server executes. Computation is one bucket of 1,000 units at the
// transaction's gas price (the smallest bucket, where every such transaction lands on mainnet);
// storage is charged per coin object written and 99% of it is rebated per coin object the
// transaction consumed or overwrote, with the 1% rest kept as the non-refundable fee. The figures
// reproduce chain-builder's DEFAULT_GAS for a split-and-transfer paid from one gas coin.
import {type GasCost, REFERENCE_GAS_PRICE, netGas} from './chain-builder.ts'

/** Computation units of the smallest bucket; also the minimum budget, in units of the gas price. */
const COMPUTATION_UNITS = 1_000n
/** Storage charge of one coin object (its ~130 bytes at mainnet's storage price). */
const COIN_STORAGE_COST = 988_000n
/** The part of a consumed object's storage charge that comes back to the payer (99%). */
const COIN_STORAGE_REBATE = 978_120n
const COIN_NON_REFUNDABLE_FEE = COIN_STORAGE_COST - COIN_STORAGE_REBATE
/** Protocol max_tx_gas: 50 SUI. */
export const MAX_GAS_BUDGET = 50_000_000_000n
/** The SDK's and the node's budget estimate add this many computation units of headroom. */
const ESTIMATE_OVERHEAD_UNITS = 1_000n

/** The cost of a transaction that wrote `written` coin objects and consumed or overwrote `rebated`. */
export function gasCost(price: bigint, written: number, rebated: number): GasCost {
  return {
    computationCost: price * COMPUTATION_UNITS,
    storageCost: COIN_STORAGE_COST * BigInt(written),
    storageRebate: COIN_STORAGE_REBATE * BigInt(rebated),
    nonRefundableStorageFee: COIN_NON_REFUNDABLE_FEE * BigInt(rebated),
  }
}

/** The smallest budget a transaction at `price` may carry: one bucket of computation. */
export function minimumBudget(price: bigint): bigint {
  return price * COMPUTATION_UNITS
}

/**
 * The budget SimulateTransaction proposes from a dry run: the larger of computation and net cost,
 * each with 1,000 units of headroom at the reference gas price (as sui-rpc-api estimates it).
 */
export function estimateBudget(gas: GasCost): bigint {
  const overhead = ESTIMATE_OVERHEAD_UNITS * REFERENCE_GAS_PRICE
  const computation = gas.computationCost + overhead
  const net = netGas(gas) + overhead
  return net > computation ? net : computation
}
