// Plain records of Sui transactions and checkpoints, and a small fluent builder for them, in the
// spirit of Sui's TestCheckpointBuilder: a test states only what matters to it
// (`tx().sender(a).moveCall(pkg, 'pay', 'pay').event(type, json).build()`) and the rest gets
// mainnet-like defaults. The local Sui server's ledger builds every transaction with it too, so the
// records a test builds by hand and the ones the server serves have one shape.
//
// Records hold plain values (bigint amounts, 0x+64-hex addresses); converting them to sui.rpc.v2
// messages is the server's job (sui-server/proto-messages.ts).
import {createHash} from 'node:crypto'
import {toBase58} from '@mysten/sui/utils'
import {normalizeAddress, normalizeCoinType, packageOfType} from '../src/sui/identifiers.ts'

export type Json = null | boolean | number | string | Json[] | {[key: string]: Json}

/** sui.rpc.v2.MoveCall: package, module, function, type_arguments. */
export interface MoveCallRecord {
  package: string
  module: string
  function: string
  typeArguments: string[]
}

/** The programmable-transaction commands the server models (sui.rpc.v2.Command oneof). */
export type CommandRecord =
  | {kind: 'moveCall'; call: MoveCallRecord}
  | {kind: 'splitCoins'; amounts: bigint[]}
  | {kind: 'mergeCoins'; coins: number}
  | {kind: 'transferObjects'; recipient: string}

/** sui.rpc.v2.Event. package_id and module name the emitting module, event_type the struct. */
export interface EventRecord {
  type: string
  packageId: string
  module: string
  sender: string
  json: Json
}

/** sui.rpc.v2.BalanceChange; amount is signed (a string on the wire). */
export interface BalanceChangeRecord {
  address: string
  coinType: string
  amount: bigint
}

/** sui.rpc.v2.GasCostSummary, in MIST. The sender pays computation + storage - rebate. */
export interface GasCost {
  computationCost: bigint
  storageCost: bigint
  storageRebate: bigint
  nonRefundableStorageFee: bigint
}

/** sui.rpc.v2.ObjectReference. */
export interface ObjectRef {
  objectId: string
  version: bigint
  digest: string
}

/** sui.rpc.v2.GasPayment. No objects means gas paid from the sender's address balance (SIP-58). */
export interface GasPaymentRecord {
  objects: ObjectRef[]
  owner: string
  price: bigint
  budget: bigint
}

/** Names of sui.rpc.v2.ExecutionError.ExecutionErrorKind values the server uses. */
export type ExecutionErrorKindName =
  | 'MOVE_ABORT' | 'INSUFFICIENT_COIN_BALANCE' | 'INSUFFICIENT_GAS' | 'COMMAND_ARGUMENT_ERROR' | 'EXECUTION_ERROR_KIND_UNKNOWN'
  | 'COIN_BALANCE_OVERFLOW' | 'UNUSED_VALUE_WITHOUT_DROP' | 'INSUFFICIENT_FUNDS_FOR_WITHDRAW'

/** sui.rpc.v2.ExecutionError: a failed status must carry one or the SDK's parser crashes. */
export interface ExecutionErrorRecord {
  description: string
  kind: ExecutionErrorKindName
  command?: bigint
  abort?: {abortCode: bigint; package: string; module: string; functionName: string}
}

export type StatusRecord = {success: true} | {success: false; error: ExecutionErrorRecord}

/** sui.rpc.v2.ChangedObject, for the coin objects a transaction read, wrote, created or deleted. */
export interface ChangedObjectRecord {
  objectId: string
  objectType: string
  input?: {version: bigint; digest: string; owner: string}
  output?: {version: bigint; digest: string; owner: string}
  idOperation: 'none' | 'created' | 'deleted'
}

/** Kinds of sui.rpc.v2.TransactionKind the server emits. */
export type TransactionKindName = 'PROGRAMMABLE_TRANSACTION' | 'CONSENSUS_COMMIT_PROLOGUE_V4'

