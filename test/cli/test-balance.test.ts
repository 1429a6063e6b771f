// confio test-balance, the real CLI against the local Sui server: each read path on one account
// (rows, sources, chain reads, values equal to the chain's) and the per-level benchmark.
import assert from 'node:assert/strict'
import {openBalanceService} from '../../src/balances/open-balance-service.ts'
import {CHAIN_OPTION_DEFAULTS, openChainReader} from '../../src/chain/index.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {createDatabase} from '../../src/store/database.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {migrateLatest} from '../../src/store/migrator.ts'
import {type CliResult, jsonOf, runCli} from '../support/cli.ts'
import {createScratchDatabase, dropDatabase} from '../support/global-setup.ts'
import {startWorld, type WorkerWorld} from '../processing/worker-support.ts'
import {type CaughtUpPipeline, keepPipelineCaughtUp} from '../support/pipeline-marker.ts'

const STEPS = ['cached', 'forced-refresh', 'critical', 'stale-then-read', 'all-balances']
// The registry's order: configured tokens, then SUI.
const TOKENS = ['CUSD', 'CONFIO', 'USDC', 'SUI']
const LEVELS = ['memory', 'redis', 'postgres', 'chain'] as const

interface StepRow {
  step: string
  token: string
  amount: string
  pending: string
  available: string
  checkpoint: string | null
  isStale: boolean
  source: string
  ms: number
  chainReads: number
}

interface Figures {
  reads: number
  minMs: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  perSecond: number
}

interface BenchmarkJson {
  accounts: number
  balances: number
  chainIterations: number
  mismatches: number
  levels: Record<(typeof LEVELS)[number], Figures & {mismatches: number; sources: Record<string, number>}>
  floor: {redisGet: Figures}
  speedups: Record<'memory' | 'redis' | 'postgres', number>
}

/** Rows of the text table: STEP TOKEN AMOUNT BASE-UNITS SOURCE CHECKPOINT CHAIN-READS MS. */
function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => STEPS.includes(cells[0] ?? ''))
}

