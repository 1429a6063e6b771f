import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {renderBalanceBenchmark} from '../cli/render/balance-benchmark-screen.ts'
import {renderBalanceSteps} from '../cli/render/balance-steps-screen.ts'
import {BENCHMARK_STEPS, benchmarkProgress} from '../cli/render/benchmark-progress.ts'
import {withSteps} from '../cli/step-list.ts'
import {type BalanceBenchmarkResult, type BalanceStepsResult, benchmarkBalanceLevels, CHAIN_READ_LIMIT, timeBalanceSteps} from '../src/balances/balance-benchmark.ts'
import {UsageError} from '../src/errors.ts'

const DEFAULT_ITERATIONS = 2_000
const DEFAULT_ACCOUNTS = 100

export type TestBalanceResult = BalanceStepsResult | BalanceBenchmarkResult

export default class TestBalance extends ConfioCommand<typeof TestBalance> {
  static override summary = "Time every balance read path on one user's account, or benchmark reads served by each cache level."
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    "With --user-email, reads that account's balance of every registered token five ways, each timed: a plain read (from the nearest level that holds it), a forced refresh (the chain), a critical verification (the chain, no cache in between), a mark-stale followed by a read (both timed), and all balances from one ListBalances. Each row shows where the value came from (and, when it is stale, why: e.g. pipeline_behind, a cached value while the pipeline is behind the chain), its checkpoint and the chain reads the step made. The account's balances end up refreshed from the chain, as any read of a stale balance would leave them.",
    'With --benchmark, reads the balances of the first --accounts accounts (every registered token) one at a time through each level in turn: memory, Redis (memory off), PostgreSQL (memory and Redis off) and the chain; each Redis-level read is followed by a bare Redis GET of the same key on the same connection, the floor beneath it. For each: min, p50, p95 and p99 in ms, reads per second, and the speedup over the chain. Every timed read is checked to come from the level measured; any that did not is counted as a mismatch.',
    `The chain is rate-limited (public fullnodes allow about 100 requests per 30 s), so the chain level makes at most ${CHAIN_READ_LIMIT} timed reads, each after a markStale of that balance so that it is a true miss; balances without a trusted row first get one from one ListBalances per account. Progress goes to stderr; with --json, stdout has only the result.`,
  ].join('\n\n')
  static override examples = [
    {description: "Time each read path on one user's balances.", command: '<%= config.bin %> test-balance --user-email ana@example.com'},
    {description: 'The same, amounts as strings in base units.', command: '<%= config.bin %> test-balance --user-email ana@example.com --json'},
    {description: 'Benchmark each cache level over the first 100 accounts, 2,000 reads per level.', command: '<%= config.bin %> test-balance --benchmark'},
    {description: 'A longer run over more accounts, as JSON.', command: '<%= config.bin %> test-balance --benchmark --accounts 1000 --iterations 10000 --json'},
  ]
  static override flags = {
    'user-email': Flags.string({summary: 'Email of the account whose balances to read.', exactlyOne: ['user-email', 'benchmark']}),
    benchmark: Flags.boolean({summary: 'Benchmark reads served by each level over many accounts.', exactlyOne: ['user-email', 'benchmark']}),
    // No oclif defaults: a flag with a default counts as given, and dependsOn would then refuse --user-email.
    iterations: Flags.integer({min: 1, max: 1_000_000, dependsOn: ['benchmark'], summary: `Timed reads per level (the chain: at most ${CHAIN_READ_LIMIT}); default ${DEFAULT_ITERATIONS}.`}),
    accounts: Flags.integer({min: 1, max: 100_000, dependsOn: ['benchmark'], summary: `Accounts whose balances are read (the first by id); default ${DEFAULT_ACCOUNTS}.`}),
  }

  async run(): Promise<TestBalanceResult> {
    const email = this.flags['user-email']
    if (email !== undefined) {
      const result = await this.steps(email)
      if (!this.jsonEnabled()) this.log(renderBalanceSteps(result, this.amounts()))
      return result
    }
    const result = await this.benchmark()
    if (!this.jsonEnabled()) this.log(renderBalanceBenchmark(result))
    return result
  }

  private async steps(rawEmail: string): Promise<BalanceStepsResult> {
    // Stored lower case (accounts add); without an @ the service would take it for an id or address.
    const email = rawEmail.trim().toLowerCase()
    if (!email.includes('@')) throw new UsageError(`--user-email ${JSON.stringify(rawEmail)} is not an email address`, {remedy: 'see confio accounts list'})
    const service = await this.balances()
    try {
      await service.account(email)
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      throw new UsageError(`no active account has the email ${JSON.stringify(email)}`, {remedy: 'see confio accounts list, or add it with confio accounts add'})
    }
    return timeBalanceSteps(service, email, this.settings.tokens.list())
  }

  private async benchmark(): Promise<BalanceBenchmarkResult> {
    const options = {
      service: await this.balances(),
      db: await this.db(),
      redis: await this.redis(),
      redisPrefix: this.settings.redisPrefix,
      tokens: this.settings.tokens.list(),
      accounts: this.flags.accounts ?? DEFAULT_ACCOUNTS,
      iterations: this.flags.iterations ?? DEFAULT_ITERATIONS,
      signal: this.stopSignal,
    }
    const mode = this.progressMode()
    return withSteps(mode, BENCHMARK_STEPS, (steps) => benchmarkBalanceLevels({...options, onProgress: benchmarkProgress(mode, steps)}))
  }
}
