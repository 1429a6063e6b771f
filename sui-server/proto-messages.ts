// Ledger records → sui.rpc.v2 messages, every field the server models filled in; read masks then
// keep only what was asked for (read-mask.ts). Field comments name the proto fields.
//
// Not modelled: the `bcs` fields of transaction, effects, events and checkpoint summary (a real node
// serves the BCS bytes; here they are absent), validator signatures (placeholder bytes), and
// accumulator writes for SIP-58 address-balance changes in effects.changed_objects. Digests are
// reproducible base58 hashes of the record, not hashes of BCS content.
import {GrpcTypes} from '@mysten/sui/grpc'
import type {
  ChangedObjectRecord, CheckpointRecord, CommandRecord, EventRecord, ExecutionErrorRecord, GasCost, Json, ObjectRef, TransactionRecord,
} from './chain-builder.ts'
import {digestOf} from './chain-builder.ts'
import {coinObjectType, type CoinObject} from './coin-store.ts'

type Value = NonNullable<GrpcTypes.Event['json']>

/**
 * `X.create()` then the given fields, one level deep. create() gives every repeated field and oneof
 * its default (without them protobuf-ts cannot serialize); create(partial) would do the same but
 * deep-merges the partial by reflection, which made encoding a checkpoint five times slower.
 */
function make<T extends object>(type: {create(): T}, fields: Partial<T>): T {
  return Object.assign(type.create(), fields)
}

/** google.protobuf.Timestamp from milliseconds. */
export function timestampOf(ms: bigint): {seconds: bigint; nanos: number} {
  return {seconds: ms / 1000n, nanos: Number(ms % 1000n) * 1_000_000}
}

/** sui.rpc.v2.Checkpoint with summary, contents and every transaction. */
export function checkpointMessage(cp: CheckpointRecord): GrpcTypes.Checkpoint {
  return make(GrpcTypes.Checkpoint, {
    sequenceNumber: cp.sequenceNumber, // sequence_number
    digest: cp.digest, // digest
    summary: {
      digest: cp.digest,
      epoch: cp.epoch,
      sequenceNumber: cp.sequenceNumber,
      totalNetworkTransactions: cp.totalNetworkTransactions, // total_network_transactions
      contentDigest: digestOf('contents', cp.digest), // content_digest
      previousDigest: cp.previousDigest, // previous_digest (absent at genesis)
      epochRollingGasCostSummary: gasSummary(sumGas(cp.transactions)), // epoch_rolling_gas_cost_summary (this checkpoint only)
      timestamp: timestampOf(cp.timestampMs), // timestamp
      commitments: [],
    },
    signature: {epoch: cp.epoch, signature: placeholderBytes(48, cp.digest), bitmap: new Uint8Array([0])},
    contents: {
      digest: digestOf('contents', cp.digest),
      version: 1,
      transactions: cp.transactions.map((t) => ({transaction: t.digest, effects: effectsDigest(t), signatures: signaturesOf(t), addressAliasesVersions: []})),
    },
    transactions: cp.transactions.map((t, index) => executedTransactionMessage(t, {checkpoint: cp, index})),
  })
}

/** sui.rpc.v2.ExecutedTransaction; `placement` is absent while the transaction waits for a checkpoint. */
/**
 * `fields`: the top-level fields a read mask asks for (the first segment of each path). Only those
 * are built, since effects and signatures cost the most; the caller's mask trims the rest. Absent:
 * every field, as for pre-encoded checkpoints.
 */
