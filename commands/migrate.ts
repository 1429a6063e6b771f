import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {migrateLatest, migrationStatus, rollbackLast} from '../src/store/migrator.ts'

export interface MigrateResult {
  action: 'latest' | 'status' | 'rollback'
  /** Migrations run (latest) or reverted (rollback) by this call. */
  changed: string[]
  applied: string[]
  pending: string[]
}

export default class Migrate extends ConfioCommand<typeof Migrate> {
  static override summary = 'Bring the PostgreSQL schema up to date (or show or roll back migrations).'
  static override examples = ['<%= config.bin %> migrate', '<%= config.bin %> migrate --status', '<%= config.bin %> migrate --rollback']
  static override flags = {
    status: Flags.boolean({summary: 'Show applied and pending migrations; change nothing.', exclusive: ['rollback']}),
    rollback: Flags.boolean({summary: 'Roll back the last batch of migrations.', exclusive: ['status']}),
  }

  async run(): Promise<MigrateResult> {
    const db = await this.db()
    const action = this.flags.status ? 'status' : this.flags.rollback ? 'rollback' : 'latest'
    const changed = action === 'latest' ? await migrateLatest(db) : action === 'rollback' ? await rollbackLast(db) : []
    const result = {action, changed, ...(await migrationStatus(db))} as const
    if (!this.jsonEnabled()) this.show(result)
    return result
  }

  private show(result: MigrateResult): void {
    if (result.action === 'latest') this.log(result.changed.length ? `Applied: ${result.changed.join(', ')}` : 'Already up to date.')
    if (result.action === 'rollback') this.log(result.changed.length ? `Rolled back: ${result.changed.join(', ')}` : 'Nothing to roll back.')
    if (result.action === 'status') {
      for (const name of result.applied) this.log(`applied  ${name}`)
      for (const name of result.pending) this.log(`pending  ${name}`)
    }
  }
}
