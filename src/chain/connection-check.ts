// The core of `confio test-connection`: can confio use this endpoint, and how well does it
// answer? Returns a typed result for the command to print (or emit as JSON). A failure that
// makes the endpoint unusable is thrown as a ConnectionCheckError whose one-line message says
// what is wrong and what to check; lesser problems (no streaming) are reported in the result.
import {ChainError} from './chain-error.ts'
import type {SuiNetwork} from './chain-options.ts'
import type {ChainReader} from './chain-reader.ts'
import {chainMatchesNetwork, networkOfChainId, shortChainId} from './known-chains.ts'

export interface ConnectionCheckToken {
  symbol: string
  coinType: string
}

export interface ConnectionCheckOptions {
  /** Round trips to time (GetServiceInfo), at least 1. */
  count: number
  /** With an address, its balance of every token is read too. */
  address?: string
  tokens: ConnectionCheckToken[]
  /** How long to wait for the first subscription frame; 10 s by default. */
  streamTimeoutMs?: number
}

export interface LatencySummary {
  samples: number
  minMs: number
  p50Ms: number
  p99Ms: number
}

export type StreamingCheck = {ok: true; firstFrameMs: number; checkpoint: bigint} | {ok: false; error: string}

export interface TokenBalanceCheck {
  symbol: string
  coinType: string
  total: bigint
  coinBalance: bigint
  addressBalance: bigint
  coinObjects: number
}

export interface ConnectionCheckResult {
  /** Credentials masked. */
  endpoint: string
  configuredNetwork: SuiNetwork
  chainId: string
  /** The network the chain id belongs to; undefined for a devnet or localnet genesis. */
  chainNetwork: SuiNetwork | undefined
  /** The node's own name for its chain. */
  chain: string
  checkpointHeight: bigint
  /** Now minus the timestamp of the newest checkpoint: how far behind the node is. */
  checkpointAgeMs: number
  lowestAvailableCheckpoint: bigint
  serverVersion: string
  latency: LatencySummary
  streaming: StreamingCheck
  balances?: {address: string; tokens: TokenBalanceCheck[]}
}

export type ConnectionFailureKind = 'cannot-connect' | 'rejected-token' | 'wrong-network' | 'not-grpc' | 'failed'

export class ConnectionCheckError extends Error {
  override readonly name: string = 'ConnectionCheckError'
  readonly kind: ConnectionFailureKind
  readonly endpoint: string
  /** The gRPC status behind the failure, when there was one. */
  readonly status: string | undefined

  constructor(kind: ConnectionFailureKind, endpoint: string, message: string, status?: string) {
    super(message)
    this.kind = kind
    this.endpoint = endpoint
    this.status = status
  }
}

export class CannotConnectError extends ConnectionCheckError {
  override readonly name = 'CannotConnectError'
  constructor(endpoint: string, status: string, details: string) {
    super('cannot-connect', endpoint, `cannot reach ${endpoint} (${status}${brief(details)}): check the host and port, that the node is up, and that https:// or http:// matches whether it uses TLS`, status)
  }
}

export class RejectedTokenError extends ConnectionCheckError {
  override readonly name = 'RejectedTokenError'
  constructor(endpoint: string, status: string) {
    super('rejected-token', endpoint, `${endpoint} rejected the credentials (${status}): check the token (sent as x-token) and any auth headers configured for this endpoint`, status)
  }
}

export class WrongNetworkError extends ConnectionCheckError {
  override readonly name = 'WrongNetworkError'
  readonly chainId: string
  constructor(endpoint: string, configured: SuiNetwork, chainId: string, actual: SuiNetwork | undefined) {
    super('wrong-network', endpoint, `${endpoint} serves chain ${chainId} (${actual ?? 'not mainnet or testnet'}), but confio is configured for ${configured}: check the url and the network setting`)
    this.chainId = chainId
  }
}

export class NotGrpcError extends ConnectionCheckError {
  override readonly name = 'NotGrpcError'
  constructor(endpoint: string, status: string, details: string) {
    super('not-grpc', endpoint, `${endpoint} does not answer as a Sui gRPC node (${status}${brief(details)}): check the port (QuickNode serves gRPC on 9000), the transport (grpc or grpc-web), and that the URL is the gRPC endpoint, not JSON-RPC`, status)
  }
}

