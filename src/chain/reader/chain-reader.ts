// The chain as the rest of confio sees it: a handful of questions answered with plain records.
// Nothing behind this interface leaks out: no protobuf message, no SDK client, no transport.
//
// Error policy (every method): transient failures (UNAVAILABLE, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, connection resets) are retried within the call up to `maxAttempts`; what
// is thrown is a ChainError whose `transient` says whether trying again later may help. A reply
// that does not decode, or does not hold what was asked, is a ChainError DATA_LOSS ("malformed
// response", "malformed <Method> reply"), never retried: asking again gets the same. Invalid
// arguments (a malformed address, coin type or digest) throw a TypeError before anything is sent.
// Aborting the signal rejects with the signal's reason; iterators simply end.
import type {SuiNetwork} from '../chain-options.ts'
import type {ChainMetricsSnapshot} from '../chain-metrics.ts'
import type {BalanceListing, BalanceRecord, CheckpointRecord, CoinInfoRecord, CoinRecord, EpochRecord, EventContents, ExecutionRecord, ScreenedCheckpointRecord, ServiceInfo, SignedTransaction, TransactionDetails} from '../records.ts'
import type {RateLimiter} from '../../support/token-bucket.ts'
import type {TransactionScreen} from '../wire/transaction-screen.ts'

export interface CallOptions {
  signal?: AbortSignal
  /** A limit of the caller's own (a reconcile run's --rps) over the process-wide one: every request takes a token. */
  limiter?: RateLimiter
}

/** A state read (balances): what the caller knows of the node's height before sending it. */
export interface StateReadOptions extends CallOptions {
  /**
   * A height the node had reached before this read was sent (a GetServiceInfo just before, or an
   * earlier reply): the low end of the value's window. Default: the highest height this reader
   * has seen in any reply so far (older knowledge only widens the window), else the header alone.
   */
  heightBefore?: bigint
}

export interface SubscribeOptions {
  /**
   * How long the stream may stay silent (the first frame included) before it fails with
   * DEADLINE_EXCEEDED; 0 disables. Mainnet sends a checkpoint every ~250 ms, so a silent
   * stream is a dead one.
   */
  idleTimeoutMs?: number
}

/** One frame's worth of progress of transactionsAffecting. */
export interface AffectedTransactionsProgress {
  /** Transactions delivered by this frame (0 or 1 normally). */
  transactions: TransactionDetails[]
  /** Every matching transaction at checkpoints <= this has been delivered (undefined until the first checkpoint is covered). */
  coveredThrough: bigint | undefined
  /** Streams (requests) opened so far: each early end (item or scan limit) opens the next from the watermark. */
  requests: number
}

export interface ChainReader {
  /** The endpoint with its credentials masked, fit for logs and output. */
  readonly endpoint: string
  readonly network: SuiNetwork

  serviceInfo(options?: CallOptions): Promise<ServiceInfo>
  /** One GetServiceInfo round trip, in ms (queueing and rate-limit waits excluded). */
  ping(options?: CallOptions): Promise<number>

  // Checkpoint reads (checkpoint, checkpoints, subscribe) ask for what deciding relevance takes:
  // events come by type and sender, without their JSON (EventSummary). `transactionDetails`
  // fetches the rest for the few transactions that matter.

  /** The checkpoint with every transaction decoded; NOT_FOUND when pruned or not yet produced. */
  checkpoint(sequence: bigint, options?: CallOptions): Promise<CheckpointRecord>
  /**
   * Checkpoints `from` through `to`, both inclusive, in order, each exactly once. Uses
   * ListCheckpoints where the node has it, otherwise GetCheckpoint per sequence number with
   * bounded concurrency. Stopping early (break) cancels what is in flight.
   */
  checkpoints(from: bigint, to: bigint, options?: CallOptions): AsyncIterable<CheckpointRecord>
  /**
   * checkpoints(), with each transaction first put to `screen` on the wire: only those that may
   * matter to it (or that are not plain: see transaction-screen.ts) are decoded. The screen is
   * asked as each checkpoint is taken from the iterator, so what it watches then applies.
   */
  screenedCheckpoints(from: bigint, to: bigint, screen: TransactionScreen, options?: CallOptions): AsyncIterable<ScreenedCheckpointRecord>
  /**
   * Checkpoints as the node executes them, from the tip on. The stream cannot resume: after an
   * error or a restart, fill the gap with `checkpoints()`. Ends when `signal` aborts.
   */
  subscribe(signal: AbortSignal, options?: SubscribeOptions): AsyncIterable<CheckpointRecord>

