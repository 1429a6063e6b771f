// Schema migrations ship inside the package (src/store/migrations) and run with knex's migrator.
// The schema is a public interface: the wallet's web app and other tools read these tables.
import {fileURLToPath} from 'node:url'
import type {Database} from './database.ts'

const MIGRATIONS_DIRECTORY = fileURLToPath(new URL('./migrations', import.meta.url))

const migratorConfig = {
  directory: MIGRATIONS_DIRECTORY,
  loadExtensions: ['.ts'],
  tableName: 'knex_migrations',
}

export interface MigrationStatus {
  readonly applied: string[]
  readonly pending: string[]
}

export async function migrateLatest(db: Database): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migratorConfig)) as [number, string[]]
  return applied
}

/** Rolls back the last batch. */
export async function rollbackLast(db: Database): Promise<string[]> {
  const [, reverted] = (await db.migrate.rollback(migratorConfig)) as [number, string[]]
  return reverted
}

export async function migrationStatus(db: Database): Promise<MigrationStatus> {
  const [completed, pending] = (await db.migrate.list(migratorConfig)) as [{name: string}[], {file: string}[]]
  return {applied: completed.map((m) => m.name), pending: pending.map((m) => m.file)}
}
