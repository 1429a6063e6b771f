// sui.rpc.v2.LedgerService: GetServiceInfo, GetCheckpoint, ListCheckpoints and ListTransactions
// (server streaming, list-transactions.ts), GetTransaction, BatchGetTransactions, GetObject,
// BatchGetObjects (coin objects only), GetEpoch. ListEvents answers UNIMPLEMENTED, as nodes
// without the mid-2026 list RPCs do; the server's options turn the two list RPCs off likewise.
import * as grpc from '@grpc/grpc-js'
import {GrpcTypes} from '@mysten/sui/grpc'
import {fromBase58} from '@mysten/sui/utils'
import type {CheckpointRecord} from '../chain-builder.ts'
import {REFERENCE_GAS_PRICE} from '../chain-builder.ts'
import {type CheckpointCache, cursorOf} from '../checkpoint-cache.ts'
import type {TransactionCache} from '../transaction-cache.ts'
import {type FrameSink, type ServiceParts, rpcError} from '../grpc-server.ts'
import type {Ledger} from '../ledger.ts'
import {coinObjectMessage, executedTransactionMessage, timestampOf, topLevelFields} from '../proto-messages.ts'
import {masked} from '../masked.ts'
import {messageField, preEncoded} from '../wire.ts'
import {type ListTransactionsOptions, listTransactions} from './list-transactions.ts'

export const SERVER_NAME = 'confio-sui-test-server'
/** ListCheckpoints' item limit when the request sets none, and the most it allows. */
const LIST_DEFAULT_LIMIT = 50
const LIST_MAX_LIMIT = 1000

export interface LedgerServiceOptions {
  /** false: ListCheckpoints answers UNIMPLEMENTED, like a node without it. */
  listCheckpoints: boolean
  /** false: ListTransactions answers UNIMPLEMENTED, like a node without it. */
  listTransactions: boolean
  /** ListTransactions' per-request budgets: checkpoints a filtered scan examines, items returned. */
  listTransactionsLimits: ListTransactionsOptions
}

export function ledgerService(ledger: Ledger, cache: CheckpointCache, transactions: TransactionCache, opts: LedgerServiceOptions): ServiceParts {
  return {
    info: GrpcTypes.LedgerService,
    unary: {
      getServiceInfo: async () => serviceInfo(ledger),
      getCheckpoint: async (request: GrpcTypes.GetCheckpointRequest) => {
        const cp = findCheckpoint(ledger, request.checkpointId)
        return preEncoded<GrpcTypes.GetCheckpointResponse>(encode(cache, cp, request.readMask?.paths))
      },
      getTransaction: async (request: GrpcTypes.GetTransactionRequest) => {
        const found = ledger.transaction(request.digest ?? '')
        if (!found) throw rpcError('NOT_FOUND', `transaction ${request.digest} not found`)
        return GrpcTypes.GetTransactionResponse.create({transaction: transactionMessage(found, request.readMask?.paths)})
      },
      batchGetTransactions: async (request: GrpcTypes.BatchGetTransactionsRequest) => batchGetTransactions(ledger, transactions, request),
      getObject: async (request: GrpcTypes.GetObjectRequest) => {
        const coin = ledger.store.get(request.objectId ?? '')
        if (!coin) throw rpcError('NOT_FOUND', `object ${request.objectId} not found`)
        return GrpcTypes.GetObjectResponse.create({object: masked(GrpcTypes.Object, coinObjectMessage(coin), request.readMask?.paths, OBJECT_MASK)})
      },
      batchGetObjects: async (request: GrpcTypes.BatchGetObjectsRequest) => GrpcTypes.BatchGetObjectsResponse.create({
        objects: request.requests.map((r): GrpcTypes.GetObjectResult => {
          const coin = ledger.store.get(r.objectId ?? '')
          if (!coin) return {result: {oneofKind: 'error', error: {code: 5, message: `object ${r.objectId} not found`, details: []}}}
          return {result: {oneofKind: 'object', object: masked(GrpcTypes.Object, coinObjectMessage(coin), request.readMask?.paths, OBJECT_MASK)}}
        }),
      }),
      getEpoch: async (request: GrpcTypes.GetEpochRequest) => {
        const epoch = GrpcTypes.Epoch.create({
          epoch: ledger.epoch, // epoch
          firstCheckpoint: 0n, // first_checkpoint
          start: timestampOf(ledger.checkpoint(ledger.lowestAvailableCheckpoint)?.timestampMs ?? 0n), // start
          referenceGasPrice: REFERENCE_GAS_PRICE, // reference_gas_price
        })
        return GrpcTypes.GetEpochResponse.create({epoch: masked(GrpcTypes.Epoch, epoch, request.readMask?.paths, ['epoch'])})
      },
    },
    streaming: {
      ...(opts.listCheckpoints ? {listCheckpoints: (request, sink) => listCheckpoints(ledger, cache, request, sink)} : {}),
      ...(opts.listTransactions ? {listTransactions: (request, sink) => listTransactions(ledger, request, sink, opts.listTransactionsLimits)} : {}),
    },
  }
}