  /**
   * Checkpointed transactions in full, events with their JSON: one record per digest, in the
   * order given. BatchGetTransactions, split into calls of at most the node's batch limit (200
   * digests); each call is retried like any other, and a per-digest transient failure retries
   * its call. A digest the node does not know (or has not checkpointed yet) fails the whole
   * call with NOT_FOUND: no transaction is ever left out of the answer. A malformed digest is a
   * TypeError.
   */
  transactionDetails(digests: readonly string[], options?: CallOptions): Promise<TransactionDetails[]>
  /**
   * What a checkpoint read left out of these checkpointed transactions: their events' contents
   * (EVENT_CONTENTS_READ_MASK), one record per digest, in the order given. Called, failed and
   * retried like transactionDetails.
   */
  eventContents(digests: readonly string[], options?: CallOptions): Promise<EventContents[]>
  /**
   * Checkpointed transactions that affect any of `addresses` (ListTransactions with one
   * affected-address term per address), checkpoints `from`..`to` inclusive, in chain order, each
   * once, events with their JSON, checkpoint / index / timestamp set from the transaction's own
   * fields. A stream the node ends early (item limit, scan limit, a transient cut after progress)
   * is resumed from the last watermark cursor. UNIMPLEMENTED (a node without it) is a ChainError
   * with status UNIMPLEMENTED, not retried. A `from` below the node's lowest available checkpoint
   * fails like a pruned checkpoint read does. A `to` beyond what the node has indexed fails with
   * OUT_OF_RANGE (transient) once the rest is delivered. No addresses, or `from` > `to`: nothing.
   * A malformed address is a TypeError.
   */
  transactionsAffecting(addresses: readonly string[], from: bigint, to: bigint, options?: CallOptions): AsyncIterable<AffectedTransactionsProgress>
  /**
   * Whether the node serves ListTransactions (what `transactionsAffecting` needs; without it,
   * backfill scans checkpoints). Asked once, then remembered, as is what a listing finds out.
   */
  supportsTransactionListing(options?: CallOptions): Promise<boolean>

  /** The balance with the height its reply names and the window that height proves (height-window.ts). */
  balance(owner: string, coinType: string, options?: StateReadOptions): Promise<BalanceRecord>
  /**
   * Every coin type the owner holds, all pages, with the height of the listing: an owner holding
   * nothing still gets one (an empty page carries its header too).
   */
  balances(owner: string, options?: StateReadOptions): Promise<BalanceListing>
  /** Every `Coin<coinType>` object the owner holds, all pages. */
  coins(owner: string, coinType: string, options?: CallOptions): Promise<CoinRecord[]>
  /** A coin type's decimals, symbol and name; a ChainError NOT_FOUND when the chain knows no such coin type. */
  coinInfo(coinType: string, options?: CallOptions): Promise<CoinInfoRecord>

  /** The current epoch: its reference gas price and, where the node sends it, the protocol configuration. */
  epoch(options?: CallOptions): Promise<EpochRecord>

  /** Dry run of BCS TransactionData; nothing is committed. */
  simulate(txBytes: Uint8Array, options?: CallOptions): Promise<ExecutionRecord>
  /**
   * Submits a signed transaction and waits for its effects. Retried like any call: executing
   * the same signed bytes twice is harmless on Sui (the digest is the same; it runs once).
   */
  execute(signed: SignedTransaction, options?: CallOptions): Promise<ExecutionRecord>

  metrics(): ChainMetricsSnapshot
  close(): void
}
