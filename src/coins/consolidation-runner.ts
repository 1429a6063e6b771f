// Runs a consolidation plan: each transaction is built from the coins as they are now, simulated
// under a provisional budget to learn its gas, built again with that budget and simulated again.
// A dry run stops there and sends nothing. Executing signs each with the owner's key, submits it,
// waits until it is in a checkpoint, and waits for the node's state to reach that checkpoint before
// the next is built: every step but the first spends a coin (the target, the gas coin) whose
// version the previous step changed. An executing run that stops throws a ConsolidationFailure
// naming every step executed so far and any step sent without an answer (by the digest computed
// before sending), so the operator never sends a step twice.
import {TransactionDataBuilder} from '@mysten/sui/transactions'
import {ChainError} from '../chain/index.ts'
import type {BalanceChangeRecord, ChainReader, CoinRecord, EffectsStatus, ExecutionRecord} from '../chain/index.ts'
import {RuntimeFailure, UsageError} from '../errors.ts'
import {sleep} from '../support/sleep.ts'
import {formatSui} from '../tokens/amounts.ts'
import type {CoinManager} from './coin-manager.ts'
import {ConsolidationFailure, type ExecutedStep, reasonOf, type UnknownStep} from './consolidation-failure.ts'
import {type ConsolidationPlan, type HoldingSummary, isSui, type PlannedTransaction} from './consolidation-plan.ts'
import {type BuiltStep, consolidationStep, type StepContext} from './consolidation-step.ts'
import {gasBudgetFrom, provisionalBudget} from './gas-budget.ts'
import {MAX_TOKEN_GAS_COINS} from './protocol-limits.ts'
import type {TransactionSigner} from './transaction-signer.ts'
import {sumOf} from './coin-holding.ts'

export type RunnerChain = Pick<ChainReader, 'simulate' | 'execute' | 'transactionDetails' | 'balance'>

export interface ConsolidationRunOptions {
  manager: CoinManager
  chain: RunnerChain
  signal?: AbortSignal
  /** How long an executed transaction may take to reach a checkpoint, and the node's state to follow; default 30 s. */
  checkpointTimeoutMs?: number
  /** Called as each step is simulated (dry run) or executed. */
  onStep?: (outcome: StepOutcome) => void
  /** What the step in hand is doing now (for progress: the waits of an execution can be long). */
  onActivity?: (step: number, activity: StepActivity) => void
}

export type StepActivity =
  | {kind: 'node-catching-up'; checkpoint: bigint}
  | {kind: 'building'}
  | {kind: 'executing'; digest: string}
  | {kind: 'awaiting-checkpoint'; digest: string}

export interface StepOutcome {
  /** From 1. */
  step: number
  coins: number
  amount: bigint
  /** Moved into the address balance. */
  folded: bigint
  digest: string
  gasBudget: bigint
  status: EffectsStatus
  /** Net gas in MIST (computation + storage − rebate): simulated, or charged when executed. */
  gasUsed: bigint
  balanceChanges: BalanceChangeRecord[]
  /** The owner's holding of the token once this step has run (as the plan and simulation expect). */
  after: HoldingSummary
  /** Executed only: the checkpoint that holds it. */
  checkpoint?: bigint
}

export interface ConsolidationRun {
  plan: ConsolidationPlan
  executed: boolean
  steps: StepOutcome[]
  /** Net gas of all steps, MIST. */
  gasUsed: bigint
  /** Expected after a dry run; read from the node after executing. */
  after: HoldingSummary
}

const DEFAULT_CHECKPOINT_TIMEOUT_MS = 30_000
const POLL_MS = 200

export async function dryRunConsolidation(plan: ConsolidationPlan, options: ConsolidationRunOptions): Promise<ConsolidationRun> {
  const runner = new Runner(plan, options)
  return runner.run(undefined)
}

/**
 * Refuses (UsageError) when the key is not the owner's. Once it has begun, any failure is a
 * ConsolidationFailure that says what landed.
 */
export async function executeConsolidation(plan: ConsolidationPlan, signer: TransactionSigner, options: ConsolidationRunOptions): Promise<ConsolidationRun> {
  if (signer.address !== plan.owner) {
    throw new UsageError(`the signing key is for ${signer.address}, not ${plan.owner}`, {remedy: `sign with the key of ${plan.owner} (SUI_PRIVATE_KEY)`})
  }
  return new Runner(plan, options).run(signer)
}

