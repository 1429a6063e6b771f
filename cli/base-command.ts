// Every confio command extends this. Like heroku's base command it gives each command its clients
// (opened on first use, closed in one place), and like Salesforce's SfCommand it turns every error
// into one line with a remedy and an exit code: 0 ok, 1 runtime failure, 2 usage or config.
// Under --json the error is {"error": {code, message, remedy, exitCode}}, plus `details` when the
// error carries structured data (src/errors.ts), beside the command's result when the command
// failed after it had one (failWithResult). Every JSON document goes out through logJson.
import {createInterface} from 'node:readline/promises'
import {Command, Errors, Flags, type Interfaces, ux} from '@oclif/core'
import type {Redis} from 'ioredis'
import {BalanceService} from '../src/balances/balance-service.ts'
import {RedisBalanceStore} from '../src/balances/redis-balance-store.ts'
import {type ChainOptions, type ChainReader, chainMetrics, openChainReader} from '../src/chain/index.ts'
import {chainOptionsOf} from '../src/config/chain-options.ts'
import {type ConfioConfig, loadConfig} from '../src/config/config.ts'
import {LOG_LEVELS} from '../src/config/settings.ts'
import {translateError} from '../src/error-translation.ts'
import {ConfigError, ConfioError, EXIT_RUNTIME, EXIT_USAGE, isStopOf, messageOf, RuntimeFailure, UsageError} from '../src/errors.ts'
import {createLogger, type Logger} from '../src/logging/logger.ts'
import type {QueueChoice, QueueKind, QueueSide} from '../src/queue/queue-base.ts'
import {SecretScrubber} from '../src/secrets.ts'
import {openDatabase, openRedis} from '../src/store/connections.ts'
import type {Database} from '../src/store/database.ts'
import type {ConnectionKind} from '../src/store/session-settings.ts'
import {registerChainMetrics} from '../src/metrics/chain-metric-families.ts'
import type {MetricsServer} from '../src/metrics/metrics-server.ts'
import {postgresAnswers, redisAnswers} from '../src/metrics/readiness-checks.ts'
import {AmountFormatter} from '../src/tokens/amount-formatter.ts'
import {type ProgressMode, progressMode} from './progress-mode.ts'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof ConfioCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** Flags that override a setting: every command's, and --metrics-port of the long-running ones. */
const SETTING_FLAGS = {'log-level': 'LOG_LEVEL', 'database-url': 'DATABASE_URL', 'redis-url': 'REDIS_URL', 'grpc-url': 'SUI_GRPC_URL', 'metrics-port': 'METRICS_PORT'} as const

/** How long a graceful stop may take before the process gives up on the work in hand. */
export const STOP_GRACE_MS = 10_000
/** What a worker's job loops have of that to finish their jobs: the last second is for closing up. */
export const WORKER_STOP_GRACE_MS = STOP_GRACE_MS - 1_000

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const

/** A signal that comes once the command has finished: there is nothing left to stop. */
function exitAsDone(): void {
  process.exit()
}

/** What `--json` prints for a result of type T: bigints become strings (logJson), the rest as it is. */
export type JsonOutput<T> = T extends bigint
  ? string
  : T extends ReadonlyArray<infer Item>
    ? JsonOutput<Item>[]
    : T extends object
      ? {[K in keyof T]: JsonOutput<T[K]>}
      : T

