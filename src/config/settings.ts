// Every setting confio reads, in one table: its name (the environment variable, the .env key and
// the config-file key), what it means, its default and whether it is a secret. The README's
// configuration table is written from it (npm run docs; a test compares), docs/configuration.md's
// follows it by hand, and deploy/confio.env.example names every setting (a test checks).
import {
  parseAddress,
  parseAddressList,
  parseChoice,
  parseCoinType,
  parseDurationSetting,
  parseGrpcUrl,
  parseHeaders,
  parseHost,
  parseInteger,
  parsePrivateKey,
  parseUrl,
  SettingProblem,
} from './setting-kinds.ts'
import {formatDuration} from '../support/durations.ts'

/** The defaults of PG_CONNECT_TIMEOUT, REDIS_COMMAND_TIMEOUT, BALANCE_MEMORY_MAX_AGE and PIPELINE_LAG_THRESHOLD, for code that runs without a configuration (the library). */
export const PG_CONNECT_TIMEOUT_DEFAULT_MS = 5_000
export const REDIS_COMMAND_TIMEOUT_DEFAULT_MS = 1_000
export const BALANCE_MEMORY_MAX_AGE_DEFAULT_MS = 60_000
export const PIPELINE_LAG_THRESHOLD_DEFAULT_MS = 10_000
/** `confio serve`'s port when CONFIO_API_PORT and --port are not given. */
export const API_PORT_DEFAULT = 8470

export const NETWORKS = ['mainnet', 'testnet', 'devnet', 'localnet'] as const
export type Network = (typeof NETWORKS)[number]
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export const GRPC_TRANSPORTS = ['grpc', 'grpc-web'] as const
export type GrpcTransportKind = (typeof GRPC_TRANSPORTS)[number]
export const READING_THREAD_CHOICES = ['off', 'on'] as const
export type ReadingThreadChoice = (typeof READING_THREAD_CHOICES)[number]

/** Where a setting's value came from, highest precedence first. */
export type SettingSource = 'flag' | 'environment' | '.env' | 'config file' | 'default'

export interface SettingDefinition {
  readonly name: string
  readonly description: string
  /** Other names accepted for the same setting (checked after the main name, in each source). */
  readonly aliases?: readonly string[]
  /** A default, possibly derived from settings resolved before this one. */
  readonly fallback?: string | ((resolved: ReadonlyMap<string, unknown>) => string | undefined)
  /** Secrets are masked in errors and scrubbed from all output. */
  readonly secret?: 'value' | 'url-password' | 'header-values'
  /** Taken from the config file only as a JSON string: a URL written as a number (`9123`) is a slip, not an endpoint. */
  readonly stringOnly?: boolean
  readonly parse: (raw: string) => unknown
}

const grpcDefault = (resolved: ReadonlyMap<string, unknown>): string => {
  const network = resolved.get('SUI_NETWORK') as Network
  return network === 'localnet' ? 'http://127.0.0.1:9000' : `https://fullnode.${network}.sui.io:443`
}

// Circle's native USDC on Sui; other networks must name theirs.
const USDC_DEFAULTS: Partial<Record<Network, string>> = {
  mainnet: '0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC',
  testnet: '0xa1ec7fc00a6f40db9693ad1415d0c193ad3906494428cf252621037bd7117e29::usdc::USDC',
}

