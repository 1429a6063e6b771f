// `npm run demo`: shows confio working against PostgreSQL on a fresh machine. Each step goes through
// the real CLI: create and migrate the database named in DATABASE_URL (default
// postgres://127.0.0.1:5432/confio), import examples/accounts.csv and list the accounts.
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const csv = fileURLToPath(new URL('../examples/accounts.csv', import.meta.url))
for (const args of [['migrate', '--create'], ['accounts', 'import', csv], ['accounts', 'list']]) {
  console.log(`\n$ confio ${args.join(' ')}`)
  const {status} = spawnSync(process.execPath, [bin, ...args], {stdio: 'inherit'})
  if (status !== 0) process.exit(status ?? 1)
}
