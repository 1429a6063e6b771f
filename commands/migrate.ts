import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {withSteps} from '../cli/step-list.ts'
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
    if (action === 'latest') return this.latest()
    const db = await this.db({kind: 'migration'})
    const changed = action === 'rollback' ? await rollbackLast(db) : []
    const result = {action, created: false, changed, ...(await migrationStatus(db))} as const
    if (!this.jsonEnabled()) this.show(result)
    return result
  }

  /** Creates the database if it is missing (and agreed to), applies the migrations, moves the cache generation on. */
  private async latest(): Promise<MigrateResult> {
    const create = await this.missingAndAgreed()
    const name = databaseNameOf(this.settings.databaseUrl)
    const titles = [`Create the database ${name}`, 'Apply the migrations', 'Move the cache generation on']
    const {created, changed, cacheGeneration} = await withSteps(this.progressMode(), titles, async (steps) => {
      const made = create && (await createDatabaseIfMissing(this.settings.databaseUrl))
      if (made) steps.next()
      else steps.skip('it exists')
      const db = await this.db({kind: 'migration'})
      const applied = await migrateLatest(db)
      steps.next(applied.length > 0 ? `Apply the migrations: ${applied.length} applied` : 'Apply the migrations: already up to date')
      // The schema may have changed what a cached copy means, or this may be a restored database.
      return {created: made, changed: applied, cacheGeneration: (await advanceCacheGeneration(db)).generation}
    })
    const result = {action: 'latest', created, changed, ...(await migrationStatus(await this.db({kind: 'migration'}))), cacheGeneration} as const
    if (!this.jsonEnabled()) this.show(result)
    return result
  }

  /** Whether the database is missing and the operator agrees to create it (asked before any list is drawn). */
  private async missingAndAgreed(): Promise<boolean> {
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
      return true
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