export async function checkConnection(chain: ChainReader, options: ConnectionCheckOptions): Promise<ConnectionCheckResult> {
  const {endpoint} = chain
  const guarded = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step()
    } catch (error) {
      throw classifyFailure(endpoint, error)
    }
  }

  const info = await guarded(() => chain.serviceInfo())
  if (!chainMatchesNetwork(info.chainId, chain.network)) {
    throw new WrongNetworkError(endpoint, chain.network, shortChainId(info.chainId) ?? info.chainId, networkOfChainId(info.chainId))
  }
  const checkpointAgeMs = Math.max(0, Date.now() - info.timestampMs)

  const samples: number[] = []
  for (let i = 0; i < Math.max(1, options.count); i++) samples.push(await guarded(() => chain.ping()))

  const streaming = await checkStreaming(chain, options.streamTimeoutMs ?? 10_000)

  const result: ConnectionCheckResult = {
    endpoint,
    configuredNetwork: chain.network,
    chainId: info.chainId,
    chainNetwork: networkOfChainId(info.chainId),
    chain: info.chain,
    checkpointHeight: info.checkpointHeight,
    checkpointAgeMs,
    lowestAvailableCheckpoint: info.lowestAvailableCheckpoint,
    serverVersion: info.serverVersion,
    latency: summarize(samples),
    streaming,
  }
  if (options.address !== undefined) {
    const address = options.address
    const tokens = await guarded(() =>
      Promise.all(
        options.tokens.map(async (token): Promise<TokenBalanceCheck> => {
          const [balance, coins] = await Promise.all([chain.balance(address, token.coinType), chain.coins(address, token.coinType)])
          return {
            symbol: token.symbol,
            coinType: balance.coinType,
            total: balance.total,
            coinBalance: balance.coinBalance,
            addressBalance: balance.addressBalance,
            coinObjects: coins.length,
          }
        }),
      ),
    )
    result.balances = {address, tokens}
  }
  return result
}

/** Time to the first checkpoint frame of a subscription. Not fatal: polling works without it. */
async function checkStreaming(chain: ChainReader, timeoutMs: number): Promise<StreamingCheck> {
  const controller = new AbortController()
  const started = performance.now()
  try {
    for await (const checkpoint of chain.subscribe(controller.signal, {idleTimeoutMs: timeoutMs})) {
      return {ok: true, firstFrameMs: performance.now() - started, checkpoint: checkpoint.sequenceNumber}
    }
    return {ok: false, error: 'the subscription ended before its first checkpoint'}
  } catch (error) {
    return {ok: false, error: error instanceof Error ? error.message : String(error)}
  } finally {
    controller.abort()
  }
}

// How a non-gRPC server shows through the transports (seen against HTTP/1.1 and HTTP/2 servers):
// grpc-js fails the connection with "Protocol error" (HTTP/1.1), or reads the body as a gRPC
// frame whose length prefix is absurd ("larger than max"); grpc-web maps the HTTP status onto a
// gRPC code (404 → NOT_FOUND, which GetServiceInfo never answers) or misses the grpc-status.
const NOT_GRPC_PATTERN = /protocol error|larger than max|http status|content-type|missing status|missing trailers|invalid wire type|premature|malformed/i
const NOT_GRPC_STATUSES: ReadonlySet<string> = new Set(['UNIMPLEMENTED', 'NOT_FOUND', 'DATA_LOSS'])

export function classifyFailure(endpoint: string, error: unknown): ConnectionCheckError {
  if (error instanceof ConnectionCheckError) return error
  if (!(error instanceof ChainError)) {
    const message = error instanceof Error ? error.message : String(error)
    return new ConnectionCheckError('failed', endpoint, `checking ${endpoint} failed: ${message}`)
  }
  const {status, details} = error
  if (status === 'UNAUTHENTICATED' || status === 'PERMISSION_DENIED') return new RejectedTokenError(endpoint, status)
  // A gRPC server that lacks Sui's LedgerService, or an HTTP server answering 404.
  if (NOT_GRPC_STATUSES.has(status) || NOT_GRPC_PATTERN.test(details)) return new NotGrpcError(endpoint, status, details)
  if (status === 'UNAVAILABLE' || status === 'DEADLINE_EXCEEDED' || error.transient) return new CannotConnectError(endpoint, status, details)
  return new ConnectionCheckError('failed', endpoint, `${endpoint}: ${error.message}`, status)
}

/** Nearest-rank percentiles over the samples. */
export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0
  return {samples: sorted.length, minMs: sorted[0] ?? 0, p50Ms: rank(50), p99Ms: rank(99)}
}

function brief(details: string): string {
  const line = details.split('\n')[0]?.trim() ?? ''
  if (!line) return ''
  return `: ${line.length > 120 ? `${line.slice(0, 117)}...` : line}`
}
