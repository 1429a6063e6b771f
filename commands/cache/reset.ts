import {ConfioCommand} from '../../cli/base-command.ts'
import {whileWaiting} from '../../cli/wait-spinner.ts'
import {type CacheResetResult, resetBalanceCache} from '../../src/balances/cache-reset.ts'

export default class CacheReset extends ConfioCommand<typeof CacheReset> {
  static override summary = 'Retire every balance copy in Redis: move the cache generation on, then delete the old copies.'
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    'Run it after PostgreSQL was restored from a backup or failed over to a replica that lost commits, and after Redis lost writes (a failover to a replica that was behind, an old snapshot loaded): Redis may then hold copies of balances that PostgreSQL no longer has, or not yet, which the versioned writes would never replace.',
    'Moves the cache generation in PostgreSQL on (from then on every copy of an older generation is a miss, and readers use PostgreSQL until the relay or a read writes the copy again), tells running services and workers on the invalidation channel (they would notice within 5 s anyway), then deletes every balance key that is not of the new generation, SCANning in batches of 1,000. Safe at any time: the cost is a burst of PostgreSQL reads. If Redis does not answer, the generation has still moved (exit 1): run it again later to delete the old keys, or let them expire.',
  ].join('\n\n')
  static override examples = [
    {description: 'After restoring PostgreSQL: retire every copy in Redis.', command: '<%= config.bin %> cache reset'},
    {description: 'The same, with the new generation and the counts as JSON.', command: '<%= config.bin %> cache reset --json'},
  ]

  async run(): Promise<CacheResetResult> {
    const db = await this.db()
    const result = await whileWaiting(this.progressMode(), 'moving the cache generation on', (wait) =>
      resetBalanceCache({
        db,
        redis: () => this.redis(),
        prefix: this.settings.redisPrefix,
        onProgress: (p) => wait.update(`deleting old copies: ${p.deleted} of ${p.scanned} balance keys scanned`),
      }),
    )
    if (!this.jsonEnabled()) {
      this.log(`Cache generation ${result.previousGeneration} -> ${result.generation}: every older copy in Redis is a miss from now on.`)
      this.log(`Deleted ${result.deleted} of ${result.scanned} balance keys in ${(result.ms / 1000).toFixed(1)} s.`)
    }
    return result
  }
}
