// An executing consolidation that stopped part-way, and what had landed when it stopped, so the
// operator never sends a step twice. Its one line names every executed digest and any step whose
// outcome is unknown; --json carries the same as `error.details` (a ConsolidationProgress).
//
// Invariants: `executed` holds every step the node executed, a step that failed on chain included
// (it paid gas and changed versions), with its checkpoint or null while unknown. `unknown` holds a
// step that was sent but never answered (deadline, transport error, stop signal), named by the
// digest computed from its bytes before sending. A step in neither list was not executed: it was
// never sent, or the node refused it at its first attempt. The run stops at the first step it
// cannot vouch for, so at most one step is unknown.
import {translateError} from '../error-translation.ts'
import {ConfioError, RuntimeFailure} from '../errors.ts'

export interface ExecutedStep {
  /** From 1, as in the plan. */
  step: number
  digest: string
  /** null: executed, but its checkpoint is not known (the wait for it ended first). */
  checkpoint: bigint | null
  /** false: it failed on chain (gas was charged, nothing merged). */
  success: boolean
}

export interface UnknownStep {
  step: number
  /** The digest of the signed transaction, computed before it was sent: look it up. */
  digest: string
  reason: string
}

export interface ConsolidationProgress {
  /** The step the run stopped at; null when it stopped after its last step (reading what is left). */
  stoppedAt: number | null
  executed: ExecutedStep[]
  unknown: UnknownStep[]
}

export interface FailureContext {
  owner: string
  /** The token as the operator names it (a symbol). */
  token: string
  cause?: unknown
}

export class ConsolidationFailure extends RuntimeFailure {
  readonly progress: ConsolidationProgress

  /** `what` says how the run stopped, e.g. "step 2 of 3 was sent as …, outcome unknown (…)". */
  constructor(what: string, progress: ConsolidationProgress, context: FailureContext) {
    const untouched = progress.executed.length === 0 && progress.unknown.length === 0
    // Nothing landed: the cause's own code (NO_GAS, CHAIN_…) and a remedy confio wrote for it say best what to do.
    const code = untouched ? translateError(context.cause)?.code : undefined
    const remedy = untouched && context.cause instanceof ConfioError ? context.cause.remedy : undefined
    super(`consolidation ${what}; executed: ${executedList(progress.executed)}`, {
      code: code ?? 'CONSOLIDATION_FAILED',
      remedy: untouched ? (remedy ?? 'run confio coins inspect, then consolidate again') : remedyFor(progress, context),
      cause: context.cause,
      details: {...progress},
    })
    this.progress = progress
  }
}

/** Why a call failed, in words: a ConfioError's message, a chain error as the CLI words it, a stop signal's name. */
export function reasonOf(error: unknown): string {
  if (typeof error === 'string') return `stopped by ${error}`
  return translateError(error)?.message ?? (error instanceof Error ? error.message : String(error))
}

function executedList(executed: readonly ExecutedStep[]): string {
  if (executed.length === 0) return 'none'
  const checkpoint = (s: ExecutedStep) => (s.checkpoint === null ? 'checkpoint unknown' : `checkpoint ${s.checkpoint}`)
  return executed.map((s) => `step ${s.step} as ${s.digest} (${checkpoint(s)}${s.success ? '' : ', failed on chain'})`).join(', ')
}

function remedyFor(progress: ConsolidationProgress, context: FailureContext): string {
  const inspect = `confio coins inspect --address ${context.owner} --token ${context.token}`
  if (progress.unknown.length > 0) {
    const digests = progress.unknown.map((s) => s.digest).join(', ')
    // A new plan would spend the coins the unknown one spends: run again only once it has settled.
    return `before running again, look up ${digests} (sui client tx-block <digest>, or an explorer): it landed if the node knows it; run again only once it is found, or is still unknown to the node minutes later; ${inspect} shows what is left`
  }
  return `${inspect} shows what is left; running again plans only the coins still there, so no executed step is sent twice`
}