function oneLineError(result: CliResult): string {
  const lines = result.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`)
  return lines[0] as string
}

describe('confio test-balance', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let pipeline: CaughtUpPipeline
  let ana: {address: string; email: string}
  let ben: {address: string; email: string}
  let cy: {address: string; email: string}

  before(async () => {
    w = await startWorld(['tb-ana', 'tb-ben', 'tb-cy'])
    const rows: {email: string; sui_address: string}[] = await w.db('accounts').whereIn('id', Object.values(w.accounts)).orderBy('id')
    ;[ana, ben, cy] = rows.map((r) => ({address: r.sui_address, email: r.email})) as [typeof ana, typeof ben, typeof cy]
    w.sui.ledger.mint(ana.address, w.coins.SUI, 3_500_000_000n)
    w.sui.ledger.mint(ana.address, w.coins.CUSD, 12_500_000n)
    w.sui.ledger.mint(ana.address, w.coins.CUSD, 500_000n, {addressBalance: true})
    w.sui.ledger.mint(ben.address, w.coins.CONFIO, 7n)
    w.sui.ledger.mint(cy.address, w.coins.CUSD, 5_000_000n)
    w.sui.ledger.produceCheckpoint()
    pipeline = await keepPipelineCaughtUp(process.env.REDIS_URL as string, w.prefix)
  })

  after(async () => {
    await pipeline?.stop()
    await w?.close()
  })

  it('--user-email: a row per step and token, each with its source, checkpoint and chain reads', async () => {
    const calls = w.sui.faults.calls('GetBalance') + w.sui.faults.calls('ListBalances')
    const result = await runCli(['test-balance', '--user-email', ana.email.toUpperCase()], {env: w.env})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, new RegExp(`^Account \\d+ \\(${ana.email.replaceAll('.', '\\.')}, ${ana.address}\\)$`, 'm'))
    const rows = tableRows(result.stdout)
    assert.deepEqual(
      rows.map((r) => `${r[0]} ${r[1]}`),
      STEPS.flatMap((step) => TOKENS.map((token) => `${step} ${token}`)),
    )
    const height = w.sui.ledger.checkpointHeight.toString()
    const row = (step: string, token: string) => rows.find((r) => r[0] === step && r[1] === token) as string[]
    // STEP TOKEN AMOUNT BASE-UNITS SOURCE CHECKPOINT CHAIN-READS MS
    assert.deepEqual(row('cached', 'SUI').slice(0, 7), ['cached', 'SUI', '3.5', '3500000000', 'chain', height, '1'])
    assert.deepEqual(row('cached', 'CUSD').slice(0, 7), ['cached', 'CUSD', '13', '13000000', 'chain', height, '1'])
    assert.deepEqual(row('critical', 'CUSD').slice(2, 7), ['13', '13000000', 'chain', height, '1'])
    assert.deepEqual(row('stale-then-read', 'CUSD').slice(2, 7), ['13', '13000000', 'chain', height, '1'])
    assert.deepEqual(row('forced-refresh', 'CONFIO').slice(2, 4), ['0', '0'])
    for (const token of TOKENS) {
      assert.equal(row('forced-refresh', token)[6], '1', `forced refresh of ${token} reads the chain`)
      assert.equal(row('all-balances', token)[6], '1', 'one ListBalances for every token')
      assert.match(row('all-balances', token)[7] ?? '', /^\d+\.\d$/)
    }
    // Per token: cached, forced, critical and stale-then-read each one GetBalance; one ListBalances.
    assert.equal(w.sui.faults.calls('GetBalance') + w.sui.faults.calls('ListBalances') - calls, TOKENS.length * 4 + 1)
  })

  it('--user-email --json: the steps, amounts as strings equal to the chain; a second run reads Redis', async () => {
    const run = async () => {
      const result = await runCli(['test-balance', '--user-email', ben.email, '--json'], {env: w.env})
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, '')
      return jsonOf<{account: {id: string; email: string; address: string}; tokens: string[]; rows: StepRow[]}>(result)
    }
    const json = await run()
    assert.deepEqual([json.account.email, json.account.address, json.tokens], [ben.email, ben.address, TOKENS])
    assert.deepEqual(json.rows.map((r) => `${r.step} ${r.token}`), STEPS.flatMap((step) => TOKENS.map((token) => `${step} ${token}`)))
    const coinTypes: Record<string, string> = w.coins
    for (const row of json.rows) {
      const onChain = w.sui.ledger.balance(ben.address, coinTypes[row.token] as string)
      assert.equal(row.amount, (onChain.coinBalance + onChain.addressBalance).toString(), `${row.step} ${row.token}`)
      assert.deepEqual([row.pending, row.available, row.isStale, row.checkpoint], ['0', row.amount, false, w.sui.ledger.checkpointHeight.toString()])
      assert.ok(typeof row.ms === 'number' && row.ms > 0)
    }
    assert.equal(json.rows.find((r) => r.step === 'cached' && r.token === 'CONFIO')?.amount, '7')
    const sources = (rows: StepRow[], step: string) => rows.filter((r) => r.step === step).map((r) => `${r.source}/${r.chainReads}`)
    assert.deepEqual(sources(json.rows, 'cached'), TOKENS.map(() => 'chain/1'))
    for (const step of ['critical', 'stale-then-read']) assert.deepEqual(sources(json.rows, step), TOKENS.map(() => 'chain/1'), step)
    // A new process: its memory is empty, Redis holds what the first run left.
    const again = await run()
    assert.deepEqual(sources(again.rows, 'cached'), TOKENS.map(() => 'redis/0'))
    assert.deepEqual(again.rows.map((r) => r.amount), json.rows.map((r) => r.amount))
  })

  it('--user-email: pending and available when an in-flight send is recorded', async () => {
    const chain = openChainReader({...CHAIN_OPTION_DEFAULTS, url: w.sui.url, network: 'localnet'})
    const tokens = new TokenRegistry([{symbol: 'CUSD', coinType: w.coins.CUSD, decimals: 6}])
    const opened = await openBalanceService({databaseUrl: process.env.DATABASE_URL as string, redisUrl: process.env.REDIS_URL as string, redisPrefix: w.prefix, chain, tokens, logger: createLogger({level: 'silent', scrubber: new SecretScrubber()})})
    try {
      await opened.service.addPending(cy.email, 'CUSD', 2_000_000n, 'test-balance-pending-digest')
    } finally {
      await opened.close()
      chain.close()
    }
    const result = await runCli(['test-balance', '--user-email', cy.email], {env: w.env})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^STEP +TOKEN +AMOUNT +BASE UNITS +PENDING \/ AVAILABLE +SOURCE +CHECKPOINT +CHAIN READS +MS$/m)
    for (const step of STEPS) assert.match(result.stdout, new RegExp(`^${step} +CUSD +5 +5000000 +2 / 3 +\\w+`, 'm'), step)
    assert.match(result.stdout, /^cached +SUI +0 +0 +chain /m, 'no pending: the column is empty')
  })

  it('an unknown email is one line and exit 2', async () => {
    const result = await runCli(['test-balance', '--user-email', 'nobody@example.com'], {env: w.env})
    assert.equal(result.code, 2)
    assert.match(oneLineError(result), /^Error: no active account has the email "nobody@example\.com"; see confio accounts list/)
    const notEmail = await runCli(['test-balance', '--user-email', '42'], {env: w.env})
    assert.equal(notEmail.code, 2)
    assert.match(oneLineError(notEmail), /^Error: --user-email "42" is not an email address/)
  })

  it('needs exactly one of --user-email and --benchmark; --iterations only with --benchmark', async () => {
    for (const args of [[], ['--user-email', ana.email, '--benchmark'], ['--user-email', ana.email, '--iterations', '5']]) {
      const result = await runCli(['test-balance', ...args], {env: w.env})
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, /^Error: /, args.join(' '))
    }
  })

  it('--benchmark --json: every level and the floor, each read served by the level measured', async () => {
    const result = await runCli(['test-balance', '--benchmark', '--accounts', '3', '--iterations', '60', '--json'], {env: w.env})
    assert.equal(result.code, 0, result.stderr)
    const json = jsonOf<BenchmarkJson>(result)
    assert.deepEqual([json.accounts, json.balances, json.chainIterations, json.mismatches], [3, 3 * TOKENS.length, 50, 0])
    for (const level of LEVELS) {
      const f = json.levels[level]
      for (const field of ['minMs', 'p50Ms', 'p95Ms', 'p99Ms', 'perSecond'] as const) assert.ok(Number.isFinite(f[field]) && f[field] > 0, `${level}.${field} = ${f[field]}`)
      assert.ok(f.minMs <= f.p50Ms && f.p50Ms <= f.p95Ms && f.p95Ms <= f.p99Ms, `${level}: ${JSON.stringify(f)}`)
      assert.deepEqual([f.mismatches, f.sources], [0, {[level]: level === 'chain' ? 50 : 60}])
    }
    const floor = json.floor.redisGet
    assert.ok(floor.reads === 60 && floor.minMs > 0 && floor.p50Ms <= floor.p99Ms, JSON.stringify(floor))
    assert.ok(json.speedups.memory > json.speedups.postgres && json.speedups.postgres > 1, JSON.stringify(json.speedups))
    // Progress on stderr (not a terminal: a line per level), nothing but the result on stdout.
    for (const stage of [...LEVELS, 'redis GET']) assert.match(result.stderr, new RegExp(`^${stage}: \\d+ reads, p50 .+, p99 .+$`, 'm'))
  })

  it('--benchmark: a table with a row per level and the floor', async () => {
    const result = await runCli(['test-balance', '--benchmark', '--accounts', '2', '--iterations', '20'], {env: w.env})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^2 accounts x 4 tokens \(CUSD, CONFIO, USDC, SUI\) = 8 balances; 20 reads per level/m)
    for (const level of ['memory', 'redis', 'postgres', 'chain', 'redis GET \\(floor\\)']) {
      assert.match(result.stdout, new RegExp(`^${level} +20 +[\\d.]+ [µm]s +[\\d.]+ [µm]s`, 'm'), level)
    }
  })

  it('--benchmark with no accounts says how to add some, exit 2', async () => {
    const url = await createScratchDatabase('test_balance_empty')
    const db = createDatabase({url})
    try {
      await migrateLatest(db)
      const result = await runCli(['test-balance', '--benchmark'], {env: {...w.env, DATABASE_URL: url}})
      assert.equal(result.code, 2)
      assert.match(oneLineError(result), /^Error: there are no accounts to read balances of; add some with confio accounts import FILE .* or confio accounts add/)
    } finally {
      await db.destroy()
      await dropDatabase(new URL(url).pathname.slice(1))
    }
  })
})
