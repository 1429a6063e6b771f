// Creating the database DATABASE_URL names, for `confio migrate --create` and the demo. It is done
// through the server's maintenance database (postgres), as createdb does.
import {createDatabase} from './database.ts'

/** The database name in a PostgreSQL URL (libpq's default is the user name; confio needs one). */
export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1))
}

/** Creates the database unless it exists; true when it was created by this call. */
export async function createDatabaseIfMissing(url: string): Promise<boolean> {
  const name = databaseNameOf(url)
  const admin = createDatabase({url: Object.assign(new URL(url), {pathname: '/postgres'}).toString(), poolMax: 1})
  try {
    const {rows} = await admin.raw<{rows: unknown[]}>('SELECT 1 FROM pg_database WHERE datname = ?', [name])
    if (rows.length > 0) return false
    await admin.raw('CREATE DATABASE ??', [name])
    return true
  } catch (error) {
    // Two creators at once: the loser finds it made by the other, which is what it wanted.
    if ((error as {code?: string}).code === '42P04') return false
    throw error
  } finally {
    await admin.destroy()
  }
}
