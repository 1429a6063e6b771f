// The hourly question: does every cached balance agree with the chain? For each selected account
// one ListBalances (all pages) gives every token (coin part plus address balance) and the height
// the node named, H, with the window that height proves (src/chain/reader/height-window.ts): the
// value is as of some checkpoint in from..to, and a change inside the window may or may not be in
// it. A cached row is compared only when nothing it could be missing, and nothing the chain's value
// could be missing, is left (verdict.ts says when); otherwise the account is "in flight", not in
// drift: it is read again at the end of the run (after waiting a little for the pipeline), and
// reported in flight if it still is. So a right balance is never "corrected" to a wrong one.
//
// Drift is corrected through the same versioned write the chain reads use (PostgreSQL, outbox,
// Redis), which itself refuses what the row cannot take exactly, and kept in balance_drift, one open
// record per (account, token) that a later agreeing run closes (drift-records.ts). A stale or
// base-less row is simply given the chain's value when it can take it. Every account checked gets
// last_blockchain_check, so --older-than skips it next time (due-accounts.ts). A run and what it
// keeps while it goes: reconcile-run.ts.
import type {ChainReader} from '../chain/index.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import type {RedisBalanceStore} from '../balances/redis-balance-store.ts'
import {type OpenDriftRecord, readOpenDrift} from './drift-records.ts'
import type {ReconcileOptions, ReconcileReport} from './reconcile-report.ts'
import {ReconcileRun} from './reconcile-run.ts'

export interface ReconcilerDeps {
  readonly db: Database
  readonly redis: RedisBalanceStore
  readonly chain: ChainReader
  readonly tokens: TokenRegistry
  readonly logger: Logger
  /** The poller's cursor name (default POLLER_CURSOR). */
  readonly cursorName?: string
  /** Queue a `balance.drift` webhook event with each drift record opened (WEBHOOK_URL is set). */
  readonly webhooks?: boolean
  /** How long the end-of-run second look waits for the pipeline to reach the heights read (default 5 s). */
  readonly settleMs?: number
}

export class Reconciler {
  private readonly deps: ReconcilerDeps

  constructor(deps: ReconcilerDeps) {
    this.deps = deps
  }

  async run(options: ReconcileOptions): Promise<ReconcileReport> {
    return new ReconcileRun(this.deps, options).run()
  }

  /** The open drift records, largest difference first, without reading the chain. */
  openDrift(): Promise<OpenDriftRecord[]> {
    return readOpenDrift(this.deps.db)
  }
}
