import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {checkpointFlag} from '../cli/durations.ts'
import {pollFlags} from '../cli/pipeline-flags.ts'
import {describePollerResult} from '../cli/render/process-summaries.ts'
import {UsageError} from '../src/errors.ts'
import type {PollerResult} from '../src/ingest/poller.ts'
import {checkCursorTarget} from '../src/ingest/cursor-reset.ts'
import {POLLER_CURSOR} from '../src/ingest/poller-cursor.ts'
import {pollerLease} from '../src/ingest/poller-lease.ts'
import {createPoller} from '../src/processes/poller-process.ts'
import {TransactionQueue} from '../src/queue/transaction-queue.ts'
import {readCursor, setCursor} from '../src/store/ingest-cursor.ts'

export type PollCommandResult = PollerResult | {reset: {from: bigint | null; to: bigint}}

export default class Poll extends ConfioCommand<typeof Poll> {
  static override summary = 'Follow Sui checkpoints and store and queue every monitored transaction.'
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    'Runs until stopped (SIGINT/SIGTERM finish the batch in hand). Resumes after the cursor in ingest_cursors; on its very first start it begins at the current tip, or at --from-checkpoint.',
    'A second poller on the same database waits as a hot standby and takes over when the active one dies; told to stop, a standby stops at once. With --once beside an active poller there is nothing to do: it says so and exits 0.',
  ].join('\n\n')
  static override examples = [
    '<%= config.bin %> poll',
    '<%= config.bin %> poll --once',
    '<%= config.bin %> poll --mode poll --interval 2s --metrics-port 9464',
    '<%= config.bin %> poll --reset-cursor 123456789 --yes',
  ]
  static override flags = {
    ...pollFlags,
    once: Flags.boolean({summary: 'Catch up to the tip seen at start, then exit.'}),
    'reset-cursor': checkpointFlag({summary: "Move the cursor to N (the next run starts at N+1), then exit; N must be within what the node has (from its lowest available checkpoint - 1 to its tip)."}),
    yes: Flags.boolean({summary: 'Do not ask for confirmation (with --reset-cursor).'}),
    force: Flags.boolean({dependsOn: ['reset-cursor'], summary: "With --reset-cursor: move the cursor even past the node's tip or below its lowest available checkpoint (the node is not asked)."}),
  }

  async run(): Promise<PollCommandResult> {
    if (this.flags['reset-cursor'] !== undefined) return this.resetCursor(this.flags['reset-cursor'])
    const db = await this.db({kind: 'poller'})
    const queue = await this.queue(TransactionQueue)
    const metrics = await this.serveMetrics('poll')
    const poller = createPoller({settings: this.settings, db, chain: this.chain(), queue, metrics, logger: this.logger}, this.flags)
    const result = await poller.run(this.stopSignal)
    if (!this.jsonEnabled()) this.log(describePollerResult(result))
    return result
  }

  private async resetCursor(to: bigint): Promise<PollCommandResult> {
    const db = await this.db()
    const lease = pollerLease(this.settings.databaseUrl)
    try {
      if (!(await lease.tryAcquire())) throw new UsageError('a poller is running on this database (it holds the lease)', {remedy: 'stop it (and its standbys) first'})
      const from = (await readCursor(db, POLLER_CURSOR)) ?? null
      if (!this.flags.force) checkCursorTarget(to, await this.chain().serviceInfo({signal: this.stopSignal}))
      await this.confirm(`Move the cursor from ${from ?? 'none'} to ${to}? Checkpoints after ${to} will be read next.`, {yes: this.flags.yes, flag: '--yes', unattended: '--reset-cursor needs confirmation', declined: 'cursor not moved'})
      await setCursor(db, POLLER_CURSOR, to)
      if (!this.jsonEnabled()) this.log(`Cursor moved from ${from ?? 'none'} to ${to}.`)
      return {reset: {from, to}}
    } finally {
      await lease.release()
    }
  }
}