export function executedTransactionMessage(t: TransactionRecord, placement?: {checkpoint: CheckpointRecord; index: number}, fields?: ReadonlySet<string>): GrpcTypes.ExecutedTransaction {
  const want = (field: string) => fields === undefined || fields.has(field)
  return make(GrpcTypes.ExecutedTransaction, {
    digest: t.digest, // digest
    transaction: want('transaction') ? transactionMessage(t) : undefined, // transaction
    signatures: want('signatures') ? signaturesOf(t) : [], // signatures (each with bcs: the SDK's parser reads it)
    effects: want('effects') ? effectsMessage(t) : undefined, // effects
    events: want('events') ? {digest: t.events.length ? digestOf('events', t.digest) : undefined, events: t.events.map(eventMessage)} : undefined, // events
    checkpoint: placement?.checkpoint.sequenceNumber, // checkpoint
    timestamp: placement ? timestampOf(placement.checkpoint.timestampMs) : undefined, // timestamp
    balanceChanges: want('balance_changes') ? t.balanceChanges.map((c) => ({address: c.address, coinType: c.coinType, amount: c.amount.toString()})) : [], // balance_changes (signed string)
    transactionIndex: placement ? BigInt(placement.index) : undefined, // transaction_index
  })
}

/** The top-level fields named by read-mask paths (`effects.status` -> `effects`). */
export function topLevelFields(paths: readonly string[]): ReadonlySet<string> {
  return new Set(paths.map((path) => path.split('.')[0] ?? path))
}

/** sui.rpc.v2.Transaction: sender, kind, gas_payment, expiration. */
function transactionMessage(t: TransactionRecord): GrpcTypes.Transaction {
  return make(GrpcTypes.Transaction, {
    digest: t.digest,
    version: 1,
    kind: kindMessage(t),
    sender: t.sender,
    gasPayment: {objects: t.gasPayment.objects.map(refMessage), owner: t.gasPayment.owner, price: t.gasPayment.price, budget: t.gasPayment.budget},
    expiration: {kind: GrpcTypes.TransactionExpiration_TransactionExpirationKind.NONE},
  })
}

function kindMessage(t: TransactionRecord): GrpcTypes.TransactionKind {
  if (t.kind === 'CONSENSUS_COMMIT_PROLOGUE_V4') {
    return make(GrpcTypes.TransactionKind, {
      kind: GrpcTypes.TransactionKind_Kind.CONSENSUS_COMMIT_PROLOGUE_V4,
      data: {oneofKind: 'consensusCommitPrologue', consensusCommitPrologue: {epoch: t.epoch, round: 0n, consensusCommitDigest: digestOf('commit', t.digest)}},
    })
  }
  const {inputs, commands} = programmable(t.commands)
  return make(GrpcTypes.TransactionKind, {
    kind: GrpcTypes.TransactionKind_Kind.PROGRAMMABLE_TRANSACTION, // kind
    data: {oneofKind: 'programmableTransaction', programmableTransaction: {inputs, commands}}, // programmable_transaction
  })
}

/** sui.rpc.v2.ProgrammableTransaction: inputs (pure amounts and recipients) and commands. */
function programmable(records: CommandRecord[]): {inputs: GrpcTypes.Input[]; commands: GrpcTypes.Command[]} {
  const inputs: GrpcTypes.Input[] = []
  const input = (pure: Uint8Array): GrpcTypes.Argument => {
    inputs.push(make(GrpcTypes.Input, {kind: GrpcTypes.Input_InputKind.PURE, pure}))
    return {kind: GrpcTypes.Argument_ArgumentKind.INPUT, input: inputs.length - 1}
  }
  const gas = {kind: GrpcTypes.Argument_ArgumentKind.GAS}
  const previous = (index: number) => ({kind: GrpcTypes.Argument_ArgumentKind.RESULT, result: index - 1})
  const commands = records.map((c, index): GrpcTypes.Command => {
    switch (c.kind) {
      case 'moveCall':
        return make(GrpcTypes.Command, {command: {oneofKind: 'moveCall', moveCall: {package: c.call.package, module: c.call.module, function: c.call.function, typeArguments: c.call.typeArguments, arguments: []}}})
      case 'splitCoins':
        return make(GrpcTypes.Command, {command: {oneofKind: 'splitCoins', splitCoins: {coin: gas, amounts: c.amounts.map((a) => input(u64(a)))}}})
      case 'mergeCoins':
        return make(GrpcTypes.Command, {command: {oneofKind: 'mergeCoins', mergeCoins: {coin: gas, coinsToMerge: []}}})
      case 'transferObjects':
        return make(GrpcTypes.Command, {command: {oneofKind: 'transferObjects', transferObjects: {objects: [previous(index)], address: input(Buffer.from(c.recipient.slice(2), 'hex'))}}})
    }
  })
  return {inputs, commands}
}

