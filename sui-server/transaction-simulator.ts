// SimulateTransaction's work before the dry run, as sui-rpc-api does it
// (transaction_execution_service/simulate): resolve a structured transaction (objects named by id
// get their current version and digest, a missing gas price becomes the reference gas price),
// estimate the budget from a first dry run when none was given, and select gas coins when asked.
// Then the transaction runs on the live state without committing anything (Ledger.runProgram with
// dryRun), so the reply says what executing it would do: status, gas, balance changes, objects.
//
// Gas selection follows the node: every SUI coin of the gas owner that the transaction does not
// use as an input, up to 256, must cover the budget. When they cannot and the owner's SUI address
// balance can (and the transaction does not use the gas coin), gas is paid from the address
// balance instead (SIP-58) with a ValidDuring expiration for the current epoch, as the SDK builds
// such transactions. Without a gas payment and without such a balance, the dry run pays with a
// mock coin, as a node's does.
import {GrpcTypes} from '@mysten/sui/grpc'
import {TransactionDataBuilder} from '@mysten/sui/transactions'
import {REFERENCE_GAS_PRICE, digestOf} from './chain-builder.ts'
import {SUI_COIN_TYPE} from '../src/sui/identifiers.ts'
import {estimateBudget, MAX_GAS_BUDGET} from './gas-meter.ts'
import {programFromGrpc} from './grpc-program.ts'
import type {Ledger, ProgramRun} from './ledger.ts'
import {type Program, type ProgramInput, inputObjectIds, programFromBcs, programToBcs} from './program.ts'
import {rejected} from './refusal.ts'
import {type GasMode, checkProgram, checkTransactionSize, usesGasCoin} from './transaction-checks.ts'

const MAX_GAS_PAYMENT_OBJECTS = 256

export interface Simulation {
  /** The transaction as resolved: what the reply's `transaction.transaction` shows. */
  program: Program
  run: ProgramRun
  /** The resolved transaction's BCS (its digest is the run's), absent when it cannot be encoded (checks disabled). */
  bcs?: Uint8Array
}

let simulations = 0

export function simulateTransaction(ledger: Ledger, request: GrpcTypes.SimulateTransactionRequest): Simulation {
  const given = request.transaction ?? GrpcTypes.Transaction.create()
  const bcs = given.bcs?.value?.length ? given.bcs.value : undefined
  if (bcs) checkTransactionSize(bcs)
  const program = bcs ? programFromBcs(bcs) : resolveInputs(programFromGrpc(given), ledger)
  program.gas.price ??= REFERENCE_GAS_PRICE
  const checks = request.checks !== GrpcTypes.SimulateTransactionRequest_TransactionChecks.DISABLED
  // Gas selection makes no sense when checks are off: such a transaction can never be executed.
  if (request.doGasSelection && checks) selectGas(ledger, program, {estimate: !bcs})
  program.gas.budget ??= MAX_GAS_BUDGET
  const gasMode = checks ? gasModeOf(ledger, program) : 'mock'
  if (checks) checkProgram(program, ledger, gasMode, {simulation: true})
  simulations += 1
  const encoded = bcs ?? encode(program)
  const digest = encoded ? TransactionDataBuilder.getDigestFromBytes(encoded) : digestOf('simulation', ledger.chainId, simulations)
  return {program, run: ledger.runProgram(program, {digest, gasMode, dryRun: true}), bcs: encoded}
}

/** A resolved transaction's BCS; a transaction simulated with checks disabled may not encode. */
function encode(program: Program): Uint8Array | undefined {
  try {
    return programToBcs(program)
  } catch {
    return undefined
  }
}

/** Objects named by id alone become references to their current version, as the node resolves them. */
function resolveInputs(program: Program, ledger: Ledger): Program {
  const inputs = program.inputs.map((input): ProgramInput => {
    if (input.kind !== 'unresolved') return input
    const coin = ledger.store.get(input.objectId)
    if (!coin) throw rejected(`Object ${input.objectId} not found (the confio test server holds coin objects only)`)
    return {kind: 'owned', objectId: coin.objectId, version: coin.version, digest: coin.digest}
  })
  return {...program, inputs}
}

/** Budget (from a dry run, when none was given) and gas payment, filled in as the node does. */
function selectGas(ledger: Ledger, program: Program, opts: {estimate: boolean}): void {
  const gas = program.gas
  if (gas.budget === undefined && opts.estimate) {
    const dryRun = ledger.runProgram({...program, gas: {...gas, budget: MAX_GAS_BUDGET}}, {digest: digestOf('estimate', ledger.chainId, simulations), gasMode: 'mock', dryRun: true})
    const estimate = estimateBudget(dryRun.record.gasUsed)
    const available = gas.payment.reduce((sum, ref) => sum + (ledger.store.get(ref.objectId)?.balance ?? 0n), 0n)
    if (gas.payment.length > 0 && available < estimate) {
      throw rejected(`Insufficient gas balance to cover estimated transaction cost. Available gas balance: ${available} MIST. Estimated gas budget required: ${estimate} MIST`)
    }
    gas.budget = estimate
  }
  const budget = gas.budget ?? MAX_GAS_BUDGET
  if (gas.payment.length > 0) return
  if (program.expiration.kind === 'validDuring' && paysFromAddressBalance(ledger, program, budget)) return
  const inputs = new Set(inputObjectIds(program))
  const coins = ledger.store.coinsOf(gas.owner, SUI_COIN_TYPE).filter((c) => !inputs.has(c.objectId)).slice(0, MAX_GAS_PAYMENT_OBJECTS)
  if (coins.reduce((sum, c) => sum + c.balance, 0n) >= budget) {
    gas.payment = coins.map((c) => ({objectId: c.objectId, version: c.version, digest: c.digest}))
    return
  }
  if (paysFromAddressBalance(ledger, program, budget)) {
    if (program.expiration.kind === 'none') program.expiration = {kind: 'validDuring', minEpoch: ledger.epoch, maxEpoch: ledger.epoch + 1n, chain: ledger.chainId, nonce: simulations}
    return
  }
  throw rejected(`Unable to perform gas selection due to insufficient SUI balance for account ${gas.owner} to satisfy required budget ${budget}.`)
}

function paysFromAddressBalance(ledger: Ledger, program: Program, budget: bigint): boolean {
  return !usesGasCoin(program) && ledger.store.addressBalance(program.gas.owner, SUI_COIN_TYPE) >= budget
}

function gasModeOf(ledger: Ledger, program: Program): GasMode {
  if (program.gas.payment.length > 0) return 'coins'
  return paysFromAddressBalance(ledger, program, program.gas.budget ?? MAX_GAS_BUDGET) ? 'addressBalance' : 'mock'
}