const OBJECT_MASK = ['object_id', 'version', 'digest']

/**
 * The most digests one BatchGetTransactions may name: the ledger service's hard cap (Sui's
 * indexer reader of it, sui-indexer-alt-reader, never sends more than 200). Beyond it the request
 * is refused as a whole, so a client that forgets to chunk fails here rather than on mainnet.
 */
export const MAX_BATCH_GET_TRANSACTIONS = 200

/**
 * BatchGetTransactions as sui-rpc-api answers it (ledger_service/get_transaction.rs): the read
 * mask (default `digest`) is validated first and a bad path fails the whole request; then one
 * GetTransactionResult per requested digest, in request order: `transaction` = 1, or `error` = 2,
 * a google.rpc.Status with INVALID_ARGUMENT (3) for a string that is not a digest and NOT_FOUND (5)
 * for an unknown or pruned one. A transaction executed but not yet checkpointed is answered
 * without `checkpoint`, `timestamp` and `transaction_index`, as a fullnode does.
 */
function batchGetTransactions(ledger: Ledger, cache: TransactionCache, request: GrpcTypes.BatchGetTransactionsRequest): GrpcTypes.BatchGetTransactionsResponse {
  if (request.digests.length > MAX_BATCH_GET_TRANSACTIONS) {
    throw rpcError('INVALID_ARGUMENT', `too many digests: ${request.digests.length} exceeds the limit of ${MAX_BATCH_GET_TRANSACTIONS}`)
  }
  const paths = request.readMask?.paths
  masked(GrpcTypes.ExecutedTransaction, GrpcTypes.ExecutedTransaction.create(), paths, ['digest']) // validates the mask up front
  // Written field by field, so that a transaction encoded ahead (TransactionCache) goes out as is:
  // BatchGetTransactionsResponse { repeated GetTransactionResult transactions = 1 },
  // GetTransactionResult { oneof result { ExecutedTransaction transaction = 1; Status error = 2 } }.
  const error = (code: number, message: string) => GrpcTypes.GetTransactionResult.toBinary({result: {oneofKind: 'error', error: {code, message, details: []}}})
  const results = request.digests.map((digest): Uint8Array => {
    if (!isDigest(digest)) return error(grpc.status.INVALID_ARGUMENT, `invalid digest: ${JSON.stringify(digest)}`)
    const found = ledger.transaction(digest)
    if (!found) return error(grpc.status.NOT_FOUND, `Transaction ${digest} not found`)
    // The cache holds checkpointed transactions only, whose reply no longer changes.
    return messageField(1, cache.encoded(digest, paths) ?? GrpcTypes.ExecutedTransaction.toBinary(transactionMessage(found, paths)))
  })
  return preEncoded<GrpcTypes.BatchGetTransactionsResponse>(Buffer.concat(results.map((result) => messageField(1, result))))
}

/** A transaction digest is base58 of 32 bytes. */
function isDigest(value: string): boolean {
  try {
    return fromBase58(value).length === 32
  } catch {
    return false
  }
}

function serviceInfo(ledger: Ledger): GrpcTypes.GetServiceInfoResponse {
  const info = ledger.serviceInfo()
  return GrpcTypes.GetServiceInfoResponse.create({
    chainId: info.chainId, // chain_id
    chain: info.chain, // chain
    epoch: info.epoch, // epoch
    checkpointHeight: info.checkpointHeight, // checkpoint_height
    timestamp: timestampOf(info.timestampMs), // timestamp
    lowestAvailableCheckpoint: info.lowestAvailableCheckpoint, // lowest_available_checkpoint
    lowestAvailableCheckpointObjects: info.lowestAvailableCheckpoint, // lowest_available_checkpoint_objects
    server: SERVER_NAME, // server
  })
}

function findCheckpoint(ledger: Ledger, id: GrpcTypes.GetCheckpointRequest['checkpointId']): CheckpointRecord {
  if (id.oneofKind === 'digest') {
    const cp = ledger.checkpointByDigest(id.digest)
    if (!cp) throw rpcError('NOT_FOUND', `checkpoint ${id.digest} not found`)
    return cp
  }
  if (id.oneofKind !== 'sequenceNumber') return ledger.latestCheckpoint()
  const cp = ledger.checkpoint(id.sequenceNumber)
  if (cp) return cp
  if (id.sequenceNumber < ledger.lowestAvailableCheckpoint) {
    throw rpcError('NOT_FOUND', `checkpoint ${id.sequenceNumber} has been pruned; lowest available is ${ledger.lowestAvailableCheckpoint}`)
  }
  throw rpcError('NOT_FOUND', `checkpoint ${id.sequenceNumber} not found; latest is ${ledger.checkpointHeight}`)
}

