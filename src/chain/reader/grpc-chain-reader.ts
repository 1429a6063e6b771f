// ChainReader over Sui's gRPC API (sui.rpc.v2). Every call goes through the CallPolicy (limits,
// deadline, retries, metrics) and every answer through a decoder, so callers get records.
import {GrpcStatusCode} from '@mysten/sui/grpc'
import type {GrpcTypes, SuiGrpcClient} from '@mysten/sui/grpc'
import {RpcError} from '@protobuf-ts/runtime-rpc'
import {fromBase58} from '@mysten/sui/utils'

import {CallPolicy} from '../transport/call-policy.ts'
import type {ChainLogger} from '../transport/call-policy.ts'
import {malformedResponse} from '../chain-error.ts'
import {chainMetrics} from '../chain-metrics.ts'
import type {ChainMetrics, ChainMetricsSnapshot} from '../chain-metrics.ts'
import type {ChainOptions, SuiNetwork} from '../chain-options.ts'
import type {AffectedTransactionsProgress, CallOptions, ChainReader, StateReadOptions, SubscribeOptions} from './chain-reader.ts'
import {decodeCheckpoint, decodeEventContents, decodeTransactionDetails} from '../wire/checkpoint-decoder.ts'
import {CheckpointMethods} from '../wire/checkpoint-methods.ts'
import type {BatchGetTransactionsReply} from '../wire/checkpoint-methods.ts'
import {CheckpointRangeReader} from './checkpoint-range.ts'
import {reportingWireObserver} from '../wire/wire-observer.ts'
import type {ListCheckpointsSupport} from './checkpoint-range.ts'
import {createSuiClient} from '../transport/grpc-client-factory.ts'
import {COIN_READ_MASK, CHECKPOINT_READ_MASK, EPOCH_READ_MASK, EXECUTE_READ_MASK, SIMULATE_READ_MASK, TRANSACTION_DETAILS_READ_MASK, EVENT_CONTENTS_READ_MASK, fieldMask} from '../wire/read-masks.ts'
import type {BalanceListing, BalanceRecord, CheckpointRecord, CoinInfoRecord, CoinRecord, EpochRecord, EventContents, ExecutionRecord, ScreenedCheckpointRecord, ServiceInfo, SignedTransaction, TransactionDetails} from '../records.ts'
import type {TransactionScreen} from '../wire/transaction-screen.ts'
import {Redactor, redactEndpoint} from '../transport/redaction.ts'
import {checkpointHeightOf} from '../transport/response-headers.ts'
import {heightWindow, spanOf} from './height-window.ts'
import {decodeBalance, decodeCoin, decodeCoinInfo, decodeEpoch, decodeExecution, decodeServiceInfo} from '../wire/state-decoder.ts'
import {TransactionListing} from './transaction-listing.ts'
import type {TransactionListingSupport} from './transaction-listing.ts'
import {normalizeAddress, normalizeCoinType} from '../../sui/identifiers.ts'
import {inChunks} from '../../support/chunks.ts'
import {ConcurrencyLimiter} from '../../support/concurrency-limiter.ts'
import {processRateLimiter} from '../../support/token-bucket.ts'
import type {RateLimiter} from '../../support/token-bucket.ts'

/** What a test or a benchmark may swap; production uses the process-wide defaults. */
export interface ChainReaderDeps {
  rateLimiter?: RateLimiter
  metrics?: ChainMetrics
  logger?: ChainLogger
  random?: () => number
}

// The node's maximum page size for ListBalances and ListOwnedObjects (larger values are coerced).
const PAGE_SIZE = 1000

/**
 * The most digests one BatchGetTransactions carries: the ledger service's hard cap, which Sui's
 * own reader of it observes (sui-indexer-alt-reader, MAX_BATCH_GET_TRANSACTIONS = 200).
 */
export const MAX_BATCH_GET_TRANSACTIONS = 200

// Sui's silence threshold for a subscription: far above mainnet's ~250 ms checkpoint interval.
const DEFAULT_SUBSCRIPTION_IDLE_MS = 30_000

