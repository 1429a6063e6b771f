// One typed, frozen config object for the whole process, built once by the base command.
// Precedence, highest first: command flags, environment, ./.env, the JSON config file, defaults.
// Everything is validated here, before anything is connected to: a bad value is a ConfigError
// (exit code 2) that names the setting, where it came from, the value (secrets masked) and what
// was expected.
import {ConfigError} from '../errors.ts'
import {maskSecret, redactUrl, SecretScrubber, urlPassword} from '../secrets.ts'
import {normalizeCoinType, SUI_COIN_TYPE} from '../sui/identifiers.ts'
import {SUI_DECIMALS} from '../tokens/amounts.ts'
import {type Token, TokenRegistry} from '../tokens/token-registry.ts'
import {type ConfigFile, readConfigFile, readDotEnv, type RawSettings} from './config-sources.ts'
import {SettingProblem} from './setting-kinds.ts'
import {type GrpcTransportKind, type LogLevel, type Network, type ReadingThreadChoice, type SettingDefinition, type SettingSource, SETTINGS} from './settings.ts'

export interface SuiSettings {
  readonly network: Network
  readonly grpcUrl: string
  readonly transport: GrpcTransportKind
  readonly token: string | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly deadlineMs: number
  readonly requestsPerSecond: number
  readonly maxConcurrency: number
  /** SUI_RETRY_MAX_DELAY: the cap of the backoff between two attempts after a transient failure. */
  readonly retryMaxDelayMs: number
  /** POLL_READING_THREAD: whether the poller reads checkpoints on a thread of its own. */
  readonly readingThread: ReadingThreadChoice
}

export interface Contracts {
  readonly cusd: string | undefined
  readonly confio: string | undefined
  readonly pay: string | undefined
  readonly p2pTrade: string | undefined
  /** Every monitored package id, the four above first, without duplicates. */
  readonly monitored: readonly string[]
}

/** The PG_* timeouts that are set; the others keep each connection kind's default (src/store/session-settings.ts). */
export interface DatabaseTimeouts {
  readonly statementTimeoutMs?: number
  readonly lockTimeoutMs?: number
  readonly idleInTransactionTimeoutMs?: number
}

/** `confio serve`: where it listens and the bearer token it requires. */
export interface ApiSettings {
  readonly host: string
  readonly port: number
  /** CONFIO_API_TOKEN (a secret); undefined: not set. */
  readonly token: string | undefined
}

/** Coin management (src/coins): what counts as dust, and how many coins make consolidation due. */
export interface CoinSettings {
  /** A decimal amount in each token's display units, e.g. "0.01". */
  readonly dustThreshold: string
  readonly maxCoins: number
}

/** Where webhooks go and the key that signs them (docs/webhooks.md). */
export interface WebhookSettings {
  readonly url: string
  readonly secret: string
  /** WEBHOOK_TIMEOUT: the deadline of one request. */
  readonly timeoutMs: number
  /** WEBHOOK_RETRY_DELAY: the wait before the first retry (the backoff's base). */
  readonly retryDelayMs: number
}

export interface ConfioConfig {
  readonly logLevel: LogLevel
  readonly databaseUrl: string
  readonly databaseTimeouts: DatabaseTimeouts
  /** PG_CONNECT_TIMEOUT: the deadline of opening each PostgreSQL connection. */
  readonly databaseConnectTimeoutMs: number
  readonly redisUrl: string
  readonly redisPrefix: string
  /** REDIS_COMMAND_TIMEOUT: the deadline of every Redis command of the balance cache. */
  readonly redisCommandTimeoutMs: number
  /** BALANCE_MEMORY_MAX_AGE: an entry of a process's memory level older than this is a miss. */
  readonly balanceMemoryMaxAgeMs: number
  /** PIPELINE_LAG_THRESHOLD: the poller's lag, or the oldest waiting transaction's age, past which cached balances are not trusted. */
  readonly pipelineLagThresholdMs: number
  /** METRICS_PORT: where a long-running process serves /metrics, /healthz and /readyz; undefined: it does not. */
  readonly metricsPort: number | undefined
  /** METRICS_HOST: the address the metrics server listens on. */
  readonly metricsHost: string
  readonly sui: SuiSettings
  readonly contracts: Contracts
  readonly tokens: TokenRegistry
  readonly signerPrivateKey: string | undefined
  readonly coins: CoinSettings
  readonly api: ApiSettings
  /** BALANCE_VERIFY_TIMEOUT: the deadline of a verifyCritical read, retries for a lagging node included. */
  readonly balanceVerifyTimeoutMs: number
  /** WEBHOOK_URL and WEBHOOK_SECRET; undefined when no URL is set (no webhook rows are written). */
  readonly webhooks: WebhookSettings | undefined
  readonly configFile: string | undefined
  /** Where each setting that has a value came from. */
  readonly sources: Readonly<Record<string, SettingSource>>
  /** Knows every secret above; the base command passes all output through it. */
  readonly scrubber: SecretScrubber
}

