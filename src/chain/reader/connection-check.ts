// The core of `confio test-connection`: can confio use this endpoint, and how well does it
// answer? Returns a typed result for the command to print (or emit as JSON). A failure that
// makes the endpoint unusable is thrown as a ConnectionCheckError whose kind and one-line message
// say what is wrong; lesser problems (no streaming, no transaction listing) are reported in the
// result.
//
// Give it a reader that makes one attempt per call (maxAttempts 1): a check reports the endpoint
// as it is, where a retrying reader would turn a refused connection into seconds of backoff.
import {ChainError} from '../chain-error.ts'
import type {SuiNetwork} from '../chain-options.ts'
import type {ChainReader} from './chain-reader.ts'
import {readableDetails} from '../transport/failure-details.ts'
import {chainMatchesNetwork, chainName, networkOfChainId, shortChainId} from './known-chains.ts'
import {probeTcp} from '../transport/tcp-probe.ts'
import {nearestRank} from '../../support/percentiles.ts'

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
  /** How long the TCP probe that explains a failed connection may take; 3 s by default. */
  probeTimeoutMs?: number
}

export interface LatencySummary {
  samples: number
  minMs: number
  p50Ms: number
  p99Ms: number
}

export type StreamingCheck = {ok: true; firstFrameMs: number; checkpoint: bigint} | {ok: false; error: string}

/**
 * Whether the endpoint serves LedgerService.ListTransactions, which `confio backfill` reads an
 * account's past with; without it ('unimplemented') backfill scans checkpoints. 'unknown': asking
 * failed otherwise (`transactionListingError` says how).
 */
export type TransactionListingCheck = 'supported' | 'unimplemented' | 'unknown'

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
  /** The short form (first 4 bytes of the genesis digest in hex, as the Sui CLI shows it). */
  chainId: string
  /** What confio calls the chain here and in every error (known-chains.ts chainName). */
  chainName: string
  /** The network the chain id belongs to; undefined for a devnet or localnet genesis. */
  chainNetwork: SuiNetwork | undefined
  /** The node's own name for its chain (Sui answers mainnet, testnet or unknown). */
  chain: string
  checkpointHeight: bigint
  /** Now minus the timestamp of the newest checkpoint: how far behind the node is. */
  checkpointAgeMs: number
  lowestAvailableCheckpoint: bigint
  serverVersion: string
  latency: LatencySummary
  streaming: StreamingCheck
  transactionListing: TransactionListingCheck
  transactionListingError?: string
  balances?: {address: string; tokens: TokenBalanceCheck[]}
}

export type ConnectionFailureKind = 'cannot-connect' | 'rejected-token' | 'wrong-network' | 'not-grpc' | 'tls' | 'failed'

/**
 * Why the endpoint is unusable. The message says what is wrong and no more: what to do about it
 * is worded in confio's settings, so error-translation.ts adds it per `kind` from the facts here.
 */
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

/** Nothing answered at the host and port: refused, unresolvable, unreachable, or silent. */
export class CannotConnectError extends ConnectionCheckError {
  override readonly name = 'CannotConnectError'
  constructor(endpoint: string, status: string, cause: string) {
    super('cannot-connect', endpoint, `cannot reach ${endpoint} (${status}${cause ? `: ${cause}` : ''})`, status)
  }
}

export class RejectedTokenError extends ConnectionCheckError {
  override readonly name = 'RejectedTokenError'
  constructor(endpoint: string, status: string) {
    super('rejected-token', endpoint, `${endpoint} rejected the credentials (${status})`, status)
  }
}

