// What a reconciliation run finds, as plain records: the command prints them, status and beat
// read the summary, and `--json` gives them whole (amounts as strings).

export interface ReconcileOptions {
  /** Accounts by id, email or address; empty: every active account. */
  readonly accounts?: readonly string[]
  /** One registered token's symbol; undefined: every registered token. */
  readonly token?: string
  /** Skip accounts whose balances were all checked against the chain within this many ms. */
  readonly olderThanMs?: number
  /** Read and compare, write nothing (no correction, no drift record, no run record). */
  readonly dryRun?: boolean
  /** Accounts read at once (default 8). */
  readonly concurrency?: number
  /** Chain requests per second for this run, under the process-wide limit (default: no extra limit). */
  readonly rps?: number
  readonly trigger: 'manual' | 'beat'
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: ReconcileProgress) => void
  /** The first pass is over and `accounts` were in flight: the run waits for the pipeline and reads them again. */
  readonly onSettle?: (accounts: number) => void
}

export interface ReconcileProgress {
  readonly done: number
  readonly total: number
  readonly elapsedMs: number
}

/** A cached balance that disagreed with the chain at the chain's height. */
export interface DriftFinding {
  readonly accountId: string
  readonly address: string
  readonly email: string | null
  readonly token: string
  /** null: confio had no balance row. */
  readonly cached: bigint | null
  readonly chain: bigint
  /** chain - cached. */
  readonly difference: bigint
  readonly checkpoint: bigint
  /** Corrected through the versioned write (false in a dry run, or when the row moved on). */
  readonly corrected: boolean
}

export interface ReconcileError {
  readonly accountId: string
  readonly address: string
  readonly message: string
}

export interface ReconcileReport {
  /** reconcile_runs.id; null for a dry run. */
  readonly runId: string | null
  readonly dryRun: boolean
  readonly selected: number
  readonly checked: number
  /** Accounts still not comparable after a second look (work in flight up to the read's window). */
  readonly inFlight: readonly {accountId: string; address: string}[]
  readonly drift: readonly DriftFinding[]
  /** Open drift records that this run found agreeing, and closed. */
  readonly closed: number
  readonly errors: readonly ReconcileError[]
  readonly durationMs: number
  /**
   * Chain requests the run sent (every page, proof and second look included), and the time from
   * the first one's start to the last one's: (requests - 1) / window is the rate the run held
   * (--rps spaces the starts evenly).
   */
  readonly chainReads: {readonly requests: number; readonly windowMs: number}
  readonly outcome: ReconcileOutcome
}

/** `in-flight`: no account could be compared (each had work in flight); `failed` is only recorded, for a run that threw. */
export type ReconcileOutcome = 'agreed' | 'drift' | 'errors' | 'in-flight'

/** More than this share of accounts failing to be read makes the run a failure (exit 1). */
export const ERROR_SHARE_LIMIT = 0.1

/** Errors beyond the limit, then drift, then nothing compared at all, else agreed. */
export function outcomeOf(selected: number, checked: number, inFlight: number, errors: number, drift: number): ReconcileOutcome {
  if (errors > selected * ERROR_SHARE_LIMIT) return 'errors'
  if (drift > 0) return 'drift'
  // Nothing compared is not "agreed": every account read had work in flight.
  if (checked === 0 && inFlight > 0) return 'in-flight'
  return 'agreed'
}