/** Opens a reader on the configured endpoint. Nothing is sent until the first call. */
export function openChainReader(options: ChainOptions, deps: ChainReaderDeps = {}): GrpcChainReader {
  return new GrpcChainReader(options, deps)
}

export class GrpcChainReader implements ChainReader {
  readonly endpoint: string
  readonly network: SuiNetwork
  readonly #sui: SuiGrpcClient
  readonly #close: () => void
  readonly #policy: CallPolicy
  readonly #metrics: ChainMetrics
  readonly #range: CheckpointRangeReader
  readonly #checkpoints: CheckpointMethods
  readonly #listing: TransactionListing
  #highestSeen: bigint | undefined

  constructor(options: ChainOptions, deps: ChainReaderDeps = {}) {
    const {sui, close} = createSuiClient(options)
    this.#sui = sui
    this.#close = close
    this.endpoint = redactEndpoint(options.url)
    this.network = options.network
    this.#metrics = deps.metrics ?? chainMetrics
    const observer = reportingWireObserver(this.#metrics, deps.logger)
    this.#checkpoints = new CheckpointMethods(sui, observer)
    this.#policy = new CallPolicy(options, {
      rateLimiter: deps.rateLimiter ?? processRateLimiter(options.requestsPerSecond),
      concurrency: new ConcurrencyLimiter(options.maxConcurrency),
      metrics: this.#metrics,
      redactor: Redactor.forOptions(options),
      ...(deps.logger ? {logger: deps.logger} : {}),
      ...(deps.random ? {random: deps.random} : {}),
    })
    this.#range = new CheckpointRangeReader({
      methods: this.#checkpoints,
      policy: this.#policy,
      getCheckpoint: (sequence, signal) => this.checkpoint(sequence, {signal}),
      window: options.maxConcurrency,
      observer,
    })
    this.#listing = new TransactionListing({ledger: sui.ledgerService, policy: this.#policy})
  }

  /** Whether the node answered ListCheckpoints ('unknown' until the first range read). */
  get listCheckpointsSupport(): ListCheckpointsSupport {
    return this.#range.listCheckpointsSupport
  }

  /** Whether the node answered ListTransactions ('unknown' until a listing or a probe). */
  get transactionListingSupport(): TransactionListingSupport {
    return this.#listing.support
  }

  async serviceInfo(options: CallOptions = {}): Promise<ServiceInfo> {
    const response = await this.#policy.unary('GetServiceInfo', (rpc) => this.#sui.ledgerService.getServiceInfo({}, rpc).response, options)
    const info = decodeOrFail('GetServiceInfo', () => decodeServiceInfo(response))
    this.#saw(info.checkpointHeight)
    return info
  }

  async ping(options: CallOptions = {}): Promise<number> {
    const timing = {latencyMs: 0}
    await this.#policy.unary('GetServiceInfo', (rpc) => this.#sui.ledgerService.getServiceInfo({}, rpc).response, {...options, timing})
    return timing.latencyMs
  }

  async checkpoint(sequence: bigint, options: CallOptions = {}): Promise<CheckpointRecord> {
    const request = {checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: sequence}, readMask: fieldMask(CHECKPOINT_READ_MASK)} as const
    const response = await this.#policy.unary('GetCheckpoint', (rpc) => this.#checkpoints.getCheckpoint(request, rpc), options)
    const wire = response.checkpoint
    if (wire === undefined) throw malformedResponse('GetCheckpoint', 'response without a checkpoint')
    return decodeCheckpoint(wire.checkpoint, sequence, wire.transactionErrors)
  }

  checkpoints(from: bigint, to: bigint, options: CallOptions = {}): AsyncIterable<CheckpointRecord> {
    return this.#range.read(from, to, options.signal)
  }

  screenedCheckpoints(from: bigint, to: bigint, screen: TransactionScreen, options: CallOptions = {}): AsyncIterable<ScreenedCheckpointRecord> {
    return this.#range.readScreened(from, to, screen, options.signal)
  }

  transactionDetails(digests: readonly string[], options: CallOptions = {}): Promise<TransactionDetails[]> {
    return this.#batchGet(digests, TRANSACTION_DETAILS_READ_MASK, (transaction, checkpoint) => decodeTransactionDetails(transaction, checkpoint), options.signal)
  }

  eventContents(digests: readonly string[], options: CallOptions = {}): Promise<EventContents[]> {
    return this.#batchGet(digests, EVENT_CONTENTS_READ_MASK, (transaction, checkpoint) => decodeEventContents(transaction, checkpoint), options.signal)
  }

  transactionsAffecting(addresses: readonly string[], from: bigint, to: bigint, options: CallOptions = {}): AsyncIterable<AffectedTransactionsProgress> {
    return this.#listing.affecting(addresses, from, to, options.signal)
  }

  supportsTransactionListing(options: CallOptions = {}): Promise<boolean> {
    return this.#listing.supported(options.signal)
  }

  /**
   * BatchGetTransactions for these digests with this mask, one decoded record per digest in their
   * order, in calls of at most MAX_BATCH_GET_TRANSACTIONS that go out together (the concurrency
   * limit still applies); the first failure cancels the rest.
   */
  async #batchGet<T extends {digest: string; parseError?: string}>(
    digests: readonly string[],
    mask: readonly string[],
    decode: (transaction: GrpcTypes.ExecutedTransaction, checkpoint: bigint) => T,
    signal: AbortSignal | undefined,
  ): Promise<T[]> {
    for (const digest of digests) assertDigest(digest)
    if (digests.length === 0) return []
    const chunks = inChunks(digests, MAX_BATCH_GET_TRANSACTIONS)
    if (chunks.length === 1) return this.#batchGetChunk(chunks[0]!, mask, decode, signal)
    const controller = new AbortController()
    const onAbort = (): void => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, {once: true})
    try {
      const results = await Promise.all(
        chunks.map((chunk) =>
          this.#batchGetChunk(chunk, mask, decode, controller.signal).catch((error: unknown) => {
            controller.abort(error)
            throw error
          }),
        ),
      )
      return results.flat()
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  async #batchGetChunk<T extends {digest: string; parseError?: string}>(
    digests: string[],
    mask: readonly string[],
    decode: (transaction: GrpcTypes.ExecutedTransaction, checkpoint: bigint) => T,
    signal: AbortSignal | undefined,
  ): Promise<T[]> {
    const request = {digests, readMask: fieldMask(mask)}
    const reply = await this.#policy.unary(
      'BatchGetTransactions',
      async (rpc) => failedDigest(await this.#checkpoints.batchGetTransactions(request, rpc), digests),
      signal ? {signal} : {},
    )
    if (reply.transactions.length !== digests.length) {
      throw malformedResponse('BatchGetTransactions', `${reply.transactions.length} results for ${digests.length} digests`)
    }
    return reply.transactions.map((result, i) => {
      // failedDigest has let only transactions through, each with its checkpoint.
      const {transaction, wireError} = result as {transaction: GrpcTypes.ExecutedTransaction; wireError?: string}
      const digest = digests[i] as string
      if (transaction.digest !== undefined && transaction.digest !== digest) {
        throw malformedResponse('BatchGetTransactions', `result ${i} is transaction ${transaction.digest}, not ${digest}`)
      }
      const record = decodeOrFail('BatchGetTransactions', () => decode(transaction, transaction.checkpoint as bigint), `transaction ${digest}`)
      // The digest is the one asked for even when the node's reply left it out or garbled it.
      record.digest = digest
      if (wireError !== undefined) record.parseError = record.parseError ? `${wireError}; ${record.parseError}` : wireError
      return record
    })
  }

  async *subscribe(signal: AbortSignal, options: SubscribeOptions = {}): AsyncGenerator<CheckpointRecord, void, undefined> {
    const frames = this.#policy.stream(
      'SubscribeCheckpoints',
      (rpc) => this.#checkpoints.subscribeCheckpoints({readMask: fieldMask(CHECKPOINT_READ_MASK)}, rpc),
      {signal, idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_SUBSCRIPTION_IDLE_MS},
    )
    for await (const frame of frames) {
      // A frame without a checkpoint only advances the cursor past filtered-out checkpoints.
      if (frame.checkpoint !== undefined) yield decodeCheckpoint(frame.checkpoint.checkpoint, frame.cursor, frame.checkpoint.transactionErrors)
    }
  }

  // Balances carry the height their reply names (the x-sui-checkpoint-height response header), so
  // these two await the whole call, headers included, rather than only its response; the height
  // known before the call bounds the value's window from below (height-window.ts).

  async balance(owner: string, coinType: string, options: StateReadOptions = {}): Promise<BalanceRecord> {
    const request = {owner: normalizeAddress(owner), coinType: normalizeCoinType(coinType)}
    const before = options.heightBefore ?? this.#highestSeen
    const {headers, response} = await this.#policy.unary('GetBalance', (rpc) => this.#sui.stateService.getBalance(request, rpc), options)
    const checkpoint = decodeOrFail('GetBalance', () => checkpointHeightOf(headers))
    this.#saw(checkpoint)
    return decodeOrFail('GetBalance', () => decodeBalance(response.balance, request.coinType, checkpoint, heightWindow(checkpoint, before)))
  }

  async balances(owner: string, options: StateReadOptions = {}): Promise<BalanceListing> {
    const address = normalizeAddress(owner)
    const before = options.heightBefore ?? this.#highestSeen
    const pages: {checkpoint: bigint; balances: GrpcTypes.Balance[]}[] = []
    let pageToken: Uint8Array | undefined
    do {
      const request: GrpcTypes.ListBalancesRequest = {owner: address, pageSize: PAGE_SIZE, ...(pageToken ? {pageToken} : {})}
      const {headers, response} = await this.#policy.unary('ListBalances', (rpc) => this.#sui.stateService.listBalances(request, rpc), options)
      // Each page is as of its own reply: the node may seal checkpoints between pages.
      const checkpoint = decodeOrFail('ListBalances', () => checkpointHeightOf(headers))
      this.#saw(checkpoint)
      pages.push({checkpoint, balances: response.balances})
      pageToken = nextPage(response.nextPageToken)
    } while (pageToken)
    const window = pages.map((p) => heightWindow(p.checkpoint, before)).reduce(spanOf)
    const checkpoint = pages.reduce((max, p) => (p.checkpoint > max ? p.checkpoint : max), 0n)
    const balances = pages.flatMap((page) => page.balances.map((b) => decodeOrFail('ListBalances', () => decodeBalance(b, '', page.checkpoint, window))))
    return {balances, checkpoint, window}
  }

  /** The highest height any reply has named so far: what is known before the next call. */
  #saw(height: bigint): void {
    if (this.#highestSeen === undefined || height > this.#highestSeen) this.#highestSeen = height
  }

  async coins(owner: string, coinType: string, options: CallOptions = {}): Promise<CoinRecord[]> {
    const address = normalizeAddress(owner)
    const objectType = normalizeCoinType(`0x2::coin::Coin<${normalizeCoinType(coinType)}>`)
    const out: CoinRecord[] = []
    let pageToken: Uint8Array | undefined
    do {
      const request: GrpcTypes.ListOwnedObjectsRequest = {
        owner: address,
        objectType,
        pageSize: PAGE_SIZE,
        readMask: fieldMask(COIN_READ_MASK),
        ...(pageToken ? {pageToken} : {}),
      }
      const response = await this.#policy.unary('ListOwnedObjects', (rpc) => this.#sui.stateService.listOwnedObjects(request, rpc).response, options)
      for (const object of response.objects) out.push(decodeOrFail('ListOwnedObjects', () => decodeCoin(object)))
      pageToken = nextPage(response.nextPageToken)
    } while (pageToken)
    return out
  }

  async coinInfo(coinType: string, options: CallOptions = {}): Promise<CoinInfoRecord> {
    const type = normalizeCoinType(coinType)
    const response = await this.#policy.unary('GetCoinInfo', (rpc) => this.#sui.stateService.getCoinInfo({coinType: type}, rpc).response, options)
    return decodeOrFail('GetCoinInfo', () => decodeCoinInfo(response, type))
  }

  async epoch(options: CallOptions = {}): Promise<EpochRecord> {
    const request: GrpcTypes.GetEpochRequest = {readMask: fieldMask(EPOCH_READ_MASK)}
    const response = await this.#policy.unary('GetEpoch', (rpc) => this.#sui.ledgerService.getEpoch(request, rpc).response, options)
    return decodeOrFail('GetEpoch', () => decodeEpoch(response.epoch))
  }

  async simulate(txBytes: Uint8Array, options: CallOptions = {}): Promise<ExecutionRecord> {
    const request: GrpcTypes.SimulateTransactionRequest = {transaction: {bcs: {value: txBytes}}, readMask: fieldMask(SIMULATE_READ_MASK)}
    const response = await this.#policy.unary('SimulateTransaction', (rpc) => this.#sui.transactionExecutionService.simulateTransaction(request, rpc).response, options)
    return decodeOrFail('SimulateTransaction', () => decodeExecution(response.transaction))
  }

  async execute(signed: SignedTransaction, options: CallOptions = {}): Promise<ExecutionRecord> {
    const request: GrpcTypes.ExecuteTransactionRequest = {
      transaction: {bcs: {value: signed.txBytes}},
      signatures: signed.signatures.map((signature) => ({bcs: {value: base64Bytes(signature)}, signature: {oneofKind: undefined}})),
      readMask: fieldMask(EXECUTE_READ_MASK),
    }
    const response = await this.#policy.unary('ExecuteTransaction', (rpc) => this.#sui.transactionExecutionService.executeTransaction(request, rpc).response, options)
    return decodeOrFail('ExecuteTransaction', () => decodeExecution(response.transaction))
  }

  metrics(): ChainMetricsSnapshot {
    return this.#metrics.snapshot()
  }

  close(): void {
    this.#close()
  }
}

