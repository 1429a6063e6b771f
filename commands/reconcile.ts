import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {durationFlag} from '../cli/durations.ts'
import {renderOpenDrift} from '../cli/render/open-drift-screen.ts'
import {RECONCILE_STEPS, reconcileProgress} from '../cli/render/reconcile-progress.ts'
import {renderReconcileReport} from '../cli/render/reconcile-report-screen.ts'
import {withSteps} from '../cli/step-list.ts'
import {RuntimeFailure} from '../src/errors.ts'
import type {OpenDriftRecord} from '../src/reconcile/drift-records.ts'
import {Reconciler} from '../src/reconcile/reconciler.ts'
import type {ReconcileReport} from '../src/reconcile/reconcile-report.ts'

/** Exit code with --fail-on-drift when drift was found: not a failure of confio, a finding. */
export const EXIT_DRIFT = 3

export type ReconcileCommandResult = ReconcileReport | {openDrift: OpenDriftRecord[]}

export default class Reconcile extends ConfioCommand<typeof Reconcile> {
  static override summary = 'Compare cached balances with the chain; correct and record drift.'
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    "For each selected account, one ListBalances gives every registered token at the node's checkpoint height. An account whose transactions up to that height are not all stored and processed yet is in flight, not in drift: it is looked at again at the end of the run, and reported in flight if it still is.",
    'A difference is drift: the cache is corrected (PostgreSQL and Redis, the base set to the chain height) and recorded in balance_drift, one open record per account and token, closed by the first later run that agrees. Every account checked gets last_blockchain_check, so --older-than skips it next time.',
    'Exit codes: 0 done (drift or not), 3 drift found with --fail-on-drift, 1 when more than 10% of the accounts could not be read from the chain, 2 bad usage.',
  ].join('\n\n')
  static override examples = [
    {description: 'Check every account against the chain, correcting what drifted.', command: '<%= config.bin %> reconcile'},
    {description: 'What beat runs hourly: the accounts not checked in the last hour.', command: '<%= config.bin %> reconcile --older-than 1h'},
    {description: "Look at one user's cUSD without writing anything; exit 3 on drift.", command: '<%= config.bin %> reconcile --account ana@example.com --token CUSD --dry-run --fail-on-drift'},
    {description: 'Stay at 50 chain requests per second (a public fullnode allows about 3).', command: '<%= config.bin %> reconcile --rps 50 --concurrency 16'},
    {description: 'The open drift records, without reading the chain.', command: '<%= config.bin %> reconcile --report'},
  ]
  // oclif draws --report's exclusions as one choice among every flag (`[--report | --account … |
  // --token …]`), as if --account and --token excluded each other: the two ways to run it, spelled out.
  static override usage = [
    '<%= command.id %> [--account <value>...] [--token <value>] [--older-than <value>] [--dry-run] [--fail-on-drift] [--concurrency <value>] [--rps <value>] [--json]',
    '<%= command.id %> --report [--json]',
  ]
  static override flags = {
    account: Flags.string({multiple: true, summary: 'An account to check, by email, address or id (repeatable; default: all).'}),
    token: Flags.string({summary: 'Only this registered token (e.g. CUSD).'}),
    'older-than': durationFlag({summary: 'Skip accounts checked against the chain within this long (e.g. 1h).'}),
    'dry-run': Flags.boolean({summary: 'Read and compare; write nothing (no correction, no drift record).'}),
    'fail-on-drift': Flags.boolean({summary: 'Exit 3 when drift was found.'}),
    concurrency: Flags.integer({min: 1, max: 256, default: 8, summary: 'Accounts read from the chain at once.'}),
    rps: Flags.integer({min: 1, summary: 'Chain requests per second for this run (never above it).'}),
    report: Flags.boolean({summary: 'List the open drift records without reading the chain.', exclusive: ['account', 'token', 'older-than', 'dry-run', 'fail-on-drift', 'rps']}),
  }

  async run(): Promise<ReconcileCommandResult> {
    const reconciler = new Reconciler({db: await this.db(), redis: await this.balanceCache(), chain: this.chain(), tokens: this.settings.tokens, logger: this.logger, webhooks: this.settings.webhooks !== undefined})
    if (this.flags.report) {
      const openDrift = await reconciler.openDrift()
      if (!this.jsonEnabled()) this.log(renderOpenDrift(openDrift, this.amounts()))
      return {openDrift}
    }
    const mode = this.progressMode()
    const report = await withSteps(mode, RECONCILE_STEPS, async (steps) => {
      const shown = reconcileProgress(mode, steps)
      const done = await reconciler.run({
        trigger: 'manual',
        ...(this.flags.account ? {accounts: this.flags.account} : {}),
        ...(this.flags.token ? {token: this.flags.token} : {}),
        ...(this.flags['older-than'] === undefined ? {} : {olderThanMs: this.flags['older-than']}),
        dryRun: this.flags['dry-run'],
        concurrency: this.flags.concurrency,
        ...(this.flags.rps ? {rps: this.flags.rps} : {}),
        signal: this.stopSignal,
        onProgress: shown.onProgress,
        onSettle: shown.onSettle,
      })
      shown.finished()
      return done
    })
    if (!this.jsonEnabled()) this.log(renderReconcileReport(report, this.amounts()))
    if (report.outcome === 'errors') {
      this.failWithResult(report, new RuntimeFailure(`${report.errors.length} of ${report.selected} accounts could not be read from the chain (first: ${report.errors[0]?.message})`, {
        code: 'RECONCILE_ERRORS',
        remedy: 'check the node with confio test-connection, or lower --rps / --concurrency',
      }))
    }
    // Drift is a finding, not a failure: the report as always, then exit 3.
    if (this.flags['fail-on-drift'] && report.drift.length > 0) process.exitCode = EXIT_DRIFT
    return report
  }
}