export const SETTINGS: readonly SettingDefinition[] = [
  {name: 'LOG_LEVEL', description: 'trace, debug, info, warn, error, fatal or silent', fallback: 'info', parse: (raw) => parseChoice(raw, LOG_LEVELS)},
  {
    name: 'DATABASE_URL',
    description: 'PostgreSQL connection URL',
    fallback: 'postgres://127.0.0.1:5432/confio',
    secret: 'url-password',
    stringOnly: true,
    parse: (raw) => parseUrl(raw, ['postgres', 'postgresql']),
  },
  {
    name: 'PG_CONNECT_TIMEOUT',
    description: 'longest confio waits for PostgreSQL to accept a new connection (TCP, TLS and authentication); a command that cannot connect then says in one line what is at that address',
    fallback: formatDuration(PG_CONNECT_TIMEOUT_DEFAULT_MS),
    parse: (raw) => parseDurationSetting(raw, 100, 60_000),
  },
  // The three PostgreSQL session timeouts: unset, each process kind has its own default
  // (src/store/session-settings.ts, where each is justified); set, they apply to all of this
  // process's connections except the lease's.
  {
    name: 'PG_STATEMENT_TIMEOUT',
    description: 'longest one PostgreSQL statement may run, lock waits included; default: poll 60s, worker 30s, migrate 1h, serve 10s, other commands 5m',
    parse: (raw) => parseDurationSetting(raw, 100, 86_400_000),
  },
  {
    name: 'PG_LOCK_TIMEOUT',
    description: 'longest one PostgreSQL statement may wait for a lock another session holds; default: poll 10s, worker 5s, migrate 10s, serve 5s, other commands 30s',
    parse: (raw) => parseDurationSetting(raw, 100, 3_600_000),
  },
  {
    name: 'PG_IDLE_IN_TRANSACTION_TIMEOUT',
    description: 'PostgreSQL ends a session idle this long inside a transaction; default 60s',
    parse: (raw) => parseDurationSetting(raw, 1_000, 86_400_000),
  },
  {name: 'REDIS_URL', description: 'Redis connection URL', fallback: 'redis://127.0.0.1:6379/0', secret: 'url-password', stringOnly: true, parse: (raw) => parseUrl(raw, ['redis', 'rediss'])},
  {
    name: 'REDIS_PREFIX',
    description: 'prefix of every Redis key and queue confio uses',
    fallback: 'confio:',
    parse: (raw) => {
      if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(raw)) throw new SettingProblem('1 to 64 letters, digits or _ . : -')
      return raw
    },
  },
  {
    name: 'REDIS_COMMAND_TIMEOUT',
    description: 'longest confio waits for Redis to answer one command; a balance read then uses PostgreSQL, a cache write is retried later',
    fallback: formatDuration(REDIS_COMMAND_TIMEOUT_DEFAULT_MS),
    parse: (raw) => parseDurationSetting(raw, 10, 60_000),
  },
  {
    name: 'BALANCE_MEMORY_MAX_AGE',
    description: 'longest a balance is served from process memory before it is read again from Redis or PostgreSQL',
    fallback: formatDuration(BALANCE_MEMORY_MAX_AGE_DEFAULT_MS),
    parse: (raw) => parseDurationSetting(raw, 100, 3_600_000),
  },
  {
    name: 'PIPELINE_LAG_THRESHOLD',
    description:
      "how far behind the chain the pipeline may be (the poller's lag, or the wait of the oldest stored transaction not yet processed) before cached balances are served as stale (pipeline_behind); the poller applies it",
    fallback: formatDuration(PIPELINE_LAG_THRESHOLD_DEFAULT_MS),
    parse: (raw) => parseDurationSetting(raw, 2_000, 3_600_000),
  },
  {
    name: 'METRICS_PORT',
    description: 'port on which poll, worker, beat, run, serve and webhooks send serve /metrics (Prometheus), /healthz and /readyz; unset: no server (the --metrics-port flag sets it too)',
    parse: (raw) => parseInteger(raw, 1, 65_535),
  },
  {
    name: 'METRICS_HOST',
    description: 'address the metrics server listens on: 127.0.0.1 (this machine only), or 0.0.0.0 in a container whose probes and Prometheus come from outside',
    fallback: '127.0.0.1',
    parse: parseHost,
  },
  {name: 'SUI_NETWORK', description: 'mainnet, testnet, devnet or localnet', fallback: 'mainnet', parse: (raw) => parseChoice(raw, NETWORKS)},
  {
    name: 'SUI_GRPC_URL',
    description: "gRPC endpoint; https:// is TLS, http:// plaintext (localnet, tests); default: the network's public fullnode",
    aliases: ['QUICKNODE_GRPC_ENDPOINT'],
    fallback: grpcDefault,
    stringOnly: true,
    parse: parseGrpcUrl,
  },
  {name: 'SUI_GRPC_TRANSPORT', description: 'grpc (native HTTP/2) or grpc-web', fallback: 'grpc', parse: (raw) => parseChoice(raw, GRPC_TRANSPORTS)},
  {name: 'SUI_GRPC_TOKEN', description: 'provider token, sent as the x-token header (QuickNode)', secret: 'value', parse: (raw) => raw.trim()},
  {name: 'SUI_GRPC_HEADERS', description: 'extra headers, "name: value" pairs separated by commas', secret: 'header-values', parse: parseHeaders},
  {name: 'SUI_GRPC_DEADLINE_MS', description: 'deadline of every gRPC call, in ms', fallback: '10000', parse: (raw) => parseInteger(raw, 100, 600_000)},
  {
    name: 'SUI_RPC_RPS',
    description: 'client-side limit of gRPC requests per second; default 3 on public fullnodes (about 100 per 30 s), 100 elsewhere',
    fallback: (resolved) => (/^https:\/\/fullnode\.[a-z]+\.sui\.io:443$/.test(resolved.get('SUI_GRPC_URL') as string) ? '3' : '100'),
    parse: (raw) => parseInteger(raw, 1, 100_000),
  },
  {name: 'SUI_RPC_CONCURRENCY', description: 'gRPC calls in flight at once', fallback: '16', parse: (raw) => parseInteger(raw, 1, 1024)},
  {
    name: 'SUI_RETRY_MAX_DELAY',
    description: 'longest wait between two attempts at a node that fails in a way that may pass (unavailable, too slow, shedding load); the poller waits out such an outage for as long as it lasts',
    fallback: '30s',
    parse: (raw) => parseDurationSetting(raw, 1_000, 600_000),
  },
  {
    name: 'POLL_READING_THREAD',
    description:
      'on: the poller reads and screens checkpoints on a thread of its own, beside deciding and storing; it costs about 70 MB, and about 100 MB more per million monitored accounts, and gave no faster catch-up on 2 CPUs (see docs/operations.md)',
    fallback: 'off',
    parse: (raw) => parseChoice(raw, READING_THREAD_CHOICES),
  },
  {
    name: 'BALANCE_VERIFY_TIMEOUT',
    description: 'longest a critical balance read (verifyCritical) waits for a node that has caught up with what confio has counted, retries included; then BALANCE_UNVERIFIED',
    fallback: '5s',
    parse: (raw) => parseDurationSetting(raw, 100, 300_000),
  },
  {name: 'CONFIO_API_HOST', description: 'address `confio serve` listens on; anything but a loopback address needs CONFIO_API_TOKEN', fallback: '127.0.0.1', parse: parseHost},
  {name: 'CONFIO_API_PORT', description: 'TCP port of `confio serve`', fallback: String(API_PORT_DEFAULT), parse: (raw) => parseInteger(raw, 1, 65_535)},
  {
    name: 'CONFIO_API_TOKEN',
    description: "bearer token every `confio serve` request must send (Authorization: Bearer <token>); at least 16 characters",
    secret: 'value',
    parse: (raw) => {
      if (!/^[\x21-\x7e]{16,256}$/.test(raw)) throw new SettingProblem('16 to 256 printable ASCII characters without spaces (e.g. openssl rand -hex 32)')
      return raw
    },
  },
  {name: 'CUSD_ADDRESS', description: 'cUSD package id (coin type <id>::cusd::CUSD)', parse: parseAddress},
  {name: 'CONFIO_ADDRESS', description: 'CONFIO package id (coin type <id>::confio::CONFIO)', parse: parseAddress},
  {name: 'PAY_ADDRESS', description: 'PAY contract package id', parse: parseAddress},
  {name: 'P2P_TRADE_ADDRESS', description: 'P2P trade contract package id', parse: parseAddress},
  {name: 'MONITORED_CONTRACTS', description: 'more package ids to monitor, comma-separated', fallback: '', parse: parseAddressList},
  {
    name: 'USDC_COIN_TYPE',
    description: "USDC coin type; default: Circle's native USDC on mainnet and testnet",
    fallback: (resolved) => USDC_DEFAULTS[resolved.get('SUI_NETWORK') as Network],
    parse: parseCoinType,
  },
  {
    name: 'SUI_PRIVATE_KEY',
    description: 'key that signs coin-management transactions (suiprivkey1…; Ed25519, Secp256k1 or Secp256r1)',
    aliases: ['SUI_SIGNER_PRIVATE_KEY'],
    secret: 'value',
    parse: parsePrivateKey,
  },
  {
    name: 'COIN_DUST_THRESHOLD',
    description: "coins holding less than this, in each token's display units, are dust (coins inspect)",
    fallback: '0.01',
    parse: (raw) => {
      if (!/^\d{1,20}(\.\d{1,19})?$/.test(raw)) throw new SettingProblem('a decimal amount in display units, e.g. 0.01')
      return raw
    },
  },
  {name: 'COIN_MAX_COINS', description: 'consolidation is due when an address holds more coins of a token than this', fallback: '50', parse: (raw) => parseInteger(raw, 1, 100_000)},
  {
    name: 'WEBHOOK_URL',
    description: 'where the worker POSTs a signed event for each history row and each drift reconcile opens (docs/webhooks.md); unset: no webhooks',
    secret: 'url-password',
    stringOnly: true,
    parse: (raw) => parseUrl(raw, ['http', 'https']),
  },
  {name: 'WEBHOOK_SECRET', description: 'key of the HMAC-SHA256 signature each webhook carries (Confio-Signature); required with WEBHOOK_URL', secret: 'value', parse: (raw) => raw},
  {name: 'WEBHOOK_TIMEOUT', description: 'longest the worker waits for the webhook receiver to answer one event; then the event is retried', fallback: '10s', parse: (raw) => parseDurationSetting(raw, 100, 60_000)},
  {
    name: 'WEBHOOK_RETRY_DELAY',
    description: 'wait before the first retry of an event the receiver did not acknowledge; each further retry waits up to twice as long (jittered, at most 1h), for 24h',
    fallback: '5s',
    parse: (raw) => parseDurationSetting(raw, 10, 3_600_000),
  },
]