class Runner {
  readonly #plan: ConsolidationPlan
  readonly #options: ConsolidationRunOptions
  readonly #sui: boolean
  /** Executing: every step the node executed so far, and the one sent without an answer. */
  readonly #executed: ExecutedStep[] = []
  #unknown: UnknownStep | undefined
  /** The step in hand; null once every step has run. */
  #at: number | null = 1

  constructor(plan: ConsolidationPlan, options: ConsolidationRunOptions) {
    this.#plan = plan
    this.#options = options
    this.#sui = isSui(plan.token)
  }

  async run(signer: TransactionSigner | undefined): Promise<ConsolidationRun> {
    if (!signer) return this.#run(undefined)
    try {
      return await this.#run(signer)
    } catch (error) {
      throw error instanceof ConsolidationFailure ? error : this.#failure(this.#stopped(reasonOf(error)), error)
    }
  }

  async #run(signer: TransactionSigner | undefined): Promise<ConsolidationRun> {
    const plan = this.#plan
    const steps: StepOutcome[] = []
    let after = plan.before
    if (plan.transactions.length === 0) return {plan, executed: signer !== undefined, steps, gasUsed: 0n, after}
    const gasPrice = await this.#options.manager.referenceGasPrice({signal: this.#options.signal})
    let holdings = await this.#planned()
    for (const [index, planned] of plan.transactions.entries()) {
      this.#at = index + 1
      this.#options.signal?.throwIfAborted()
      // Executed steps changed versions: read the coins again once the node has the last one.
      const previous = steps.at(-1)?.checkpoint
      if (signer && previous !== undefined) {
        this.#options.onActivity?.(index + 1, {kind: 'node-catching-up', checkpoint: previous})
        await this.#caughtUp(previous)
        holdings = await this.#holdings()
      }
      this.#options.onActivity?.(index + 1, {kind: 'building'})
      const prepared = await this.#prepare(planned, holdings, gasPrice)
      if (prepared === undefined) continue
      const outcome = signer ? await this.#execute(index + 1, prepared, signer) : prepared.simulated
      after = afterStep(after, prepared.coins, prepared.built.folded, this.#sui ? outcome.gasUsed : 0n)
      const step = stepOutcome(index + 1, planned, prepared, outcome, after)
      steps.push(step)
      this.#options.onStep?.(step)
    }
    this.#at = null
    const gasUsed = steps.reduce((sum, s) => sum + s.gasUsed, 0n)
    if (signer && steps.length > 0) after = await this.#finalHolding(steps)
    return {plan, executed: signer !== undefined, steps, gasUsed, after}
  }

