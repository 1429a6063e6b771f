// Progress as an operator at a terminal sees it: listr2's step list and ora's spinner drawn on a
// pseudo-terminal, the command's result and exit code the same as through pipes; and none of it
// under --json or in CI, even on a terminal (cli/progress-mode.ts).
import assert from 'node:assert/strict'
import {fundAll, startWorld} from '../processing/worker-support.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {dropDatabase, TEST_DATABASE} from '../support/global-setup.ts'
import {eventually} from '../support/child-process.ts'
import {HAVE_SCRIPT, runOnTerminal, startOnTerminal} from '../support/terminal.ts'

describe('progress on a terminal', function () {
  this.timeout(120_000)
  const name = `${TEST_DATABASE}_on_terminal`
  // The test run's own database URL is set by the global set-up, after this file is loaded.
  let url: string
  before(function () {
    if (!HAVE_SCRIPT) this.skip()
    url = (process.env.DATABASE_URL as string).replace(TEST_DATABASE, name)
  })
  beforeEach(() => dropDatabase(name))
  after(() => dropDatabase(name))

  it('migrate --create: the steps ticked off on the terminal, then the same result as through a pipe', async () => {
    const run = await runOnTerminal(['migrate', '--create'], {DATABASE_URL: url})
    assert.equal(run.code, 0, run.screen)
    // listr2's list: each step ticked, with its time.
    assert.match(run.screen, new RegExp(`✔ Create the database ${name} \\[[\\d.]+m?s\\]`), run.screen)
    assert.match(run.screen, /✔ Apply the migrations: \d+ applied \[[\d.]+m?s\]/)
    assert.match(run.screen, /✔ Move the cache generation on \[[\d.]+m?s\]/)
    // Drawn in place: the cursor hidden while it runs, shown again after.
    assert.ok(run.raw.includes('\u001B[?25l') && run.raw.includes('\u001B[?25h'), 'cursor hidden and shown again')
    // The result, as without a terminal.
    assert.match(run.screen, new RegExp(`^Created database ${name}\\.$`, 'm'))
    assert.match(run.screen, /^Applied: \d{14}_initial_schema\.ts, /m)
    assert.match(run.screen, /^Cache generation moved on to \d+: /m)
    const status = jsonOf<{pending: string[]; applied: string[]}>(await runCli(['migrate', '--status', '--json'], {env: {DATABASE_URL: url}}))
    assert.deepEqual(status.pending, [])
    // Through a pipe the same command draws nothing: its stderr stays empty.
    const piped = await runCli(['migrate', '--create'], {env: {DATABASE_URL: url}})
    assert.equal(piped.code, 0, piped.stderr)
    assert.equal(piped.stderr, '')
    assert.match(piped.stdout, /^Already up to date\.$/m)
    // And on the terminal a second time: the database exists, so its creation is skipped.
    const again = await runOnTerminal(['migrate', '--create'], {DATABASE_URL: url})
    assert.equal(again.code, 0, again.screen)
    assert.match(again.screen, new RegExp(`Create the database ${name}: it exists`))
    assert.match(again.screen, /✔ Apply the migrations: already up to date/)
  })

  it('--json on a terminal: only the JSON document, no list', async () => {
    const run = await runOnTerminal(['migrate', '--create', '--json'], {DATABASE_URL: url})
    assert.equal(run.code, 0, run.screen)
    assert.ok(!run.raw.includes('\u001B[?25l'), run.raw)
    const json = JSON.parse(run.screen) as {created: boolean; changed: string[]; pending: string[]}
    assert.deepEqual([json.created, json.changed.length > 0, json.pending], [true, true, []])
  })

  it('CI set, on a terminal: plain, as in a pipe', async () => {
    const run = await runOnTerminal(['migrate', '--create'], {DATABASE_URL: url, CI: 'true'})
    assert.equal(run.code, 0, run.screen)
    assert.doesNotMatch(run.screen, /✔|Apply the migrations/)
    assert.match(run.screen, new RegExp(`^Created database ${name}\\.$`, 'm'))
  })

  it('cache reset: ora spinner while it runs, then the same two lines', async () => {
    const migrated = await runCli(['migrate', '--create'], {env: {DATABASE_URL: url}})
    assert.equal(migrated.code, 0, migrated.stderr)
    const run = await runOnTerminal(['cache', 'reset'], {DATABASE_URL: url})
    assert.equal(run.code, 0, run.screen)
    // The spinner, and its line cleared (cursor to column 1, line erased) before the result.
    assert.match(run.screen, /^⠋ moving the cache generation on/)
    const cleared = run.raw.indexOf('\u001B[1G\u001B[0K')
    assert.ok(cleared > run.raw.indexOf('moving the cache generation on') && cleared < run.raw.indexOf('Cache generation'), run.raw)
    assert.match(run.screen, /Cache generation \d+ -> \d+: every older copy in Redis is a miss from now on\.$/m)
    assert.match(run.screen, /^Deleted \d+ of \d+ balance keys in [\d.]+ s\.$/m)
  })

  it('reconcile: the reading counted (rate, time left) then the settling, ticked off; the report as through a pipe', async () => {
    const w = await startWorld(['ada', 'bea', 'cal'])
    try {
      await fundAll(w, {sui: 10_000_000_000n, cusd: 100_000_000n})
      // One account at a time, 4 requests a second: the count is on screen for a while. Only this
      // world's accounts: an earlier file of this mocha worker may have left one in its database.
      const own = Object.keys(w.accounts).flatMap((address) => ['--account', address])
      const run = await runOnTerminal(['reconcile', ...own, '--rps', '4', '--concurrency', '1', '--dry-run'], w.env)
      assert.equal(run.code, 0, run.screen)
      assert.match(run.screen, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Read each account's balances from the chain\n +› \d\/3 accounts, \d+\/s, about \d+m?s left/, run.screen)
      assert.match(run.screen, /✔ Read the balances of 3 accounts from the chain \[[\d.]+m?s\]/)
      assert.match(run.screen, /Settle the accounts in flight: no account in flight/)
      assert.match(run.screen, /^Checked 3 of 3 accounts/m)
      const piped = await runCli(['reconcile', ...own, '--rps', '4', '--concurrency', '1', '--dry-run'], {env: w.env})
      assert.equal(piped.code, 0, piped.stderr)
      assert.match(piped.stderr, /^reconcile: 1\/3 accounts, \d+\/s, about \d+m?s left$/m)
      assert.doesNotMatch(piped.stderr, /✔|Read each account/)
    } finally {
      await w.close()
    }
  })

  it('reconcile stopped by Ctrl-C (SIGINT) while the list is drawn: its step marked failed, the one error line, exit 1, the cursor shown again', async () => {
    const w = await startWorld(['dan', 'eve', 'fay', 'gus'])
    try {
      await fundAll(w, {sui: 10_000_000_000n, cusd: 100_000_000n})
      const own = Object.keys(w.accounts).flatMap((address) => ['--account', address])
      const run = startOnTerminal(['reconcile', ...own, '--rps', '2', '--concurrency', '1', '--dry-run'], w.env)
      await eventually(async () => /1\/4 accounts/.test(run.screen()), 30_000, 'the first account read')
      run.signal('SIGINT')
      const result = await run.done
      assert.equal(result.code, 1, result.screen)
      assert.match(result.screen, /✖ Read each account's balances from the chain/)
      assert.match(result.screen, /^Error: stopped by SIGINT before it finished; run confio reconcile again to finish$/m)
      assert.ok(result.raw.lastIndexOf('\u001B[?25h') > result.raw.lastIndexOf('\u001B[?25l'), 'the cursor shown again')
    } finally {
      await w.close()
    }
  })
})