export interface ConfigInputs {
  /** Setting name -> value, from command flags. */
  readonly flags?: RawSettings
  readonly env?: RawSettings
  readonly cwd?: string
}

export function loadConfig(inputs: ConfigInputs = {}): ConfioConfig {
  const env = inputs.env ?? process.env
  const cwd = inputs.cwd ?? process.cwd()
  const dotEnv = readDotEnv(cwd)
  const file = readConfigFile(cwd, env.CONFIO_CONFIG ?? dotEnv.CONFIO_CONFIG)
  checkFileKeys(file.settings, file.path)
  checkFileStrings(file)
  const layers: [SettingSource, RawSettings][] = [
    ['flag', inputs.flags ?? {}],
    ['environment', env],
    ['.env', dotEnv],
    ['config file', file.settings],
  ]
  const {values, sources} = resolveSettings(layers)
  const scrubber = buildScrubber(values)
  const get = <T>(name: string): T => values.get(name) as T
  const contracts = buildContracts(get)

  return deepFreeze({
    logLevel: get<LogLevel>('LOG_LEVEL'),
    databaseUrl: get<string>('DATABASE_URL'),
    databaseTimeouts: buildDatabaseTimeouts(get),
    databaseConnectTimeoutMs: get<number>('PG_CONNECT_TIMEOUT'),
    redisUrl: get<string>('REDIS_URL'),
    redisPrefix: get<string>('REDIS_PREFIX'),
    redisCommandTimeoutMs: get<number>('REDIS_COMMAND_TIMEOUT'),
    balanceMemoryMaxAgeMs: get<number>('BALANCE_MEMORY_MAX_AGE'),
    pipelineLagThresholdMs: get<number>('PIPELINE_LAG_THRESHOLD'),
    metricsPort: get<number | undefined>('METRICS_PORT'),
    metricsHost: get<string>('METRICS_HOST'),
    sui: {
      network: get<Network>('SUI_NETWORK'),
      grpcUrl: get<string>('SUI_GRPC_URL'),
      transport: get<GrpcTransportKind>('SUI_GRPC_TRANSPORT'),
      token: get<string | undefined>('SUI_GRPC_TOKEN'),
      headers: get<Record<string, string> | undefined>('SUI_GRPC_HEADERS') ?? {},
      deadlineMs: get<number>('SUI_GRPC_DEADLINE_MS'),
      requestsPerSecond: get<number>('SUI_RPC_RPS'),
      maxConcurrency: get<number>('SUI_RPC_CONCURRENCY'),
      retryMaxDelayMs: get<number>('SUI_RETRY_MAX_DELAY'),
      readingThread: get<ReadingThreadChoice>('POLL_READING_THREAD'),
    },
    contracts,
    tokens: buildTokens(contracts, get<string | undefined>('USDC_COIN_TYPE'), file.tokens, file.path),
    signerPrivateKey: get<string | undefined>('SUI_PRIVATE_KEY'),
    coins: {dustThreshold: get<string>('COIN_DUST_THRESHOLD'), maxCoins: get<number>('COIN_MAX_COINS')},
    api: {host: get<string>('CONFIO_API_HOST'), port: get<number>('CONFIO_API_PORT'), token: get<string | undefined>('CONFIO_API_TOKEN')},
    balanceVerifyTimeoutMs: get<number>('BALANCE_VERIFY_TIMEOUT'),
    webhooks: buildWebhooks(get, sources),
    configFile: file.path,
    sources,
    scrubber,
  })
}

