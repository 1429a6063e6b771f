// What the chain layer needs to know to reach a Sui fullnode. The config module maps confio's
// settings onto this plain object; nothing here reads the environment or files.

export type SuiNetwork = 'mainnet' | 'testnet' | 'devnet' | 'localnet'

export type ChainTransportKind = 'grpc' | 'grpc-web'

export interface ChainOptions {
  /** `https://host:port` (TLS), `http://host:port` (plaintext), or a grpc-web base URL. */
  url: string
  /** 'grpc' is native HTTP/2 through @grpc/grpc-js; 'grpc-web' goes over fetch. */
  transport: ChainTransportKind
  network: SuiNetwork
  /** Sent as `x-token` metadata (QuickNode's scheme). A secret: never logged, never in errors. */
  token?: string
  /** Extra metadata on every call, e.g. `authorization: Bearer …`. Values are secrets too. */
  headers?: Record<string, string>
  /** Deadline of every unary call and of the opening of a stream. */
  deadlineMs: number
  /** Attempts per call including the first, for transient failures only. */
  maxAttempts: number
  backoffBaseMs: number
  backoffMaxMs: number
  /** Client-side rate limit, shared by every caller in the process. */
  requestsPerSecond: number
  /** Unary calls in flight at once (streams are long-lived and are not counted). */
  maxConcurrency: number
}

// Public fullnodes allow about 100 requests per 30 s per IP (sui.md), hence 3/s by default;
// providers with a paid key get a higher figure from config.
export const CHAIN_OPTION_DEFAULTS = {
  transport: 'grpc',
  deadlineMs: 10_000,
  maxAttempts: 5,
  backoffBaseMs: 200,
  backoffMaxMs: 10_000,
  requestsPerSecond: 3,
  maxConcurrency: 16,
} as const satisfies Partial<ChainOptions>

const NETWORKS: readonly SuiNetwork[] = ['mainnet', 'testnet', 'devnet', 'localnet']

/**
 * Throws a TypeError naming the first bad field. Messages name fields, never values: the URL can
 * carry a key in its path, and the token and headers are secrets.
 */
export function validateChainOptions(options: ChainOptions): void {
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    throw new TypeError('chain options: url is not a valid URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`chain options: url must start with https:// or http://, not ${url.protocol}//`)
  }
  if (options.transport !== 'grpc' && options.transport !== 'grpc-web') {
    throw new TypeError("chain options: transport must be 'grpc' or 'grpc-web'")
  }
  if (!NETWORKS.includes(options.network)) {
    throw new TypeError(`chain options: network must be one of ${NETWORKS.join(', ')}`)
  }
  positive('deadlineMs', options.deadlineMs)
  positiveInteger('maxAttempts', options.maxAttempts)
  nonNegative('backoffBaseMs', options.backoffBaseMs)
  nonNegative('backoffMaxMs', options.backoffMaxMs)
  positive('requestsPerSecond', options.requestsPerSecond)
  positiveInteger('maxConcurrency', options.maxConcurrency)
  for (const name of Object.keys(options.headers ?? {})) {
    if (!/^[0-9a-z_.-]+$/.test(name) || name.endsWith('-bin')) {
      throw new TypeError(`chain options: header name "${name}" is not valid gRPC metadata (lowercase, no -bin)`)
    }
  }
}

function positive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`chain options: ${name} must be a positive number`)
}

function nonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`chain options: ${name} must be zero or more`)
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`chain options: ${name} must be an integer of 1 or more`)
}