export class WrongNetworkError extends ConnectionCheckError {
  override readonly name = 'WrongNetworkError'
  /** Short form, as in the result. */
  readonly chainId: string
  /** What the chain is called everywhere (known-chains.ts chainName). */
  readonly chainName: string
  /** mainnet or testnet when the id is theirs. */
  readonly actual: SuiNetwork | undefined
  readonly configured: SuiNetwork
  constructor(endpoint: string, configured: SuiNetwork, chainId: string, chainName: string, actual: SuiNetwork | undefined) {
    super('wrong-network', endpoint, `${endpoint} serves chain ${chainId} (${chainName}), but confio is configured for ${configured}`)
    this.chainId = chainId
    this.chainName = chainName
    this.actual = actual
    this.configured = configured
  }
}

export class NotGrpcError extends ConnectionCheckError {
  override readonly name = 'NotGrpcError'
  constructor(endpoint: string, status: string, cause: string) {
    super('not-grpc', endpoint, `${endpoint} does not answer as a Sui gRPC node (${status}${cause ? `: ${cause}` : ''})`, status)
  }
}

/** https:// and the TLS handshake failed: the port is plaintext, or the certificate was refused. */
export class TlsError extends ConnectionCheckError {
  override readonly name = 'TlsError'
  /** true: the certificate was refused; false: the server does not speak TLS there. */
  readonly certificate: boolean
  constructor(endpoint: string, status: string, cause: string, certificate: boolean) {
    const what = certificate ? `${endpoint} presented a TLS certificate confio does not trust` : `the TLS handshake with ${endpoint} failed`
    super('tls', endpoint, `${what} (${status}${cause ? `: ${cause}` : ''})`, status)
    this.certificate = certificate
  }
}

