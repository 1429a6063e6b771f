import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {advanceCacheGeneration} from '../src/balances/cache-generation.ts'
import {ConfioError} from '../src/errors.ts'
import {createDatabaseIfMissing, databaseNameOf} from '../src/store/database-creation.ts'
import {migrateLatest, migrationStatus, rollbackLast} from '../src/store/migrator.ts'

export interface MigrateResult {
  action: 'latest' | 'status' | 'rollback'
  /** True when this call created the database (--create, or yes at the prompt). */
  created: boolean
  /** Migrations run (latest) or reverted (rollback) by this call. */
  changed: string[]
  applied: string[]
  pending: string[]
  /** latest: the cache generation it moved on to (every copy in Redis of an older one is a miss). */
  cacheGeneration?: bigint
}

export default class Migrate extends ConfioCommand<typeof Migrate> {
  static override summary = 'Bring the PostgreSQL schema up to date (or show or roll back migrations).'
  static override description = [
    'On a database that does not exist yet it offers to create it (on a terminal), or creates it with --create: a new install is `confio migrate --create`.',
    'Every run that brings the schema up to date (not --status or --rollback), with migrations to apply or none, also moves the cache generation on, as `confio cache reset` does without deleting the old keys: no balance copy Redis holds from before is served. After a PostgreSQL restore, `confio migrate` is thus enough.',
  ].join('\n\n')
  static override examples = [
    {description: 'Create the database DATABASE_URL names if it is missing, and its tables.', command: '<%= config.bin %> migrate --create'},
    {description: 'Apply the migrations this confio has and the database lacks.', command: '<%= config.bin %> migrate'},
    {description: 'List applied and pending migrations.', command: '<%= config.bin %> migrate --status'},
    {description: 'Undo the last batch (after a bad upgrade).', command: '<%= config.bin %> migrate --rollback'},
  ]
  static override flags = {
    create: Flags.boolean({summary: 'Create the database if it does not exist, without asking.', exclusive: ['status', 'rollback']}),
    status: Flags.boolean({summary: 'Show applied and pending migrations; change nothing.', exclusive: ['rollback']}),
    rollback: Flags.boolean({summary: 'Roll back the last batch of migrations.', exclusive: ['status']}),
  }

  async run(): Promise<MigrateResult> {
    const action = this.flags.status ? 'status' : this.flags.rollback ? 'rollback' : 'latest'
    const created = action === 'latest' && (await this.createIfMissing())
    const db = await this.db({kind: 'migration'})
    const changed = action === 'latest' ? await migrateLatest(db) : action === 'rollback' ? await rollbackLast(db) : []
    // The schema may have changed what a cached copy means, or this may be a restored database.
    const cacheGeneration = action === 'latest' ? (await advanceCacheGeneration(db)).generation : undefined
    const result = {action, created, changed, ...(await migrationStatus(db)), ...(cacheGeneration === undefined ? {} : {cacheGeneration})} as const
    if (!this.jsonEnabled()) this.show(result)
    return result
  }

  /** Opens the database, and creates it when it is missing and the operator agrees. */
  private async createIfMissing(): Promise<boolean> {
    try {
      await this.db({kind: 'migration'})
      return false
    } catch (error) {
      if (!(error instanceof ConfioError && error.code === 'DATABASE_MISSING')) throw error
      const name = databaseNameOf(this.settings.databaseUrl)
      await this.confirm(`The database ${name} does not exist. Create it?`, {
        yes: this.flags.create,
        flag: '--create',
        unattended: `the database ${name} does not exist`,
        declined: `database ${name} not created`,
      })
      return createDatabaseIfMissing(this.settings.databaseUrl)
    }
  }

  private show(result: MigrateResult): void {
    if (result.created) this.log(`Created database ${databaseNameOf(this.settings.databaseUrl)}.`)
    if (result.action === 'latest') this.log(result.changed.length ? `Applied: ${result.changed.join(', ')}` : 'Already up to date.')
    if (result.cacheGeneration !== undefined) this.log(`Cache generation moved on to ${result.cacheGeneration}: no balance copy Redis holds from before is served.`)
    if (result.action === 'rollback') this.log(result.changed.length ? `Rolled back: ${result.changed.join(', ')}` : 'Nothing to roll back.')
    if (result.action === 'status') {
      for (const name of result.applied) this.log(`applied  ${name}`)
      for (const name of result.pending) this.log(`pending  ${name}`)
    }
  }
}
