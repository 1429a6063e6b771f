// Every command that opens a queue checks Redis first, as worker, run and beat do: a REDIS_URL
// where nothing listens, or where something else answers (PostgreSQL's port), is one line naming
// the URL and the setting, exit 1 (a runtime failure, as for those commands), the JSON error on
// stdout with --json, never a stack trace; and nothing is half done before it (an account added
// with a backfill that could not start).
import assert from 'node:assert/strict'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {postgresPortAsRedis} from '../support/private-redis.ts'

const ADDRESS = `0x${'da7e'.padStart(64, '0')}`

describe('a Redis that cannot be used at start', function () {
  this.timeout(60_000)
  let db: Database

  before(async () => {
    db = createDatabase({url: process.env.DATABASE_URL as string})
    await db.raw('TRUNCATE accounts RESTART IDENTITY CASCADE')
    await db('accounts').insert({email: 'dave@test.io', sui_address: ADDRESS})
  })

  after(async () => {
    await db.raw('TRUNCATE accounts RESTART IDENTITY CASCADE')
    await db.destroy()
  })

  // DATABASE_URL is set by the global set-up, after this file is loaded.
  const redisUrls: [string, () => string, RegExp][] = [
    ['nothing listens', () => 'redis://127.0.0.1:1', /ECONNREFUSED/],
    ['PostgreSQL answers', postgresPortAsRedis, /./],
  ]
  const commands: [string, string[]][] = [
    ['poll', ['poll']],
    ['backfill', ['backfill', '--account', 'dave@test.io', '--since', '1d']],
    ['accounts add --backfill-since', ['accounts', 'add', '--email', 'eve@test.io', '--address', '0xe7e', '--backfill-since', '1d']],
  ]

  for (const [where, urlOf, cause] of redisUrls) {
    for (const [name, args] of commands) {
      it(`${name}, where ${where}: one line naming the URL, exit 1; with --json the error on stdout`, async () => {
        const url = urlOf()
        const env = {REDIS_URL: url, LOG_LEVEL: 'info'}
        const text = await runCli(args, {env})
        assert.equal(text.code, 1, text.stderr)
        const lines = text.stderr.split('\n').filter((line) => line.trim() !== '')
        assert.equal(lines.length, 1, text.stderr)
        assert.ok(lines[0]!.startsWith(`Error: cannot use Redis at ${url}: `), lines[0])
        assert.match(lines[0]!, cause)
        assert.match(lines[0]!, /; check that Redis is running and REDIS_URL \(or --redis-url\) is right$/)
        assert.equal(text.stdout, '')

        const json = await runCli([...args, '--json'], {env})
        assert.equal(json.code, 1, json.stderr)
        const {error} = jsonOf<{error: {code: string; message: string; exitCode: number}}>(json)
        assert.deepEqual([error.code, error.exitCode], ['REDIS_UNAVAILABLE', 1])
        assert.ok(error.message.startsWith(`cannot use Redis at ${url}: `), error.message)
        assert.doesNotMatch(json.stderr, /^\s+at |triggerUncaughtException|node_modules/m, 'no stack trace')
        // Nothing done before the check: the account of a backfilling `accounts add` is not added.
        assert.equal(await db('accounts').where({email: 'eve@test.io'}).first(), undefined)
      })
    }
  }
})
