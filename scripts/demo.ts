// `npm run demo`: shows confio working against PostgreSQL on a fresh machine. It creates the
// database named in DATABASE_URL if it is missing, migrates it, imports examples/accounts.csv
// and lists the accounts, each step through the real CLI.
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {createDatabase} from '../src/store/database.ts'

const url = new URL(process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/confio')
const name = url.pathname.slice(1)
const admin = createDatabase({url: Object.assign(new URL(url), {pathname: '/postgres'}).toString()})
try {
  const {rows} = await admin.raw<{rows: unknown[]}>('SELECT 1 FROM pg_database WHERE datname = ?', [name])
  if (rows.length === 0) {
    await admin.raw('CREATE DATABASE ??', [name])
    console.log(`created database ${name}`)
  }
} finally {
  await admin.destroy()
}

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const csv = fileURLToPath(new URL('../examples/accounts.csv', import.meta.url))
for (const args of [['migrate'], ['accounts', 'import', csv], ['accounts', 'list']]) {
  console.log(`\n$ confio ${args.join(' ')}`)
  const {status} = spawnSync(process.execPath, [bin, ...args], {stdio: 'inherit'})
  if (status !== 0) process.exit(status ?? 1)
}
