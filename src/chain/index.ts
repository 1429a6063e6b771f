// The chain layer's public surface. Everything else in src/chain/ is an implementation detail.
export type {ChainOptions, ChainTransportKind, SuiNetwork} from './chain-options.ts'
export {CHAIN_OPTION_DEFAULTS, validateChainOptions} from './chain-options.ts'
export type {AffectedTransactionsProgress, CallOptions, ChainReader, SubscribeOptions} from './chain-reader.ts'
export {GrpcChainReader, MAX_BATCH_GET_TRANSACTIONS, openChainReader} from './grpc-chain-reader.ts'
export type {ChainReaderDeps} from './grpc-chain-reader.ts'
export type {ChainLogger} from './call-policy.ts'
export {ChainError} from './chain-error.ts'
export type {GrpcStatusName} from './chain-error.ts'
export {ChainMetrics, chainMetrics} from './chain-metrics.ts'
export type {ChainMetricsSnapshot, MethodMetricsSnapshot} from './chain-metrics.ts'
export {redactEndpoint} from './redaction.ts'
export {KNOWN_CHAIN_IDS, chainMatchesNetwork, networkOfChainId} from './known-chains.ts'
export type * from './records.ts'
export type {TransactionScreen} from './transaction-screen.ts'
export {
  CannotConnectError,
  ConnectionCheckError,
  NotGrpcError,
  RejectedTokenError,
  WrongNetworkError,
  checkConnection,
} from './connection-check.ts'
export type {
  ConnectionCheckOptions,
  ConnectionCheckResult,
  ConnectionFailureKind,
  LatencySummary,
  StreamingCheck,
  TokenBalanceCheck,
  TransactionListingCheck,
} from './connection-check.ts'