  /** The step built with its coins as they are now, simulated for its gas, built and simulated again. */
  async #prepare(planned: PlannedTransaction, holdings: Holdings, gasPrice: bigint) {
    const plan = this.#plan
    const current = holdings.coins
    const coins = planned.coins.map((coin) => current.get(coin.objectId)).filter((coin): coin is CoinRecord => coin !== undefined)
    // A coin spent since the plan was made (by a payment) simply drops out.
    if (coins.length === 0) return undefined
    const target = plan.target && current.get(plan.target.objectId)
    if (plan.target && !target) throw new RuntimeFailure(`coin ${plan.target.objectId} the plan builds on is gone from ${plan.owner}`, {remedy: 'plan again: run the command again'})
    const input = {coins, gasPaymentCoins: Math.min(planned.gasPaymentCoins, coins.length - 1)}
    const base = {owner: plan.owner, token: plan.token, into: plan.into, limits: plan.limits, gasPrice, target}
    const available = this.#sui ? sumOf([target as CoinRecord, ...coins.slice(0, input.gasPaymentCoins)]) : sumOf(largest(holdings.gas, MAX_TOKEN_GAS_COINS))
    const provisional = provisionalBudget(available)
    const context = (gasBudget: bigint): StepContext => ({...base, gasBudget, gasCoins: this.#sui ? [] : this.#gasCoins(holdings.gas, gasBudget)})
    const first = await this.#simulate(consolidationStep(input, context(provisional)))
    const budget = first.record.gasCost ? gasBudgetFrom(first.record.gasCost, gasPrice) : provisional
    const built = consolidationStep(input, context(budget))
    const simulated = await this.#simulate(built)
    return {built, bytes: simulated.bytes, budget, coins: coins.length, simulated: simulated.record}
  }

  async #simulate(step: BuiltStep): Promise<{bytes: Uint8Array; record: ExecutionRecord}> {
    const bytes = await step.transaction.build()
    return {bytes, record: await this.#options.chain.simulate(bytes, {signal: this.#options.signal})}
  }

  /** Signs, sends and waits for the checkpoint, recording what landed before anything can throw. */
  async #execute(number: number, prepared: {bytes: Uint8Array; simulated: ExecutionRecord}, signer: TransactionSigner): Promise<ExecutionRecord> {
    const step = this.#stepName(number)
    if (!prepared.simulated.status.success) throw this.#failure(`${step} would fail: ${prepared.simulated.status.error}; nothing was sent for it`)
    const signature = await signer.sign(prepared.bytes)
    // Known before sending, so a send that gets no answer still names what to look up.
    const digest = TransactionDataBuilder.getDigestFromBytes(prepared.bytes)
    this.#options.onActivity?.(number, {kind: 'executing', digest})
    const executed = await this.#options.chain.execute({txBytes: prepared.bytes, signatures: [signature]}, {signal: this.#options.signal}).catch((error: unknown) => {
      const reason = reasonOf(error)
      if (refused(error)) throw this.#failure(`${step} was sent as ${digest} and refused by the node: ${reason}`, error)
      this.#unknown = {step: number, digest, reason}
      throw this.#failure(`${step} was sent as ${digest}, outcome unknown (${reason})`, error)
    })
    const landed: ExecutedStep = {step: number, digest: executed.digest, checkpoint: executed.checkpoint ?? null, success: executed.status.success}
    this.#executed.push(landed)
    if (!executed.status.success) throw this.#failure(`${step} failed on chain as ${executed.digest}: ${executed.status.error}`)
    if (landed.checkpoint === null) this.#options.onActivity?.(number, {kind: 'awaiting-checkpoint', digest: executed.digest})
    landed.checkpoint ??= await this.#checkpointOf(executed.digest).catch((error: unknown) => {
      throw this.#failure(`${step} was executed as ${executed.digest}, checkpoint unknown (${reasonOf(error)})`, error)
    })
    return {...executed, checkpoint: landed.checkpoint}
  }

  /** How the run stopped on a failure that is not a send's: before or after the step in hand was sent. */
  #stopped(reason: string): string {
    const at = this.#at
    if (at === null) return `stopped after its last step: ${reason}`
    const sent = this.#executed.some((s) => s.step === at)
    return `stopped ${sent ? 'after' : 'at'} ${this.#stepName(at)}${sent ? '' : ', before sending it'}: ${reason}`
  }

  #stepName(step: number): string {
    return `step ${step} of ${this.#plan.transactions.length}`
  }

  #failure(what: string, cause?: unknown): ConsolidationFailure {
    const progress = {stoppedAt: this.#at, executed: this.#executed.map((s) => ({...s})), unknown: this.#unknown ? [this.#unknown] : []}
    return new ConsolidationFailure(what, progress, {owner: this.#plan.owner, token: this.#plan.token.symbol, cause})
  }

  /** Waits until the transaction is in a checkpoint (a node answers before it is). */
  async #checkpointOf(digest: string): Promise<bigint> {
    const deadline = Date.now() + this.#timeoutMs()
    for (;;) {
      try {
        const [details] = await this.#options.chain.transactionDetails([digest], {signal: this.#options.signal})
        if (details) return details.checkpoint
      } catch (error) {
        if (!(error instanceof ChainError && error.status === 'NOT_FOUND')) throw error
      }
      if (Date.now() > deadline) throw new Error(`not in a checkpoint within ${this.#timeoutMs() / 1000} s`)
      await sleep(POLL_MS, this.#options.signal)
    }
  }

  /** Waits until state reads are as of `checkpoint` or later (a load-balanced node may lag). */
  async #caughtUp(checkpoint: bigint): Promise<void> {
    const deadline = Date.now() + this.#timeoutMs()
    while ((await this.#options.chain.balance(this.#plan.owner, this.#plan.token.coinType, {signal: this.#options.signal})).checkpoint < checkpoint) {
      if (Date.now() > deadline) throw new RuntimeFailure(`the node's state did not reach checkpoint ${checkpoint} within ${this.#timeoutMs() / 1000} s`, {remedy: 'run the command again once the node has caught up'})
      await sleep(POLL_MS, this.#options.signal)
    }
  }

  async #finalHolding(steps: StepOutcome[]): Promise<HoldingSummary> {
    const last = steps.at(-1)?.checkpoint
    if (last !== undefined) await this.#caughtUp(last)
    const holding = await this.#options.manager.coins(this.#plan.owner, this.#plan.token, {signal: this.#options.signal})
    return {coins: holding.coins.length, coinBalance: holding.coinBalance, addressBalance: holding.addressBalance}
  }

  /** The first step builds on the coins the plan was made from (just read); only other tokens' gas coins are read. */
  async #planned(): Promise<Holdings> {
    const plan = this.#plan
    const coins = [...plan.transactions.flatMap((t) => t.coins), ...(plan.target ? [plan.target] : [])]
    return {coins: new Map(coins.map((coin) => [coin.objectId, coin])), gas: this.#sui ? [] : await this.#suiCoins()}
  }

  async #holdings(): Promise<Holdings> {
    const holding = await this.#options.manager.coins(this.#plan.owner, this.#plan.token, {signal: this.#options.signal})
    return {coins: new Map(holding.coins.map((coin) => [coin.objectId, coin])), gas: this.#sui ? [] : await this.#suiCoins()}
  }

  async #suiCoins(): Promise<readonly CoinRecord[]> {
    return (await this.#options.manager.coins(this.#plan.owner, 'SUI', {signal: this.#options.signal})).coins
  }

  /** The owner's largest SUI coins that cover the budget (other tokens pay gas in SUI). */
  #gasCoins(suiCoins: readonly CoinRecord[], budget: bigint): CoinRecord[] {
    const chosen: CoinRecord[] = []
    for (const coin of largest(suiCoins, MAX_TOKEN_GAS_COINS)) {
      if (sumOf(chosen) >= budget) break
      chosen.push(coin)
    }
    if (chosen.length === 0 || sumOf(chosen) < budget) {
      throw new RuntimeFailure(`${this.#plan.owner} has ${formatSui(sumOf(chosen))} in its ${MAX_TOKEN_GAS_COINS} largest SUI coins, less than the ${formatSui(budget)} gas budget`, {
        code: 'NO_GAS',
        remedy: `send SUI to ${this.#plan.owner}, or consolidate its SUI first (confio coins consolidate --token SUI --into coin)`,
      })
    }
    return chosen
  }

  #timeoutMs(): number {
    return this.#options.checkpointTimeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS
  }
}

