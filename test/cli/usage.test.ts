// What a new user meets first: usage errors that exit 2 and read as a sentence, JSON errors that
// always carry a remedy, help that wraps once and shows durations as durations, and a migrate that
// offers to create a database that does not exist.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {formatDuration, parseDuration} from '../../cli/durations.ts'
import {jsonOf, ROOT, runCli} from '../support/cli.ts'
import {TEST_DATABASE, dropDatabase} from '../support/global-setup.ts'

interface ManifestCommand {
  description?: string
  examples?: unknown[]
  flags: Record<string, {type: string; default?: unknown; hidden?: boolean}>
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}

describe('confio usage', function () {
  this.timeout(60_000)

  describe('every usage error exits 2 with one sentence and a remedy', () => {
    const cases: [string, string[], RegExp][] = [
      ['a bad checkpoint', ['poll', '--from-checkpoint', 'abc'], /^--from-checkpoint: "abc" is not a checkpoint sequence number/],
      ['a bad cursor', ['poll', '--reset-cursor', '-5'], /^--reset-cursor: "-5" is not a checkpoint sequence number/],
      ['a bad duration', ['worker', '--retry-delay', '5x'], /^--retry-delay: "5x" is not a duration; use e\.g\. 2s/],
      ['a zero interval', ['poll', '--interval', '0s'], /^--interval: "0s" is too short; use at least 100ms$/],
      ['a duration without its unit', ['poll', '--interval', '2'], /^--interval: "2" has no unit; write 2s, 2ms or 2m$/],
      ['a zero concurrency', ['worker', '--concurrency', '0'], /concurrency/],
      ['a missing argument', ['accounts', 'import'], /^missing the argument FILE, the accounts CSV to import/],
    ]
    for (const [what, args, message] of cases) {
      it(what, async () => {
        const text = await runCli(args)
        assert.equal(text.code, 2, text.stderr)
        assert.match(text.stderr, /^Error: [^\n]+\nSee: confio [a-z ]+ --help\n$/)
        assert.doesNotMatch(text.stderr, /:;|\n\t|See more help/)
        const json = await runCli([...args, '--json'])
        assert.equal(json.code, 2)
        const {error} = jsonOf<{error: Record<string, unknown>}>(json)
        assert.deepEqual(Object.keys(error).sort(), ['code', 'exitCode', 'message', 'remedy'])
        assert.match(error.message as string, message)
        assert.equal(error.exitCode, 2)
      })
    }
  })

  it('gives every command realistic examples and a description oclif can wrap once', () => {
    for (const [id, command] of Object.entries(manifest.commands)) {
      assert.ok((command.examples?.length ?? 0) > 0, `${id} has no examples`)
      // A line break inside a paragraph is kept by oclif and then wrapped again: ragged help.
      // (An indented block, such as a sample file, is kept as it is written.)
      const prose = (command.description ?? '').split('\n\n').filter((paragraph) => !paragraph.split('\n').every((line) => line.startsWith('  ')))
      for (const paragraph of prose) assert.ok(!paragraph.includes('\n'), `${id}: a line break inside "${paragraph.slice(0, 60)}…"`)
      assert.doesNotMatch(JSON.stringify(command.examples), /0x[0-9a-f]+…/, `${id}: an example address a user cannot paste`)
    }
  })

  it('shows duration defaults as durations', async () => {
    const help = await runCli(['worker', '--help'], {env: {COLUMNS: '200'}})
    assert.match(help.stdout, /--retry-delay=<value> +\[default: 60s\]/)
    assert.match(help.stdout, /--stall-interval=<value> +\[default: 5s\]/)
    assert.doesNotMatch(help.stdout, /\[default: \d{4,}\]/)
    assert.deepEqual([60_000, 300_000, 2_500, 7_200_000, 86_400_000].map(formatDuration), ['60s', '5m', '2500ms', '2h', '1d'])
    assert.deepEqual(['2s', '500ms', '1m', '1h', '30d', '1.5s'].map(parseDuration), [2_000, 500, 60_000, 3_600_000, 2_592_000_000, 1_500])
  })

  it('takes a duration with its unit, as a flag and as a setting alike', async () => {
    // A bare number is seconds to some tools and milliseconds to PostgreSQL: neither is guessed.
    assert.deepEqual(['30', '1.5', ''].map(parseDuration), [undefined, undefined, undefined])
    const flag = await runCli(['worker', '--stall-interval', '30'])
    assert.equal(flag.code, 2)
    assert.match(flag.stderr, /^Error: --stall-interval: "30" has no unit; write 30s, 30ms or 30m\n/)
    const setting = await runCli(['accounts', 'list'], {env: {PG_STATEMENT_TIMEOUT: '30'}})
    assert.equal(setting.code, 2)
    assert.equal(setting.stderr, 'Error: PG_STATEMENT_TIMEOUT (from environment): "30" is not valid; expected a duration with its unit from 100ms to 1d, e.g. 30s, 500ms or 5m\n')
    assert.equal((await runCli(['accounts', 'list'], {env: {PG_STATEMENT_TIMEOUT: '30s'}})).code, 0)
  })

  describe('migrate on a database that does not exist', () => {
    const name = `${TEST_DATABASE}_created`
    // The test run's own database URL is set by the global set-up, after this file is loaded.
    let url: string
    before(() => (url = (process.env.DATABASE_URL as string).replace(TEST_DATABASE, name)))
    after(() => dropDatabase(name))

    it('without a terminal: exit 2 and one line naming --create, and nothing created', async () => {
      const result = await runCli(['migrate'], {env: {DATABASE_URL: url}})
      assert.equal(result.code, 2)
      assert.equal(result.stderr, `Error: the database ${name} does not exist; pass --create when running without a terminal\n`)
      const other = await runCli(['accounts', 'list'], {env: {DATABASE_URL: url}})
      assert.equal(other.code, 1)
      assert.match(other.stderr, new RegExp(`^Error: the database ${name} does not exist at .*; create it and its tables with confio migrate --create`))
    })

    it('on a terminal: asks, and a no creates nothing', async () => {
      // script(1) gives the command a terminal, as an operator's shell has.
      const run = spawnSync('script', ['-qec', `${process.execPath} ${join(ROOT, 'bin', 'run.js')} migrate`, '/dev/null'], {input: 'n\n', env: {...process.env, DATABASE_URL: url}, encoding: 'utf8', timeout: 30_000})
      assert.equal(run.status, 2, run.stdout)
      assert.match(run.stdout, new RegExp(`The database ${name} does not exist\\. Create it\\? \\[y/N\\]`))
      assert.match(run.stdout, new RegExp(`Error: database ${name} not created; answer y, or pass --create`))
      assert.equal((await runCli(['accounts', 'list'], {env: {DATABASE_URL: url}})).code, 1)
    })

    it('with --create: creates it and applies every migration', async () => {
      const result = await runCli(['migrate', '--create', '--json'], {env: {DATABASE_URL: url}})
      assert.equal(result.code, 0, result.stderr)
      const json = jsonOf<{created: boolean; changed: string[]; pending: string[]}>(result)
      assert.equal(json.created, true)
      assert.ok(json.changed.length > 0)
      assert.deepEqual(json.pending, [])
      const again = jsonOf<{created: boolean; changed: string[]}>(await runCli(['migrate', '--create', '--json'], {env: {DATABASE_URL: url}}))
      assert.deepEqual({created: again.created, changed: again.changed}, {created: false, changed: []})
    })
  })
})