function resolveSettings(layers: [SettingSource, RawSettings][]) {
  const values = new Map<string, unknown>()
  const sources: Record<string, SettingSource> = {}
  for (const setting of SETTINGS) {
    const found = findRaw(setting, layers)
    const fallback = typeof setting.fallback === 'function' ? setting.fallback(values) : setting.fallback
    const raw = found?.raw ?? fallback
    if (raw === undefined) continue
    const source = found?.source ?? 'default'
    values.set(setting.name, parseSetting(setting, raw, found ? `${found.name} (from ${source})` : `${setting.name} (default)`))
    sources[setting.name] = source
  }
  return {values, sources}
}

function findRaw(setting: SettingDefinition, layers: [SettingSource, RawSettings][]) {
  for (const [source, layer] of layers) {
    for (const name of [setting.name, ...(setting.aliases ?? [])]) {
      const raw = layer[name]
      // An empty variable (FOO= in a unit file) means "not set", as shells and systemd treat it.
      if (raw !== undefined && raw.trim() !== '') return {source, name, raw: raw.trim()}
    }
  }
  return undefined
}

function parseSetting(setting: SettingDefinition, raw: string, label: string): unknown {
  try {
    return setting.parse(raw)
  } catch (error) {
    if (!(error instanceof SettingProblem)) throw error
    throw new ConfigError(label, `${JSON.stringify(displayValue(setting, raw))} is not valid; expected ${error.message}`)
  }
}

/** What may be shown of a bad value in an error: never a secret. */
function displayValue(setting: SettingDefinition, raw: string): string {
  if (setting.secret === 'value') return maskSecret(raw)
  if (setting.secret === 'url-password') return redactUrl(raw)
  // Only the header names: a malformed pair may have its value anywhere.
  if (setting.secret === 'header-values') return raw.split(/[\n,]/).map((pair) => `${pair.trim().split(/[:\s]/)[0]}: ***`).join(', ')
  return raw
}

function buildScrubber(values: ReadonlyMap<string, unknown>): SecretScrubber {
  const scrubber = new SecretScrubber()
  for (const setting of SETTINGS) {
    const value = values.get(setting.name)
    if (value === undefined) continue
    if (setting.secret === 'value') scrubber.add(value as string)
    if (setting.secret === 'url-password') scrubber.add(urlPassword(value as string))
    if (setting.secret === 'header-values') {
      for (const headerValue of Object.values(value as Record<string, string>)) {
        scrubber.add(headerValue)
        // "Bearer <key>": the key alone is the secret too.
        scrubber.add(headerValue.split(/\s+/).pop())
      }
    }
  }
  return scrubber
}

function buildDatabaseTimeouts(get: <T>(name: string) => T): DatabaseTimeouts {
  const named = {
    statementTimeoutMs: get<number | undefined>('PG_STATEMENT_TIMEOUT'),
    lockTimeoutMs: get<number | undefined>('PG_LOCK_TIMEOUT'),
    idleInTransactionTimeoutMs: get<number | undefined>('PG_IDLE_IN_TRANSACTION_TIMEOUT'),
  }
  return Object.fromEntries(Object.entries(named).filter(([, ms]) => ms !== undefined))
}

function buildWebhooks(get: <T>(name: string) => T, sources: Readonly<Record<string, SettingSource>>): WebhookSettings | undefined {
  const url = get<string | undefined>('WEBHOOK_URL')
  const secret = get<string | undefined>('WEBHOOK_SECRET')
  if (url === undefined) return undefined
  // Unsigned events would let anyone who finds the receiver's address credit an account.
  if (secret === undefined) throw new ConfigError(`WEBHOOK_URL (from ${sources.WEBHOOK_URL})`, 'is set but WEBHOOK_SECRET is not', {remedy: 'set WEBHOOK_SECRET to the key the receiver verifies signatures with'})
  return {url, secret, timeoutMs: get<number>('WEBHOOK_TIMEOUT'), retryDelayMs: get<number>('WEBHOOK_RETRY_DELAY')}
}