export interface TransactionRecord {
  digest: string
  kind: TransactionKindName
  sender: string
  commands: CommandRecord[]
  events: EventRecord[]
  balanceChanges: BalanceChangeRecord[]
  status: StatusRecord
  gasUsed: GasCost
  gasPayment: GasPaymentRecord
  changedObjects: ChangedObjectRecord[]
  epoch: bigint
}

export interface CheckpointRecord {
  sequenceNumber: bigint
  digest: string
  previousDigest?: string
  epoch: bigint
  timestampMs: bigint
  /** Transactions in the network up to and including this checkpoint. */
  totalNetworkTransactions: bigint
  transactions: TransactionRecord[]
}

export const ZERO_ADDRESS = normalizeAddress('0x0')
/** Mainnet's reference gas price is in this range; the exact figure does not matter to confio. */
export const REFERENCE_GAS_PRICE = 750n
export const DEFAULT_GAS_BUDGET = 10_000_000n
/** A typical mainnet coin transfer: 1,000 computation units and one new coin object of storage. */
export const DEFAULT_GAS: GasCost = {
  computationCost: 750_000n,
  storageCost: 1_976_000n,
  storageRebate: 978_120n,
  nonRefundableStorageFee: 9_880n,
}
/** A failed transaction still writes its gas coin, so it pays a smaller storage charge. */
export const FAILED_GAS: GasCost = {
  computationCost: 750_000n,
  storageCost: 988_000n,
  storageRebate: 978_120n,
  nonRefundableStorageFee: 9_880n,
}
export const NO_GAS: GasCost = {computationCost: 0n, storageCost: 0n, storageRebate: 0n, nonRefundableStorageFee: 0n}

/** What the sender's SUI balance goes down by. */
export function netGas(gas: GasCost): bigint {
  return gas.computationCost + gas.storageCost - gas.storageRebate
}

/** A base58 32-byte digest derived from the parts, so the same scenario gives the same digests. */
export function digestOf(...parts: (string | bigint | number)[]): string {
  return toBase58(createHash('sha256').update(parts.join('|')).digest())
}

/** A 0x+64-hex id derived from the parts (object ids, generated addresses and packages). */
export function idOf(...parts: (string | bigint | number)[]): string {
  return '0x' + createHash('sha256').update(parts.join('|')).digest('hex')
}

let builtTransactions = 0

export class TransactionBuilder {
  #digest: string | undefined
  #kind: TransactionKindName = 'PROGRAMMABLE_TRANSACTION'
  #sender = ZERO_ADDRESS
  #commands: CommandRecord[] = []
  #events: EventRecord[] = []
  #balanceChanges: BalanceChangeRecord[] = []
  #status: StatusRecord = {success: true}
  #gas: GasCost = DEFAULT_GAS
  #gasPayment: GasPaymentRecord | undefined
  #changedObjects: ChangedObjectRecord[] = []
  #epoch = 0n

  digest(digest: string): this {
    this.#digest = digest
    return this
  }

  /** A consensus commit prologue: the system transaction that opens every mainnet checkpoint. */
  prologue(): this {
    this.#kind = 'CONSENSUS_COMMIT_PROLOGUE_V4'
    this.#sender = ZERO_ADDRESS
    this.#gas = NO_GAS
    return this
  }

  sender(address: string): this {
    this.#sender = normalizeAddress(address)
    return this
  }

  moveCall(pkg: string, module: string, fn: string, typeArguments: string[] = []): this {
    const call = {package: normalizeAddress(pkg), module, function: fn, typeArguments: typeArguments.map(normalizeCoinType)}
    this.#commands.push({kind: 'moveCall', call})
    return this
  }

  command(command: CommandRecord): this {
    this.#commands.push(command)
    return this
  }