/** sui.rpc.v2.TransactionEffects: status (with error when failed), gas_used, changed_objects. */
function effectsMessage(t: TransactionRecord): GrpcTypes.TransactionEffects {
  const gasCoin = t.gasPayment.objects[0]?.objectId
  const changed = t.changedObjects.map(changedObjectMessage)
  return make(GrpcTypes.TransactionEffects, {
    digest: effectsDigest(t),
    version: 2,
    status: statusMessage(t), // status
    epoch: t.epoch, // epoch
    gasUsed: gasSummary(t.gasUsed), // gas_used
    transactionDigest: t.digest, // transaction_digest
    gasObject: changed.find((c) => c.objectId === gasCoin), // gas_object
    eventsDigest: t.events.length ? digestOf('events', t.digest) : undefined,
    lamportVersion: t.changedObjects.reduce((v, c) => (c.output && c.output.version > v ? c.output.version : v), 0n) || undefined,
    changedObjects: changed, // changed_objects
  })
}

function statusMessage(t: TransactionRecord): GrpcTypes.ExecutionStatus {
  if (t.status.success) return make(GrpcTypes.ExecutionStatus, {success: true})
  // A failed status always carries its error: the SDK's response parser crashes without one.
  return make(GrpcTypes.ExecutionStatus, {success: false, error: errorMessage(t.status.error)})
}

function errorMessage(error: ExecutionErrorRecord): GrpcTypes.ExecutionError {
  const kind = GrpcTypes.ExecutionError_ExecutionErrorKind[error.kind]
  if (!error.abort) return make(GrpcTypes.ExecutionError, {description: error.description, command: error.command, kind})
  const {abortCode, package: pkg, module, functionName} = error.abort
  return make(GrpcTypes.ExecutionError, {
    description: error.description,
    command: error.command,
    kind,
    errorDetails: {oneofKind: 'abort', abort: {abortCode, location: {package: pkg, module, functionName, function: 0, instruction: 0}}},
  })
}

/** sui.rpc.v2.ChangedObject for a coin object, with the owner before and after. */
function changedObjectMessage(c: ChangedObjectRecord): GrpcTypes.ChangedObject {
  const S = GrpcTypes
  return make(S.ChangedObject, {
    objectId: c.objectId,
    inputState: c.input ? S.ChangedObject_InputObjectState.EXISTS : S.ChangedObject_InputObjectState.DOES_NOT_EXIST,
    inputVersion: c.input?.version,
    inputDigest: c.input?.digest,
    inputOwner: c.input ? addressOwner(c.input.owner) : undefined,
    outputState: c.output ? S.ChangedObject_OutputObjectState.OBJECT_WRITE : S.ChangedObject_OutputObjectState.DOES_NOT_EXIST,
    outputVersion: c.output?.version,
    outputDigest: c.output?.digest,
    outputOwner: c.output ? addressOwner(c.output.owner) : undefined,
    idOperation: {none: S.ChangedObject_IdOperation.NONE, created: S.ChangedObject_IdOperation.CREATED, deleted: S.ChangedObject_IdOperation.DELETED}[c.idOperation],
    objectType: c.objectType,
  })
}

