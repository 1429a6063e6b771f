// The outbox: raw_blockchain_events rows that should have a process-transaction job and may not.
// The poller creates jobs right after its commit; a crash between the commit and that step, or a
// Redis restart (nothing is kept on disk), would lose them. A sweep at start and then
// periodically asks Redis, for every unprocessed event, whether its job exists, and queues again
// each one that has none. Queueing an event twice is harmless: the job id is the digest (a job
// Redis has is left as it is) and the worker's effects are idempotent.
import type {Logger} from 'pino'
import {unprocessedEvents} from '../ingest/raw-event-repository.ts'
import type {Database} from '../store/database.ts'
import type {TransactionQueue} from './transaction-queue.ts'

export interface OutboxOptions {
  /**
   * Events stored this recently are not looked for: the poller is queueing their jobs right after
   * its commit (asking would find them missing and queue them a second time, harmlessly).
   */
  readonly graceMs?: number
  readonly pageSize?: number
  readonly logger?: Logger
}

export interface SweepResult {
  readonly checked: number
  readonly requeued: number
  readonly failed: number
}

export class Outbox {
  private readonly db: Database
  private readonly queue: TransactionQueue
  private readonly graceMs: number
  private readonly pageSize: number
  private readonly logger: Logger | undefined

  constructor(db: Database, queue: TransactionQueue, options: OutboxOptions = {}) {
    this.db = db
    this.queue = queue
    this.graceMs = options.graceMs ?? 2_000
    this.pageSize = options.pageSize ?? 1_000
    this.logger = options.logger
  }

  async sweep(): Promise<SweepResult> {
    const storedBefore = new Date(Date.now() - this.graceMs)
    let afterId = '0'
    let checked = 0
    let requeued = 0
    let failed = 0
    for (;;) {
      const page = await unprocessedEvents(this.db, {afterId, storedBefore, limit: this.pageSize})
      if (page.length === 0) break
      afterId = page[page.length - 1]!.id
      checked += page.length
      const lost = await this.queue.missing(page.map((e) => e.digest))
      const result = await this.queue.enqueue(lost)
      requeued += result.queued.length
      failed += result.failed.length
    }
    if (requeued > 0 || failed > 0) this.logger?.warn({checked, requeued, failed}, 'outbox queued events that had no job')
    return {checked, requeued, failed}
  }
}
