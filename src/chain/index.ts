// The chain layer's public surface: whatever confio's code outside src/chain/ (src/, cli/,
// commands/, scripts/, the local Sui server) takes from the chain, it takes from this file, and
// lint (eslint.config.js) refuses an import that reaches past it. Tests and benchmarks import
// through it too, except where they examine or build one part (the wire reader, a decoder, the
// read masks, a height window): that part they import directly.
//
// Behind it, three folders:
//   transport/  how a call reaches the node: the SDK client and its HTTP/2 transport, TLS, the
//               call policy (limits, deadline, retries, metrics), redaction, response headers
//   wire/       how a reply becomes records: the hand-written protobuf reader and transaction
//               screen, the read masks, the decoders
//   reader/     the ChainReader interface and what answers it over gRPC: range reads, transaction
//               listing, height windows, the connection check
// and at the top what they share: the options, ChainError, the metrics, the records. The backoff
// and the client-side limits (concurrency limiter, token bucket) are in src/support: other folders
// use them too.
export type {ChainOptions, ChainTransportKind, SuiNetwork} from './chain-options.ts'
export {CHAIN_OPTION_DEFAULTS, validateChainOptions} from './chain-options.ts'
export type {AffectedTransactionsProgress, CallOptions, ChainReader, SubscribeOptions} from './reader/chain-reader.ts'
export {GrpcChainReader, MAX_BATCH_GET_TRANSACTIONS, openChainReader} from './reader/grpc-chain-reader.ts'
export type {ChainReaderDeps} from './reader/grpc-chain-reader.ts'
export type {ChainLogger} from './transport/call-policy.ts'
export {ChainError} from './chain-error.ts'
export {readableDetails} from './transport/failure-details.ts'
export type {ChainErrorInit, GrpcStatusName} from './chain-error.ts'
export {ChainMetrics, chainMetrics} from './chain-metrics.ts'
export type {ChainMetricsSnapshot, MethodMetricsSnapshot} from './chain-metrics.ts'
export {redactEndpoint} from './transport/redaction.ts'
export {KNOWN_CHAIN_IDS, chainMatchesNetwork, networkOfChainId, shortChainId} from './reader/known-chains.ts'
export type * from './records.ts'
export type {HeightWindow} from './reader/height-window.ts'
export type {TransactionScreen} from './wire/transaction-screen.ts'
export {
  CannotConnectError,
  ConnectionCheckError,
  NotGrpcError,
  RejectedTokenError,
  TlsError,
  WrongNetworkError,
  checkConnection,
} from './reader/connection-check.ts'
export type {
  ConnectionCheckOptions,
  ConnectionCheckResult,
  ConnectionFailureKind,
  LatencySummary,
  StreamingCheck,
  TokenBalanceCheck,
  TransactionListingCheck,
} from './reader/connection-check.ts'