interface Holdings {
  /** The token's coins as they are now, by object id. */
  coins: ReadonlyMap<string, CoinRecord>
  /** Other tokens: the owner's SUI coins, smallest first, to pay gas with. */
  gas: readonly CoinRecord[]
}

function stepOutcome(step: number, planned: PlannedTransaction, prepared: {coins: number; budget: bigint; built: BuiltStep}, outcome: ExecutionRecord, after: HoldingSummary): StepOutcome {
  const {digest, status, gasUsed, balanceChanges, checkpoint} = outcome
  const base = {step, coins: prepared.coins, amount: planned.amount, folded: prepared.built.folded, digest, gasBudget: prepared.budget, status, gasUsed, balanceChanges, after}
  return checkpoint === undefined ? base : {...base, checkpoint}
}

/** The holding once a step has run: its coins are gone into the target or the address balance. */
function afterStep(before: HoldingSummary, coins: number, folded: bigint, suiGas: bigint): HoldingSummary {
  return {coins: before.coins - coins, coinBalance: before.coinBalance - folded - suiGas, addressBalance: before.addressBalance + folded}
}

// The node's answers that refuse a transaction before executing it. Only a first attempt's counts:
// after a retry the earlier attempt may have executed it, and a refusal then says nothing.
const REFUSALS: ReadonlySet<string> = new Set(['INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'PERMISSION_DENIED', 'UNAUTHENTICATED', 'UNIMPLEMENTED'])

function refused(error: unknown): boolean {
  return error instanceof ChainError && error.attempts === 1 && REFUSALS.has(error.status)
}

function largest(ascending: readonly CoinRecord[], count: number): CoinRecord[] {
  return ascending.slice(-count).reverse()
}
