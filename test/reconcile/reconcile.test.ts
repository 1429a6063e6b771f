// `confio reconcile` end to end: the local Sui server, the real pipeline (poll --once, worker
// --drain), PostgreSQL and Redis; drift injected in the chain and in the cache.
import assert from 'node:assert/strict'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {busiestSecond, startSuiServer} from '../../sui-server/index.ts'
import {chainBalance, drain, fundAll, pollOnce, startWorld, type WorkerWorld} from '../processing/worker-support.ts'

interface Report {
  runId: string | null
  outcome: string
  chainReads: {requests: number; windowMs: number}
  selected: number
  checked: number
  inFlight: {accountId: string}[]
  drift: {accountId: string; token: string; cached: string; chain: string; difference: string; corrected: boolean}[]
  closed: number
  errors: unknown[]
}

describe('confio reconcile', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let names: string[]
  let store: PostgresBalanceStore

  before(async () => {
    w = await startWorld(['ada', 'bea', 'cal'])
    names = Object.keys(w.accounts)
    store = new PostgresBalanceStore(w.db)
    await fundAll(w, {sui: 10_000_000_000n, cusd: 100_000_000n})
  })

  after(async () => {
    await w?.db('balance_drift').whereIn('account_id', Object.values(w.accounts)).delete()
    await w?.close()
  })

  const reconcile = async (args: string[] = []) => {
    const result = await runCli(['reconcile', '--json', ...args], {env: w.env})
    return {result, report: jsonOf<Report>(result)}
  }
  const chainAmount = (address: string, coinType: string) => chainBalance(w, address, coinType)

  it('gives every balance the chain value the first time, then agrees with it', async () => {
    const {result, report} = await reconcile()
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual([report.selected, report.checked, report.drift.length, report.inFlight.length, report.outcome], [3, 3, 0, 0, 'agreed'])
    for (const address of names) {
      const row = await store.read({accountId: w.accounts[address]!, token: 'CUSD'})
      assert.deepEqual([row?.amount, row?.stale], [chainAmount(address, w.coins.CUSD), false])
    }
    const again = await reconcile()
    assert.deepEqual([again.report.checked, again.report.drift.length], [3, 0])
  })

  it('finds drift injected in the chain, corrects it, keeps one record across runs, and closes it when a run agrees', async () => {
    const [ada] = names as [string]
    w.sui.ledger.injectDrift(ada, w.coins.CUSD, 777n)
    await pollOnce(w)
    const first = await reconcile(['--dry-run'])
    assert.equal(first.report.drift.length, 1)
    assert.deepEqual([first.report.drift[0]?.difference, first.report.drift[0]?.corrected, first.report.runId], ['777', false, null])
    assert.equal((await w.db('balance_drift').where({account_id: w.accounts[ada]}).count({n: '*'}))[0]?.n, '0', 'a dry run writes nothing')

    const fixed = await reconcile(['--fail-on-drift'])
    assert.equal(fixed.result.code, 3)
    assert.deepEqual([fixed.report.drift[0]?.token, fixed.report.drift[0]?.corrected], ['CUSD', true])
    assert.equal((await store.read({accountId: w.accounts[ada]!, token: 'CUSD'}))?.amount, chainAmount(ada, w.coins.CUSD))

    // The same drift seen again (the cache tampered back) is the same record, seen by two runs.
    await w.db('balances').where({account_id: w.accounts[ada], token: 'CUSD'}).update({amount: w.db.raw('amount - 777'), version: w.db.raw('version + 1')})
    await reconcile()
    const records = await w.db('balance_drift').where({account_id: w.accounts[ada], token: 'CUSD'})
    assert.deepEqual(records.map((r) => [r.runs, r.difference, r.closed_at === null]), [[2, '777', true]])

    const report = await runCli(['reconcile', '--report', '--json'], {env: w.env})
    assert.deepEqual(jsonOf<{openDrift: {token: string; runs: number}[]}>(report).openDrift.map((d) => [d.token, d.runs]), [['CUSD', 2]])

    const agreeing = await reconcile()
    assert.equal(agreeing.report.closed, 1)
    assert.equal((await w.db('balance_drift').where({account_id: w.accounts[ada]}).whereNull('closed_at').count({n: '*'}))[0]?.n, '0')
  })

  it('finds a tampered cache row', async () => {
    const [, bea] = names as [string, string]
    await w.db('balances').where({account_id: w.accounts[bea], token: 'SUI'}).update({amount: '5', version: w.db.raw('version + 1')})
    const {report} = await reconcile(['--account', bea])
    assert.deepEqual(report.drift.map((d) => [d.token, d.cached, d.chain]), [['SUI', '5', chainAmount(bea, w.coins.SUI).toString()]])
  })

  it('shows drift under headers, and counts in the right number', async () => {
    const [, bea] = names as [string, string]
    await reconcile(['--account', bea])
    await w.db('balances').where({account_id: w.accounts[bea], token: 'SUI'}).update({amount: '5', version: w.db.raw('version + 1')})
    const text = await runCli(['reconcile', '--account', bea, '--dry-run'], {env: w.env})
    assert.equal(text.code, 0, text.stderr)
    const [summary = '', header = '', , row = ''] = text.stdout.split('\n')
    assert.match(summary, /^Checked 1 of 1 account in [\d.]+ s \(dry run: nothing written\): 0 in flight, 1 in drift, 0 errors; 0 drift records closed\.$/)
    assert.match(header, /CHECKPOINT +CACHE$/)
    assert.equal(row.indexOf('not written'), header.lastIndexOf('CACHE'), text.stdout)
    await reconcile(['--account', bea])
  })

  it('--report: amounts in display units, a token no longer registered in base units, labelled so', async () => {
    const [ada] = names as [string]
    const accountId = w.accounts[ada]!
    const email = (await w.db('accounts').where({id: accountId}).first('email')).email as string
    const rows = await w.db('balance_drift')
      .insert([
        {account_id: accountId, token: 'CUSD', cached_amount: '10000000', chain_amount: '12500000', difference: '2500000', chain_checkpoint: '7'},
        {account_id: accountId, token: 'USDT', cached_amount: '10000000', chain_amount: '12500000', difference: '2500000', chain_checkpoint: '7'},
      ])
      .returning('id')
    try {
      const text = await runCli(['reconcile', '--report'], {env: w.env})
      assert.equal(text.code, 0, text.stderr)
      assert.match(text.stdout, new RegExp(`^${email} +CUSD +10 +12\\.5 +2500000 +1 `, 'm'))
      assert.match(text.stdout, new RegExp(`^${email} +USDT +10000000 \\(base units\\) +12500000 \\(base units\\) +2500000 +1 `, 'm'))
    } finally {
      await w.db('balance_drift').whereIn('id', rows.map((r: {id: string}) => r.id)).delete()
    }
  })

  it('usage shows the flags that go together apart from --report', async () => {
    const help = await runCli(['reconcile', '--help'])
    const usage = help.stdout.split('\n\n').find((section) => section.startsWith('USAGE')) ?? ''
    // One entry per way to run it, the terminal's wrapping undone.
    const ways = usage.replace(/^USAGE\s+/, '').split(/\s*\n\s*(?=\$)/).map((way) => way.replace(/\s+/g, ' '))
    assert.deepEqual(ways, [
      '$ confio reconcile [--account <value>...] [--token <value>] [--older-than <value>] [--dry-run] [--fail-on-drift] [--concurrency <value>] [--rps <value>] [--json]',
      '$ confio reconcile --report [--json]',
    ])
    // and oclif still refuses what --report excludes
    const both = await runCli(['reconcile', '--report', '--token', 'SUI'], {env: w.env})
    assert.equal(both.code, 2)
  })

  it('reports an account with unprocessed transactions in flight, not drift', async () => {
    const [ada, bea] = names as [string, string]
    w.sui.ledger.transfer({from: ada, to: bea, coinType: w.coins.CUSD, amount: 1_000n})
    await pollOnce(w) // stored, not processed
    const {report} = await reconcile(['--account', ada])
    assert.deepEqual([report.inFlight.map((a) => a.accountId), report.drift.length, report.checked, report.outcome], [[w.accounts[ada]], 0, 0, 'in-flight'])
    // Nothing was compared: not 'agreed'.
    assert.equal((await w.db('reconcile_runs').where({id: report.runId}).first('outcome')).outcome, 'in-flight')
    await drain(w)
    const after = await reconcile(['--account', ada])
    assert.deepEqual([after.report.inFlight.length, after.report.drift.length, after.report.checked], [0, 0, 1])
  })

  it('--older-than skips accounts checked recently', async () => {
    await reconcile()
    const {report} = await reconcile(['--older-than', '1h'])
    assert.deepEqual([report.selected, report.checked], [0, 0])
    await w.db('balances').where({account_id: w.accounts[names[2]!]}).update({last_blockchain_check: w.db.raw("now() - interval '2 hours'")})
    const older = await reconcile(['--older-than', '1h'])
    assert.deepEqual([older.report.selected, older.report.checked], [1, 1])
  })

  it('exits 1 with the report when more than 10% of accounts cannot be read', async () => {
    w.sui.faults.failRate('ListBalances', 'UNAVAILABLE', 1)
    try {
      const result = await runCli(['reconcile', '--json'], {env: {...w.env, SUI_GRPC_DEADLINE_MS: '1000'}})
      assert.equal(result.code, 1)
      const report = jsonOf<Report & {error: {code: string}}>(result)
      assert.deepEqual([report.errors.length, report.outcome, report.error.code], [3, 'errors', 'RECONCILE_ERRORS'])
      const text = await runCli(['reconcile'], {env: {...w.env, SUI_GRPC_DEADLINE_MS: '1000'}})
      assert.equal(text.code, 1)
      assert.match(text.stderr, /Error: 3 of 3 accounts could not be read from the chain/)
      // Within the run's own budget (the chain layer's 5 attempts per read), each failed attempt is one line with the wait that follows.
      const retries = text.stderr.split('\n').map((line) => /ListBalances failed with UNAVAILABLE \(attempt (\d) of 5\); retrying in \d+\.\d s/.exec(line)?.[1]).filter((n) => n !== undefined)
      assert.deepEqual(retries.map(Number).sort(), [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4], text.stderr)
    } finally {
      w.sui.faults.reset()
    }
  })

  it('a refused token is permanent: the run fails at once, one line, nothing retried', async () => {
    w.sui.faults.reset()
    w.sui.faults.requireToken('a-token-confio-does-not-have')
    try {
      const result = await runCli(['reconcile'], {env: w.env})
      assert.equal(result.code, 1, result.stderr)
      const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'))
      assert.equal(errors.length, 1, result.stderr)
      assert.match(errors[0]!, /UNAUTHENTICATED/)
      assert.doesNotMatch(result.stderr, /retrying/)
      assert.equal(w.sui.faults.calls('GetServiceInfo'), 1, 'asked once')
    } finally {
      w.sui.faults.reset()
    }
  })

  it('holds the request rate under --rps, counting every request', async () => {
    w.sui.faults.reset()
    // At 2 per second the run's 4 requests (GetServiceInfo and 3 ListBalances) take at least 1.5 s:
    // a limit that let them through at once would put all 4 in one second, which both checks see.
    const {result, report} = await reconcile(['--rps', '2'])
    assert.equal(result.code, 0, result.stderr)
    // Every request the run sent took a token: GetServiceInfo, the 3 ListBalances and any other.
    const sent = Object.values(w.sui.faults.callCounts()).reduce((sum, n) => sum + n, 0)
    assert.equal(w.sui.faults.calls('ListBalances'), 3)
    assert.equal(report.chainReads.requests, sent)
    // The rate the report says it held, from its own first request to its last (process start is
    // not in it): at most 2 a second, 2% for timer slack.
    const held = ((sent - 1) * 1000) / report.chainReads.windowMs
    assert.ok(held <= 2 * 1.02, `${sent} requests in ${report.chainReads.windowMs} ms: ${held.toFixed(2)}/s`)
    // As the server saw them: no one-second window holds more than N + 1 request starts.
    assert.ok(busiestSecond(w.sui.faults.callTimes()) <= 3, `arrivals ${w.sui.faults.callTimes().map((t) => t.toFixed(0)).join(', ')}`)
  })

  it('empty accounts are ordinary: one ListBalances each while the chain moves, no errors', async () => {
    const empty: string[] = []
    for (let i = 0; i < 40; i++) empty.push(w.sui.ledger.createAddress(`empty-${i}`))
    const rows = await w.db('accounts').insert(empty.map((address, i) => ({email: `empty-${i}@reconcile.test`, sui_address: address}))).returning('id')
    const ids = rows.map((r: {id: string}) => String(r.id))
    w.sui.faults.reset()
    // Checkpoints seal while the accounts are read (the old fallback, one GetBalance per token,
    // threw "the node moved" whenever two of them spanned one).
    const producer = setInterval(() => w.sui.ledger.produceCheckpoint(), 20)
    const selected = empty.flatMap((address) => ['--account', address])
    try {
      const {result, report} = await reconcile(selected)
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual([report.selected, report.errors.length, w.sui.faults.calls('GetBalance')], [40, 0, 0])
      // The poller is not running meanwhile: every account is in flight (not an error).
      assert.equal(report.checked + report.inFlight.length, 40)
      assert.ok(w.sui.faults.calls('ListBalances') <= 80, `${w.sui.faults.calls('ListBalances')} ListBalances for 40 accounts (a second look reads again)`)
      clearInterval(producer)
      await pollOnce(w)
      const still = await reconcile(selected)
      assert.deepEqual([still.report.checked, still.report.errors.length, still.report.outcome], [40, 0, 'agreed'])
    } finally {
      clearInterval(producer)
      await w.db('balance_cache_outbox').whereIn('account_id', ids).delete()
      await w.db('balances').whereIn('account_id', ids).delete()
      await w.db('accounts').whereIn('id', ids).delete()
    }
  })

  it('a run that stops on an error is recorded failed, with the error', async () => {
    const other = await startSuiServer({chain: 'othernet'})
    try {
      const result = await runCli(['reconcile', '--json'], {env: {...w.env, SUI_GRPC_URL: other.url}})
      assert.equal(result.code, 2, result.stderr)
      const run = await w.db('reconcile_runs').orderBy('id', 'desc').first('outcome', 'error', 'finished_at')
      assert.equal(run.outcome, 'failed')
      assert.match(run.error, /this database follows chain/)
      assert.ok(run.finished_at)
      // The on-call screen says why the last reconcile has no counts.
      const status = await runCli(['status', '--json'], {env: w.env})
      const last = jsonOf<{balances: {lastReconcile: {outcome: string; error: string}}}>(status).balances.lastReconcile
      assert.deepEqual([last.outcome, /this database follows chain/.test(last.error)], ['failed', true])
    } finally {
      await other.close()
    }
  })

  it('accounts for every account selected, over more than one judged batch and many lanes', async () => {
    const extra: string[] = []
    for (let i = 0; i < 600; i++) {
      const address = w.sui.ledger.createAddress(`many-${i}`)
      w.sui.ledger.mint(address, w.coins.SUI, BigInt(1_000 + i))
      extra.push(address)
    }
    await pollOnce(w)
    const ids: string[] = []
    for (let i = 0; i < extra.length; i += 200) {
      const rows = await w.db('accounts').insert(extra.slice(i, i + 200).map((address, j) => ({email: `many-${i + j}@reconcile.test`, sui_address: address}))).returning('id')
      ids.push(...rows.map((r: {id: string}) => String(r.id)))
    }
    try {
      const {result, report} = await reconcile(['--concurrency', '32'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(report.selected, 603)
      assert.equal(report.checked + report.inFlight.length + report.errors.length, report.selected)
      assert.equal(report.checked, 603)
    } finally {
      await w.db('balance_drift').whereIn('account_id', ids).delete()
      await w.db('balance_cache_outbox').whereIn('account_id', ids).delete()
      await w.db('balances').whereIn('account_id', ids).delete()
      await w.db('accounts').whereIn('id', ids).delete()
    }
  })

  it('an unknown account or token is a usage error', async () => {
    const account = await runCli(['reconcile', '--account', 'nobody@nowhere.io'], {env: w.env})
    assert.equal(account.code, 2)
    assert.match(account.stderr, /^Error: --account nobody@nowhere\.io: no active account/)
    const token = await runCli(['reconcile', '--token', 'DOGE'], {env: w.env})
    assert.equal(token.code, 2)
  })
})