  /** An event of the struct `type`; the emitting module defaults to the type's own module. */
  event(type: string, json: Json, opts: {sender?: string; packageId?: string; module?: string} = {}): this {
    const normalized = normalizeCoinType(type)
    this.#events.push({
      type: normalized,
      packageId: opts.packageId === undefined ? packageOfType(normalized) : normalizeAddress(opts.packageId),
      module: opts.module ?? normalized.split('::')[1] ?? '',
      sender: opts.sender === undefined ? this.#sender : normalizeAddress(opts.sender),
      json,
    })
    return this
  }

  balanceChange(address: string, coinType: string, amount: bigint): this {
    this.#balanceChanges.push({address: normalizeAddress(address), coinType: normalizeCoinType(coinType), amount})
    return this
  }

  gas(cost: Partial<GasCost>): this {
    this.#gas = {...this.#gas, ...cost}
    return this
  }

  gasPayment(payment: GasPaymentRecord): this {
    this.#gasPayment = payment
    return this
  }

  changedObject(change: ChangedObjectRecord): this {
    this.#changedObjects.push(change)
    return this
  }

  /** Marks the transaction failed; the default error is a Move abort in its first Move call. */
  fail(description = 'MoveAbort: aborted with code 1', opts: Partial<Omit<ExecutionErrorRecord, 'description'>> = {}): this {
    const firstCall = this.#commands.find((c) => c.kind === 'moveCall')
    const abort = firstCall?.kind === 'moveCall'
      ? {abortCode: 1n, package: firstCall.call.package, module: firstCall.call.module, functionName: firstCall.call.function}
      : undefined
    const kind = opts.kind ?? (abort ? 'MOVE_ABORT' : 'EXECUTION_ERROR_KIND_UNKNOWN')
    this.#status = {success: false, error: {description, kind, command: opts.command ?? 0n, abort: opts.abort ?? (kind === 'MOVE_ABORT' ? abort : undefined)}}
    return this
  }

  epoch(epoch: bigint): this {
    this.#epoch = epoch
    return this
  }

  build(): TransactionRecord {
    builtTransactions += 1
    return {
      digest: this.#digest ?? digestOf('tx', this.#sender, builtTransactions, process.pid),
      kind: this.#kind,
      sender: this.#sender,
      commands: [...this.#commands],
      events: [...this.#events],
      balanceChanges: [...this.#balanceChanges],
      status: this.#status,
      gasUsed: this.#gas,
      gasPayment: this.#gasPayment ?? {objects: [], owner: this.#sender, price: REFERENCE_GAS_PRICE, budget: DEFAULT_GAS_BUDGET},
      changedObjects: [...this.#changedObjects],
      epoch: this.#epoch,
    }
  }
}

export class CheckpointBuilder {
  #sequenceNumber: bigint
  #digest: string | undefined
  #previousDigest: string | undefined
  #epoch = 0n
  #timestampMs: bigint | undefined
  #totalNetworkTransactions: bigint | undefined
  #transactions: TransactionRecord[] = []

  constructor(sequenceNumber: bigint) {
    this.#sequenceNumber = sequenceNumber
  }

  digest(digest: string): this {
    this.#digest = digest
    return this
  }

  previousDigest(digest: string | undefined): this {
    this.#previousDigest = digest
    return this
  }

  epoch(epoch: bigint): this {
    this.#epoch = epoch
    return this
  }

  timestampMs(ms: bigint): this {
    this.#timestampMs = ms
    return this
  }

  totalNetworkTransactions(total: bigint): this {
    this.#totalNetworkTransactions = total
    return this
  }

  tx(transaction: TransactionRecord | TransactionBuilder): this {
    this.#transactions.push(transaction instanceof TransactionBuilder ? transaction.build() : transaction)
    return this
  }

  build(): CheckpointRecord {
    const transactions = [...this.#transactions]
    return {
      sequenceNumber: this.#sequenceNumber,
      // A checkpoint digest commits to its position, its predecessor and its contents.
      digest: this.#digest ?? digestOf('checkpoint', this.#sequenceNumber, this.#previousDigest ?? '', ...transactions.map((t) => t.digest)),
      previousDigest: this.#previousDigest,
      epoch: this.#epoch,
      timestampMs: this.#timestampMs ?? BigInt(Date.now()),
      totalNetworkTransactions: this.#totalNetworkTransactions ?? BigInt(transactions.length),
      transactions,
    }
  }
}

export function tx(): TransactionBuilder {
  return new TransactionBuilder()
}

export function checkpoint(sequenceNumber: bigint): CheckpointBuilder {
  return new CheckpointBuilder(sequenceNumber)
}