export abstract class ConfioCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    'log-level': Flags.option({options: LOG_LEVELS, helpGroup: 'GLOBAL', summary: 'Log level (LOG_LEVEL).'})(),
    'database-url': Flags.string({helpGroup: 'GLOBAL', summary: 'PostgreSQL URL (DATABASE_URL).'}),
    'redis-url': Flags.string({helpGroup: 'GLOBAL', summary: 'Redis URL (REDIS_URL).'}),
    'grpc-url': Flags.string({helpGroup: 'GLOBAL', summary: 'Sui gRPC endpoint (SUI_GRPC_URL).'}),
  }

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  /** The validated configuration (oclif's own `this.config` is the CLI's package config). */
  protected settings!: ConfioConfig
  protected logger!: Logger
  private rootLogger!: Logger
  /** Aborted on SIGINT/SIGTERM: long-running work finishes the unit in hand and returns. */
  private readonly stopController = new AbortController()
  protected readonly stopSignal: AbortSignal = this.stopController.signal
  private scrubber = new SecretScrubber()
  /** One pool per connection kind (`confio run` has the poller's and the worker's). */
  private readonly databases = new Map<ConnectionKind, Promise<Database>>()
  private redisClient: Redis | undefined
  private readonly queues: QueueSide[] = []
  private chainReader: ChainReader | undefined
  private metricsServer: MetricsServer | undefined
  private balanceStore: RedisBalanceStore | undefined
  private balanceService: BalanceService | undefined
  private amountFormatter: AmountFormatter | undefined
  /** The result a failure came after (failWithResult): --json prints it with the error beside it. */
  private resultBeforeFailure: object | undefined
  /** One JSON document per line, each compact: a command that prints many (status --watch's frames) sets it. */
  protected jsonPerLine = false
  private readonly onSignal = (signal: NodeJS.Signals) => this.beginStop(signal)

  override async init(): Promise<void> {
    await super.init()
    const {flags, args} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof ConfioCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    this.settings = loadConfig({flags: this.settingFlags()})
    this.scrubber = this.settings.scrubber
    this.rootLogger = createLogger({level: this.settings.logLevel, scrubber: this.scrubber})
    this.logger = this.rootLogger.child({component: this.id ?? 'confio'})
    for (const signal of STOP_SIGNALS) process.on(signal, this.onSignal)
  }

  /**
   * PostgreSQL, opened and checked on first use (one connection within PG_CONNECT_TIMEOUT): a pool
   * per connection kind (default `command`), whose statement, lock and idle-in-transaction timeouts
   * are the kind's, or the PG_* settings.
   * `poolMax` (default 10) is taken from the kind's first call: a command running N transactions
   * at once asks for N + 1.
   */
  protected async db(options: {kind?: ConnectionKind; poolMax?: number} = {}): Promise<Database> {
    const kind = options.kind ?? 'command'
    let opened = this.databases.get(kind)
    if (!opened) {
      opened = openDatabase(this.settings.databaseUrl, {kind, timeouts: this.settings.databaseTimeouts, connectTimeoutMs: this.settings.databaseConnectTimeoutMs, poolMax: options.poolMax})
      this.databases.set(kind, opened)
      // A failed open is not kept: the next call tries again (migrate --create opens, creates, opens).
      opened.catch(() => this.databases.delete(kind))
    }
    return opened
  }

  /** Redis, opened and checked on first use; every command has REDIS_COMMAND_TIMEOUT. */
  protected async redis(): Promise<Redis> {
    this.redisClient ??= await openRedis(this.settings.redisUrl, {commandTimeoutMs: this.settings.redisCommandTimeoutMs})
    return this.redisClient
  }

  /**
   * A queue side (TransactionQueue or BeatQueue to create jobs, TransactionConsumer or BeatConsumer
   * to take them) on REDIS_URL under REDIS_PREFIX, Redis going away and coming back logged on the
   * command's logger; closed when the command finishes. Redis is checked first, so one that does not
   * answer is one line naming REDIS_URL (the queue's own client is bee-queue's, which would wait).
   */
  protected async queue<Q extends QueueSide>(kind: QueueKind<Q>, choice: QueueChoice = {}): Promise<Q> {
    await this.redis()
    const {quiet, ...options} = choice
    const queue = new kind({redisUrl: this.settings.redisUrl, redisPrefix: this.settings.redisPrefix, ...(quiet ? {} : {logger: this.logger}), ...options})
    this.queues.push(queue)
    return queue
  }

  /** The Redis level of the balance cache, at the cache generation read now (opened on first use). */
  protected async balanceCache(): Promise<RedisBalanceStore> {
    this.balanceStore ??= await RedisBalanceStore.open(await this.redis(), this.settings.redisPrefix, await this.db())
    return this.balanceStore
  }

  /** The balance cache over this command's PostgreSQL, Redis and chain (opened on first use). */
  protected async balances(options: {chainTimeoutMs?: number} = {}): Promise<BalanceService> {
    this.balanceService ??= new BalanceService({
      db: await this.db(),
      redis: await this.balanceCache(),
      chain: this.chain(),
      tokens: this.settings.tokens,
      logger: this.rootLogger.child({component: 'balances'}),
      verifyTimeoutMs: this.settings.balanceVerifyTimeoutMs,
      memoryMaxAgeMs: this.settings.balanceMemoryMaxAgeMs,
      ...options,
    })
    return this.balanceService
  }

  /**
   * The Sui chain layer; nothing is sent until the first call. `overrides` are taken from the first
   * call: test-connection asks for single attempts.
   */
  protected chain(overrides: Partial<Pick<ChainOptions, 'maxAttempts'>> = {}): ChainReader {
    if (!this.chainReader) {
      this.chainReader = openChainReader(chainOptionsOf(this.settings.sui, overrides), {logger: this.rootLogger.child({component: 'chain'})})
    }
    return this.chainReader
  }

  /**
   * The metrics server of a long-running process (`process`: poll, worker, beat, run), when
   * METRICS_PORT (or --metrics-port) is set; closed when the command finishes. Ready when
   * PostgreSQL (the first pool opened) and Redis answer. The chain's metrics are the process's
   * (every chain reader it opens counts into chainMetrics). Open it after the database: a port that
   * is taken fails the start.
   */
  protected async serveMetrics(process: string): Promise<MetricsServer | undefined> {
    const port = this.settings.metricsPort
    if (port === undefined) return undefined
    if (this.metricsServer) return this.metricsServer
    const {MetricsServer} = await import('../src/metrics/metrics-server.ts')
    const host = this.settings.metricsHost
    const server = await MetricsServer.open({port, host, process, logger: this.logger, scrub: (text) => this.scrubber.scrub(text)}).catch((error: unknown) => {
      throw new UsageError(`cannot serve metrics on ${host}:${port}: ${messageOf(error)}`, {remedy: 'choose a free port with --metrics-port or METRICS_PORT, or stop the process that has it'})
    })
    this.metricsServer = server
    server.ready('postgres', postgresAnswers(() => [...this.databases.values()][0] ?? this.db()))
    server.ready('redis', redisAnswers(() => this.redis()))
    registerChainMetrics(server.registry, () => chainMetrics.snapshot())
    return server
  }

  /** Token amounts as the screens show them (src/tokens/amount-formatter.ts); the chain is asked only for a coin type not registered. */
  protected amounts(): AmountFormatter {
    this.amountFormatter ??= new AmountFormatter(this.settings.tokens, (coinType) => this.chain().coinInfo(coinType))
    return this.amountFormatter
  }

  /** How progress is shown: live on a terminal, plain lines elsewhere and under --json (cli/progress-mode.ts). */
  protected progressMode(): ProgressMode {
    return progressMode({json: this.jsonEnabled()})
  }

  /**
   * Ends the command with `failure` after it has a result (drawn already, unless --json): under
   * --json one document, the result with the error beside it, `{...result, error}`.
   */
  protected failWithResult(result: object, failure: ConfioError): never {
    this.resultBeforeFailure = result
    throw failure
  }

  /**
   * Asks a yes/no question on the terminal; `yes` (a --yes or --create flag) answers it. Without a
   * terminal there is no one to ask: that is the usage error `unattended`, naming the flag.
   */
  protected async confirm(question: string, answer: {yes: boolean | undefined; flag: string; unattended: string; declined: string}): Promise<void> {
    if (answer.yes) return
    if (!process.stdin.isTTY) throw new UsageError(answer.unattended, {remedy: `pass ${answer.flag} when running without a terminal`})
    const prompt = createInterface({input: process.stdin, output: process.stderr})
    const reply = await prompt.question(`${question} [y/N] `).finally(() => prompt.close())
    if (!/^y(es)?$/i.test(reply.trim())) throw new UsageError(answer.declined, {remedy: `answer y, or pass ${answer.flag}`})
  }

  // `unknown`: a rejection may carry anything, e.g. the stop signal's reason (a signal's name).
  override async catch(thrown: unknown): Promise<never> {
    if (thrown instanceof Errors.ExitError) {
      process.exitCode = thrown.oclif.exit
      throw thrown
    }
    const error: Error & {oclif?: {exit?: number}} = translateError(thrown) ?? this.interruption(thrown) ?? (thrown instanceof Error ? thrown : new Error(messageOf(thrown), {cause: thrown}))
    const exitCode = error instanceof ConfioError ? error.exitCode : (error.oclif?.exit ?? EXIT_RUNTIME)
    const code = error instanceof ConfioError ? error.code : exitCode === EXIT_USAGE ? 'USAGE' : 'RUNTIME'
    const message = error instanceof ConfioError ? error.message : oneLine(error)
    // Every error names a next step: the one its thrower gave, or the usual one for its kind.
    const remedy = (error instanceof ConfioError ? error.remedy : undefined) ?? this.usualRemedy(error, exitCode)
    if (this.jsonEnabled()) {
      const details = error instanceof ConfioError ? error.details : undefined
      this.logJson({...this.resultBeforeFailure, error: {code, message, remedy, exitCode, ...(details ? {details} : {})}})
    } else if (error instanceof ConfioError) {
      // A ConfioError's message was written to stand alone; its remedy, if any, follows on the line.
      this.logToStderr(`Error: ${error.oneLine()}`)
    } else if (exitCode === EXIT_USAGE) {
      this.logToStderr(`Error: ${message}\nSee: ${remedy}`)
    } else {
      this.logToStderr(`Error: ${message}; ${remedy}`)
    }
    if (this.debugEnabled() && thrown instanceof Error && thrown.stack) this.logToStderr(thrown.stack)
    // What a signal after finally() ends the process with (exitAsDone).
    process.exitCode = exitCode
    throw new Errors.ExitError(exitCode)
  }

  /**
   * The stop itself, surfacing as a failure (isStopOf): the task was cut short. One line saying so
   * (exit 1), where the command has no more to say of what it had done.
   */
  private interruption(thrown: unknown): RuntimeFailure | undefined {
    if (!isStopOf(this.stopSignal, thrown)) return undefined
    return new RuntimeFailure(`stopped by ${messageOf(this.stopSignal.reason)} before it finished`, {code: 'INTERRUPTED', remedy: `run ${this.commandLine()} again to finish`, cause: thrown})
  }

  override async finally(error: Error | undefined): Promise<void> {
    // A consumer's worker has waited for its jobs already (WORKER_STOP_GRACE_MS); closing one whose
    // worker never ran takes at most what is left of the grace.
    await this.metricsServer?.close()
    await Promise.allSettled(this.queues.splice(0).map((queue) => queue.close(queue.isWorker ? STOP_GRACE_MS - WORKER_STOP_GRACE_MS : undefined)))
    this.chainReader?.close()
    const databases = [...this.databases.values()].map(async (opened) => (await opened).destroy())
    this.databases.clear()
    await Promise.allSettled([...databases, this.redisClient?.quit()])
    this.redisClient = undefined
    this.chainReader = undefined
    this.balanceStore = undefined
    this.balanceService = undefined
    await super.finally(error)
    // The work is done and its result about to be printed: a signal from now on ends the process
    // with the command's own exit code, where Node's default would end it by the signal (a failure
    // to systemd and to a script, after a run that succeeded).
    for (const signal of STOP_SIGNALS) {
      process.off(signal, this.onSignal)
      if (!process.listeners(signal).includes(exitAsDone)) process.on(signal, exitAsDone)
    }
  }

  override log(message = '', ...args: unknown[]): void {
    super.log(this.scrubber.scrub(message), ...args)
  }

  override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(this.scrubber.scrub(message), ...args)
  }

  override logJson(json: unknown): void {
    // bigint has no JSON form; amounts travel as strings.
    ux.stdout(this.scrubber.scrub(JSON.stringify(json, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), this.jsonPerLine ? undefined : 2)))
  }

  /** `confio accounts import`: the command as an operator types it. */
  private commandLine(): string {
    return `${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')}`.trim()
  }

  private usualRemedy(error: Error, exitCode: number): string {
    const command = this.commandLine()
    if (error instanceof ConfigError) return `correct ${error.setting.replace(/ \(.*\)$/, '')} (flag, environment, .env or confio.config.json) and run again`
    return exitCode === EXIT_USAGE ? `${command} --help` : `run ${command} --log-level debug for the cause in full`
  }

  private settingFlags(): Record<string, string | undefined> {
    const flags = this.flags as Record<string, unknown>
    return Object.fromEntries(Object.entries(SETTING_FLAGS).map(([flag, setting]) => [setting, flags[flag] === undefined ? undefined : String(flags[flag])]))
  }

  private debugEnabled(): boolean {
    const level = (this.flags as {'log-level'?: string} | undefined)?.['log-level'] ?? this.settings?.logLevel ?? process.env.LOG_LEVEL
    return level === 'debug' || level === 'trace' || this.argv.join(' ').includes('--log-level debug') || this.argv.includes('--log-level=debug')
  }

  private beginStop(signal: NodeJS.Signals): void {
    if (this.stopSignal.aborted) return
    this.logger.info({signal}, 'stopping: finishing the work in hand')
    this.stopController.abort(signal)
    setTimeout(() => {
      this.logger.error({graceMs: STOP_GRACE_MS}, 'did not stop in time; exiting')
      process.exit(EXIT_RUNTIME)
    }, STOP_GRACE_MS).unref()
  }
}

/**
 * oclif's parse errors span several lines ("The following error occurred:", the error, a hint, an
 * argument table); an operator gets one sentence.
 */
function oneLine(error: Error): string {
  const missingArgs = (error as {args?: unknown}).args
  if (/^Missing \d+ required args?/.test(error.message) && Array.isArray(missingArgs)) {
    const missing = (missingArgs as {name: string; description?: string}[]).map((arg) => (arg.description ? `${arg.name.toUpperCase()}, the ${lowerFirst(arg.description.replace(/\.$/, ''))}` : arg.name.toUpperCase()))
    return `missing ${missing.length === 1 ? 'the argument' : 'the arguments'} ${missing.join(' and ')}`
  }
  const flagParse = /^Parsing (--[\w-]+)\s*\n\s*([^\n]*)/.exec(error.message)
  if (flagParse) return `${flagParse[1]}: ${flagParse[2]}`
  const lines = error.message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^The following errors? occurred:$/.test(l) && !/^See more help with/.test(l))
  return lines.join('; ') || error.message
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}