/** The checkpoint as an encoded field 1 (see CheckpointCache.encoded); an unknown read_mask path is the caller's INVALID_ARGUMENT. */
export function encode(cache: CheckpointCache, cp: CheckpointRecord, paths: readonly string[] | undefined): Buffer {
  try {
    return cache.encoded(cp, paths)
  } catch (error) {
    if (error instanceof Error && error.name === 'InvalidReadMask') throw rpcError('INVALID_ARGUMENT', error.message)
    throw error
  }
}

/** The ListCheckpointsResponse frame {checkpoint, watermark} (CheckpointCache.listFrame), with encode's errors. */
function listFrame(cache: CheckpointCache, cp: CheckpointRecord, paths: readonly string[] | undefined): Buffer {
  try {
    return cache.listFrame(cp, paths)
  } catch (error) {
    if (error instanceof Error && error.name === 'InvalidReadMask') throw rpcError('INVALID_ARGUMENT', error.message)
    throw error
  }
}

export function transactionMessage(found: NonNullable<ReturnType<Ledger['transaction']>>, paths: readonly string[] | undefined): GrpcTypes.ExecutedTransaction {
  const placement = found.checkpoint && found.index !== undefined ? {checkpoint: found.checkpoint, index: found.index} : undefined
  const fields = topLevelFields(paths?.length ? paths : ['digest'])
  return masked(GrpcTypes.ExecutedTransaction, executedTransactionMessage(found.record, placement, fields), paths, ['digest'])
}

/**
 * ListCheckpoints: ascending or descending over [start, end) ∩ (after, before), one frame per
 * checkpoint with a watermark, and `end` on the final frame (with the last item for ITEM_LIMIT,
 * alone otherwise). Cursors are the 8-byte big-endian sequence number. Filters are not modelled.
 */
async function listCheckpoints(ledger: Ledger, cache: CheckpointCache, request: GrpcTypes.ListCheckpointsRequest, sink: FrameSink): Promise<void> {
  if (request.filter?.terms.length) throw rpcError('UNIMPLEMENTED', 'ListCheckpoints filters are not modelled by the confio test server')
  const range = listRange(ledger, request)
  const limit = Math.min(request.options?.limit || LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT)
  const descending = request.options?.ordering === GrpcTypes.Ordering.DESCENDING
  const count = range.end > range.start ? Number(range.end - range.start) : 0
  for (let i = 0; i < Math.min(count, limit); i++) {
    const seq = descending ? range.end - 1n - BigInt(i) : range.start + BigInt(i)
    const cp = ledger.checkpoint(seq)
    if (!cp) throw rpcError('NOT_FOUND', `checkpoint ${seq} has been pruned`)
    const last = i === limit - 1 && count > limit
    const checkpointAndWatermark = listFrame(cache, cp, request.readMask?.paths) // checkpoint = 1, watermark = 2
    const frame = last
      ? Buffer.concat([checkpointAndWatermark, messageField(3, GrpcTypes.QueryEnd.toBinary({reason: GrpcTypes.QueryEndReason.ITEM_LIMIT}))]) // end = 3
      : checkpointAndWatermark
    if (!(await sink.send(frame))) return
    if (last) return sink.end()
  }
  const covered = count === 0 ? undefined : descending ? range.start : range.end - 1n
  const reason = range.boundedBy === 'tip' ? GrpcTypes.QueryEndReason.LEDGER_TIP : range.boundedBy === 'cursor' ? GrpcTypes.QueryEndReason.CURSOR_BOUND : GrpcTypes.QueryEndReason.CHECKPOINT_BOUND
  const final = GrpcTypes.ListCheckpointsResponse.create({
    watermark: {cursor: cursorOf(covered ?? range.start), checkpoint: covered},
    end: {reason},
  })
  if (await sink.send(final)) sink.end()
}

interface Range {
  start: bigint
  end: bigint
  boundedBy: 'tip' | 'checkpoint' | 'cursor'
}

function listRange(ledger: Ledger, request: GrpcTypes.ListCheckpointsRequest): Range {
  const tipEnd = ledger.checkpointHeight + 1n
  let start = request.startCheckpoint ?? ledger.lowestAvailableCheckpoint
  let end = request.endCheckpoint ?? tipEnd
  let boundedBy: Range['boundedBy'] = request.endCheckpoint === undefined ? 'tip' : 'checkpoint'
  if (end > tipEnd) [end, boundedBy] = [tipEnd, 'tip']
  const after = request.options?.after?.length ? sequenceOf(request.options.after) + 1n : undefined
  const before = request.options?.before?.length ? sequenceOf(request.options.before) : undefined
  if (after !== undefined && after > start) start = after
  if (before !== undefined && before < end) [end, boundedBy] = [before, 'cursor']
  if (start < ledger.lowestAvailableCheckpoint) {
    throw rpcError('NOT_FOUND', `checkpoint ${start} has been pruned; lowest available is ${ledger.lowestAvailableCheckpoint}`)
  }
  return {start, end, boundedBy}
}

function sequenceOf(cursor: Uint8Array): bigint {
  if (cursor.length !== 8) throw rpcError('INVALID_ARGUMENT', 'invalid cursor')
  return Buffer.from(cursor).readBigUInt64BE()
}