export async function checkConnection(chain: ChainReader, options: ConnectionCheckOptions): Promise<ConnectionCheckResult> {
  const {endpoint} = chain
  const probeTimeoutMs = options.probeTimeoutMs ?? 3_000
  const guarded = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step()
    } catch (error) {
      throw await classifyFailure(endpoint, error, probeTimeoutMs)
    }
  }

  const info = await guarded(() => chain.serviceInfo())
  const chainId = shortChainId(info.chainId) ?? info.chainId
  const name = chainName(info.chainId, info.chain)
  if (!chainMatchesNetwork(info.chainId, chain.network)) {
    throw new WrongNetworkError(endpoint, chain.network, chainId, name, networkOfChainId(info.chainId))
  }
  const checkpointAgeMs = Math.max(0, Date.now() - info.timestampMs)

  const samples: number[] = []
  for (let i = 0; i < Math.max(1, options.count); i++) samples.push(await guarded(() => chain.ping()))

  const streaming = await checkStreaming(chain, options.streamTimeoutMs ?? 10_000)
  const transactionListing = await checkTransactionListing(chain)

  const result: ConnectionCheckResult = {
    endpoint,
    configuredNetwork: chain.network,
    chainId,
    chainName: name,
    chainNetwork: networkOfChainId(info.chainId),
    chain: info.chain,
    checkpointHeight: info.checkpointHeight,
    checkpointAgeMs,
    lowestAvailableCheckpoint: info.lowestAvailableCheckpoint,
    serverVersion: info.serverVersion,
    latency: summarize(samples),
    streaming,
    ...transactionListing,
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

/** Not fatal either: backfill scans checkpoints where the node does not list transactions. */
async function checkTransactionListing(chain: ChainReader): Promise<Pick<ConnectionCheckResult, 'transactionListing' | 'transactionListingError'>> {
  try {
    return {transactionListing: (await chain.supportsTransactionListing()) ? 'supported' : 'unimplemented'}
  } catch (error) {
    return {transactionListing: 'unknown', transactionListingError: error instanceof Error ? error.message : String(error)}
  }
}

// How a non-gRPC server shows through the transports (seen against HTTP/1.1 and HTTP/2 servers):
// grpc-js fails the connection with "Protocol error" (HTTP/1.1), or reads the body as a gRPC
// frame whose length prefix is absurd ("larger than max"); grpc-web maps the HTTP status onto a
// gRPC code (404 → NOT_FOUND, which GetServiceInfo never answers) or misses the grpc-status
// (grpc-js over TLS to an HTTP/2 web server: "Call ended without gRPC status").
const NOT_GRPC_PATTERN = /protocol error|larger than max|http status|content-type|missing status|without gRPC status|missing trailers|invalid wire type|premature|malformed/i
const NOT_GRPC_STATUSES: ReadonlySet<string> = new Set(['UNIMPLEMENTED', 'NOT_FOUND', 'DATA_LOSS'])

// The socket's own verdict, named in grpc-js's text: nothing more to learn by probing.
const UNREACHABLE_PATTERN = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|Name resolution failed/
// Failures below gRPC where the text does not say whether anything listens: grpc-js's subchannel
// gave up ("Failed to connect" when the peer closes the HTTP/2 handshake), or fetch failed (grpc-web
// keeps the cause out of the message). A real node answering UNAVAILABLE itself matches none.
const BELOW_GRPC_PATTERN = /No connection established|Failed to connect|Connection dropped|fetch failed|other side closed|socket hang up|ECONNRESET/i
// The TLS layer's own failures, as Node and OpenSSL word them. A plaintext server answering a
// ClientHello hangs up ("disconnected before secure TLS connection") or sends bytes that are no
// TLS record ("wrong version number", "packet length too long").
const TLS_PATTERN = /secure TLS connection|SSL routines|wrong version number|packet length too long|certificate|ERR_TLS|altnames/i
const CERTIFICATE_PATTERN = /certificate|ERR_TLS_CERT|altnames|CERT_/i

/**
 * Which of the kinds a failure is. For a failure below gRPC whose text cannot tell, a TCP connect
 * to the endpoint's port decides: refused or silent, nothing is there (cannot-connect); accepted,
 * something is there that is not a gRPC server (not-grpc), e.g. PostgreSQL on 5432.
 */
export async function classifyFailure(endpoint: string, error: unknown, probeTimeoutMs = 3_000): Promise<ConnectionCheckError> {
  if (error instanceof ConnectionCheckError) return error
  if (!(error instanceof ChainError)) {
    const message = error instanceof Error ? error.message : String(error)
    return new ConnectionCheckError('failed', endpoint, `checking ${endpoint} failed: ${message}`)
  }
  const {status, details} = error
  const cause = readableDetails(details)
  if (status === 'UNAUTHENTICATED' || status === 'PERMISSION_DENIED') return new RejectedTokenError(endpoint, status)
  // A gRPC server that lacks Sui's LedgerService, or an HTTP server answering 404.
  if (NOT_GRPC_STATUSES.has(status) || NOT_GRPC_PATTERN.test(details)) return new NotGrpcError(endpoint, status, cause)
  if (UNREACHABLE_PATTERN.test(details)) return new CannotConnectError(endpoint, status, cause)
  if (endpoint.startsWith('https:') && TLS_PATTERN.test(details)) return new TlsError(endpoint, status, cause, CERTIFICATE_PATTERN.test(details))
  if (BELOW_GRPC_PATTERN.test(details)) {
    const probe = await probeTcp(endpoint, probeTimeoutMs)
    if (!probe.accepts) return new CannotConnectError(endpoint, status, probe.reason)
    return new NotGrpcError(endpoint, status, `${cause}; a server listens there but closed the gRPC connection`)
  }
  if (status === 'UNAVAILABLE' || status === 'DEADLINE_EXCEEDED' || error.transient) return new CannotConnectError(endpoint, status, cause)
  return new ConnectionCheckError('failed', endpoint, `${endpoint}: ${error.method} failed with ${status}${cause ? `: ${cause}` : ''}`, status)
}

/** Nearest-rank percentiles over the samples. */
export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b)
  return {samples: sorted.length, minMs: sorted[0] ?? 0, p50Ms: nearestRank(sorted, 50), p99Ms: nearestRank(sorted, 99)}
}