// Some servers send an empty token on the last page; the SDK would loop on it (sui.md).
function nextPage(token: Uint8Array | undefined): Uint8Array | undefined {
  return token !== undefined && token.length > 0 ? token : undefined
}

function base64Bytes(value: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new TypeError('signature is not base64')
  return new Uint8Array(Buffer.from(value, 'base64'))
}

// Base58 of 32 bytes. Checked before sending: the node would answer INVALID_ARGUMENT for that
// digest alone, after a round trip, and the caller's mistake would look like the node's.
function assertDigest(digest: string): void {
  let bytes: Uint8Array
  try {
    bytes = fromBase58(digest)
  } catch {
    throw new TypeError(`not a transaction digest: ${JSON.stringify(digest)}`)
  }
  if (bytes.length !== 32) throw new TypeError(`not a transaction digest: ${JSON.stringify(digest)}`)
}

/**
 * Throws the first per-digest failure of a BatchGetTransactions reply as the RpcError a failed
 * call would be, so the CallPolicy treats it like one: UNAVAILABLE and the like are retried (the
 * whole chunk), NOT_FOUND is an answer and is not. A transaction without a checkpoint has been
 * executed but not checkpointed; this method is for checkpointed ones, so that is NOT_FOUND too.
 */
function failedDigest(reply: BatchGetTransactionsReply, digests: readonly string[]): BatchGetTransactionsReply {
  reply.transactions.forEach((result, i) => {
    const digest = digests[i] ?? '?'
    if ('error' in result) {
      // An error whose code is OK (0, or left out) is no answer: UNKNOWN, as any code not known.
      const status = (result.error.code !== 0 && GrpcStatusCode[result.error.code]) || 'UNKNOWN'
      throw new RpcError(`transaction ${digest}: ${result.error.message || status}`, status)
    }
    if (result.transaction.checkpoint === undefined) throw new RpcError(`transaction ${digest} is not in a checkpoint yet`, 'NOT_FOUND')
  })
  return reply
}

/** A reply the node sent but that does not hold what was asked: not retried, reported as DATA_LOSS. */
function decodeOrFail<T>(method: string, decode: () => T, what?: string): T {
  try {
    return decode()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw malformedResponse(method, what ? `${what}: ${message}` : message)
  }
}
