// bench/accounts-import: `confio migrate` then `confio accounts import` of a 10,000-row CSV, end
// to end through the CLI (process start included), on a scratch database. Goal: import under 2 s.
// A re-import of the same file (nothing changes) is timed too. The floor of each is the CLI's own
// start with nothing to do (`migrate --status`: process start, configuration, one query), timed in
// the same run. Run: npm run bench:accounts   (ROWS=1000 for a short run)
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {createDatabase} from '../src/store/database.ts'
import {reportFigures} from './bench-support.ts'

const ROWS = Number(process.env.ROWS ?? 10_000)
const PG = process.env.CONFIO_TEST_PG ?? 'postgres://root@127.0.0.1:5432'
const database = `confio_bench_${randomBytes(4).toString('hex')}`
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))

function csv(rows: number): string {
  const lines = ['email,address,label']
  for (let i = 1; i <= rows; i++) lines.push(`user${i}@bench.example,0x${randomBytes(32).toString('hex')},User ${i}`)
  return `${lines.join('\n')}\n`
}

function timed(args: string[]): {ms: number; stdout: string} {
  const started = performance.now()
  const run = spawnSync(process.execPath, [bin, ...args, '--json'], {env: {...process.env, DATABASE_URL: `${PG}/${database}`}, encoding: 'utf8'})
  const ms = performance.now() - started
  if (run.status !== 0) throw new Error(`confio ${args.join(' ')} failed: ${run.stdout}${run.stderr}`)
  return {ms, stdout: run.stdout}
}

const admin = createDatabase({url: `${PG}/postgres`})
await admin.raw(`CREATE DATABASE ${database}`)
try {
  const file = join(mkdtempSync(join(tmpdir(), 'confio-bench-')), 'accounts.csv')
  writeFileSync(file, csv(ROWS))
  const idle = timed(['migrate', '--status'])
  const migrate = timed(['migrate'])
  const first = timed(['accounts', 'import', file])
  const again = timed(['accounts', 'import', file])
  const result = JSON.parse(first.stdout) as {inserted: number}
  if (result.inserted !== ROWS) throw new Error(`expected ${ROWS} inserted, got ${result.inserted}`)
  const ms = (x: number) => `${x.toFixed(0)} ms`
  console.log(`accounts import, ${ROWS} rows, end to end through the CLI (node ${process.version})`)
  console.log(`  process start + config (migrate --status): ${ms(idle.ms)}`)
  console.log(`  migrate (new database):                    ${ms(migrate.ms)}`)
  console.log(`  import (all new):                          ${ms(first.ms)}   goal < 2000 ms: ${first.ms < 2000 ? 'met' : 'NOT met'}`)
  console.log(`  re-import (nothing changes):               ${ms(again.ms)}`)
  console.log(`  import rows/s (excluding process start):   ${Math.round(ROWS / ((first.ms - idle.ms) / 1000))}`)
  const again2 = JSON.parse(again.stdout) as {inserted: number}
  if (again2.inserted !== 0) throw new Error(`the re-import inserted ${again2.inserted} rows, expected none`)
  reportFigures('accounts', [
    {name: `import of ${ROWS} new rows, end to end (against the CLI's start with nothing to do)`, unit: 'ms', measured: first.ms, floor: idle.ms, higher: false, goal: {on: 'measured', value: 2_000}},
    {name: `re-import of the same ${ROWS} rows, nothing changes (against the same)`, unit: 'ms', measured: again.ms, floor: idle.ms, higher: false},
  ])
} finally {
  await admin.raw(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.destroy()
}