/** sui.rpc.v2.Event as it appears in a transaction. */
function eventMessage(e: EventRecord): GrpcTypes.Event {
  return make(GrpcTypes.Event, {
    packageId: e.packageId, // package_id
    module: e.module, // module
    sender: e.sender, // sender
    eventType: e.type, // event_type
    json: jsonValue(e.json), // json
    // checkpoint, transaction_digest, transaction_index, event_index are left out: a node fills
    // them for ListEvents, not inside a checkpoint's transactions.
  })
}

/** sui.rpc.v2.Object for a coin, as ListOwnedObjects and GetObject return it. */
export function coinObjectMessage(coin: CoinObject): GrpcTypes.Object {
  return make(GrpcTypes.Object, {
    objectId: coin.objectId, // object_id
    version: coin.version, // version
    digest: coin.digest, // digest
    owner: addressOwner(coin.owner), // owner
    objectType: coinObjectType(coin.coinType), // object_type: 0x2::coin::Coin<T>
    hasPublicTransfer: true,
    balance: coin.balance, // balance (the coin's value)
  })
}

export function refMessage(ref: ObjectRef): GrpcTypes.ObjectReference {
  return {objectId: ref.objectId, version: ref.version, digest: ref.digest}
}

function addressOwner(address: string): GrpcTypes.Owner {
  return {kind: GrpcTypes.Owner_OwnerKind.ADDRESS, address}
}

function gasSummary(gas: GasCost): GrpcTypes.GasCostSummary {
  return {computationCost: gas.computationCost, storageCost: gas.storageCost, storageRebate: gas.storageRebate, nonRefundableStorageFee: gas.nonRefundableStorageFee}
}

function sumGas(transactions: TransactionRecord[]): GasCost {
  const total = {computationCost: 0n, storageCost: 0n, storageRebate: 0n, nonRefundableStorageFee: 0n}
  for (const {gasUsed: g} of transactions) {
    total.computationCost += g.computationCost
    total.storageCost += g.storageCost
    total.storageRebate += g.storageRebate
    total.nonRefundableStorageFee += g.nonRefundableStorageFee
  }
  return total
}

function effectsDigest(t: TransactionRecord): string {
  return digestOf('effects', t.digest)
}

/** One Ed25519 user signature; placeholder bytes, but the 97-byte bcs is there for the SDK. */
function signaturesOf(t: TransactionRecord): GrpcTypes.UserSignature[] {
  if (t.kind !== 'PROGRAMMABLE_TRANSACTION') return []
  const signature = placeholderBytes(64, t.digest)
  const publicKey = placeholderBytes(32, t.sender)
  const bcs = new Uint8Array([0, ...signature, ...publicKey]) // flag 0x00 = Ed25519
  return [make(GrpcTypes.UserSignature, {
    bcs: {value: bcs},
    scheme: GrpcTypes.SignatureScheme.ED25519,
    signature: {oneofKind: 'simple', simple: {scheme: GrpcTypes.SignatureScheme.ED25519, signature, publicKey}},
  })]
}

function placeholderBytes(length: number, seed: string): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = seed.charCodeAt(i % seed.length) ^ i
  return bytes
}

/** Little-endian u64, the BCS form of a pure amount input. */
function u64(value: bigint): Uint8Array {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64LE(value)
  return bytes
}

/** google.protobuf.Value from plain JSON, as the node renders Move values. */
export function jsonValue(json: Json): Value {
  if (json === null) return {kind: {oneofKind: 'nullValue', nullValue: 0}}
  if (typeof json === 'boolean') return {kind: {oneofKind: 'boolValue', boolValue: json}}
  if (typeof json === 'number') return {kind: {oneofKind: 'numberValue', numberValue: json}}
  if (typeof json === 'string') return {kind: {oneofKind: 'stringValue', stringValue: json}}
  if (Array.isArray(json)) return {kind: {oneofKind: 'listValue', listValue: {values: json.map(jsonValue)}}}
  const fields: {[key: string]: Value} = {}
  for (const [k, v] of Object.entries(json)) fields[k] = jsonValue(v)
  return {kind: {oneofKind: 'structValue', structValue: {fields}}}
}