function buildContracts(get: <T>(name: string) => T): Contracts {
  const named = ['CUSD_ADDRESS', 'CONFIO_ADDRESS', 'PAY_ADDRESS', 'P2P_TRADE_ADDRESS'].map((name) => get<string | undefined>(name))
  const monitored = [...new Set([...named.filter((id): id is string => id !== undefined), ...get<string[]>('MONITORED_CONTRACTS')])]
  const [cusd, confio, pay, p2pTrade] = named
  return {cusd, confio, pay, p2pTrade, monitored}
}

function buildTokens(contracts: Contracts, usdcCoinType: string | undefined, fileTokens: Readonly<Record<string, unknown>>, filePath: string | undefined): TokenRegistry {
  const tokens = new Map<string, Token>()
  const add = (token: Token) => tokens.set(token.symbol, token)
  if (contracts.cusd) add({symbol: 'CUSD', coinType: normalizeCoinType(`${contracts.cusd}::cusd::CUSD`), decimals: 6})
  if (contracts.confio) add({symbol: 'CONFIO', coinType: normalizeCoinType(`${contracts.confio}::confio::CONFIO`), decimals: 9})
  if (usdcCoinType) add({symbol: 'USDC', coinType: usdcCoinType, decimals: 6})
  add({symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: SUI_DECIMALS})
  for (const [symbol, spec] of Object.entries(fileTokens)) add(parseFileToken(symbol, spec, filePath ?? 'the config file'))
  const seen = new Map<string, string>()
  for (const token of tokens.values()) {
    const other = seen.get(token.coinType)
    if (other) throw new ConfigError(`tokens.${token.symbol}`, `has the same coin type as ${other}`, {remedy: 'give each token its own coin type'})
    seen.set(token.coinType, token.symbol)
  }
  return new TokenRegistry([...tokens.values()])
}

function parseFileToken(symbol: string, spec: unknown, path: string): Token {
  const label = `tokens.${symbol} (in ${path})`
  if (!/^[A-Z][A-Z0-9_]{0,15}$/.test(symbol)) throw new ConfigError(label, 'symbol is not valid; expected 1 to 16 capital letters, digits or _')
  const {coinType, decimals} = (typeof spec === 'object' && spec !== null ? spec : {}) as {coinType?: unknown; decimals?: unknown}
  let normalized: string
  try {
    normalized = normalizeCoinType(String(coinType ?? ''))
  } catch {
    throw new ConfigError(`${label}.coinType`, `${JSON.stringify(coinType)} is not valid; expected a coin type like 0x2::sui::SUI`)
  }
  if (typeof decimals !== 'number' || !Number.isInteger(decimals) || decimals < 0 || decimals > 19) {
    throw new ConfigError(`${label}.decimals`, `${JSON.stringify(decimals)} is not valid; expected a whole number from 0 to 19`)
  }
  return {symbol, coinType: normalized, decimals}
}

const KNOWN_FILE_KEYS = new Set(SETTINGS.flatMap((s) => [s.name, ...(s.aliases ?? [])]))

function checkFileKeys(settings: RawSettings, path: string | undefined): void {
  for (const key of Object.keys(settings)) {
    if (!KNOWN_FILE_KEYS.has(key)) throw new ConfigError(key, `in ${path} is not a confio setting`, {remedy: 'see the configuration table in docs/configuration.md'})
  }
}

function checkFileStrings(file: ConfigFile): void {
  for (const setting of SETTINGS.filter((s) => s.stringOnly)) {
    for (const name of [setting.name, ...(setting.aliases ?? [])]) {
      const value = file.nonStrings.get(name)
      if (value === undefined) continue
      throw new ConfigError(`${name} (from config file)`, `${JSON.stringify(value)} in ${file.path} is a JSON ${typeof value}; expected a URL, as a string`, {
        remedy: 'write the whole URL in quotes, scheme and host included (e.g. "http://127.0.0.1:9123")',
      })
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}
