// Random checkpoints and transactions in the SDK's message shape, for the wire fuzz test: mostly
// plausible (addresses and packages from small pools, some of them watched, so relevance is decided
// both ways), with the odd part the decoder must refuse (short addresses, types that do not parse,
// amounts that are not integers, missing status) so that parse errors are compared too.
import {GrpcTypes} from '@mysten/sui/grpc'

import type {Random} from '../../sui-server/random.ts'

type ExecutedTransactionInit = NonNullable<Parameters<typeof GrpcTypes.ExecutedTransaction.create>[0]>
type CommandInit = NonNullable<Parameters<typeof GrpcTypes.Command.create>[0]>
type EventInit = NonNullable<Parameters<typeof GrpcTypes.Event.create>[0]>
/** google.protobuf.Value, as an event's JSON. */
type ValueInit = NonNullable<GrpcTypes.Event['json']>

/** The names a generated transaction draws from. */
export interface TransactionPools {
  watchedAccounts: readonly string[]
  watchedPackages: readonly string[]
  strangers: readonly string[]
  otherPackages: readonly string[]
}

const hex = (r: Random, bytes: number): string => Array.from({length: bytes}, () => r.int(0, 255).toString(16).padStart(2, '0')).join('')
export const randomAddress = (r: Random): string => `0x${hex(r, 32)}`

/** Pools of `size` names each; packages start with zero bytes so that their short forms differ. */
export function randomPools(r: Random, size: number): TransactionPools {
  const names = (prefix: string) => Array.from({length: size}, () => `0x${prefix}${hex(r, 32 - prefix.length / 2)}`)
  return {watchedAccounts: names(''), strangers: names(''), watchedPackages: names('0000'), otherPackages: names('00')}
}

export class RandomTransactions {
  readonly #r: Random
  readonly #pools: TransactionPools

  constructor(random: Random, pools: TransactionPools) {
    this.#r = random
    this.#pools = pools
  }

  /** A ListCheckpointsResponse frame's message: one checkpoint of `count` transactions. */
  checkpoint(sequenceNumber: bigint, count: number): GrpcTypes.Checkpoint {
    const r = this.#r
    const transactions = Array.from({length: count}, () => {
      const tx = this.transaction()
      // A checkpoint read may carry each transaction's own checkpoint: it must be this one.
      if (r.chance(0.3)) tx.checkpoint = sequenceNumber
      return tx
    })
    return GrpcTypes.Checkpoint.create({sequenceNumber, digest: this.#digest(), summary: {timestamp: {seconds: BigInt(r.int(1, 2 ** 31)), nanos: r.int(0, 999_999_999)}}, transactions})
  }

  /** An executed transaction as a checkpoint read or a details read returns it. */
  transaction(details = false): GrpcTypes.ExecutedTransaction {
    const r = this.#r
    const init: ExecutedTransactionInit = {
      digest: r.chance(0.98) ? this.#digest() : '',
      transaction: {
        sender: this.#address(),
        ...(r.chance(0.7) ? {gasPayment: {owner: this.#address(), objects: []}} : {}),
        kind: this.#kind(),
      },
      effects: {
        ...(r.chance(0.97) ? {status: r.chance(0.85) ? {success: true} : {success: false, error: {description: r.chance(0.5) ? 'MoveAbort' : '', kind: r.int(0, 40), errorDetails: {oneofKind: undefined}}}} : {}),
        ...(r.chance(0.97) ? {gasUsed: {computationCost: BigInt(r.int(0, 10 ** 9)), storageCost: BigInt(r.int(0, 10 ** 9)), storageRebate: BigInt(r.int(0, 10 ** 9))}} : {}),
      },
      events: {events: Array.from({length: r.int(0, 3)}, () => this.#event(details))},
      balanceChanges: Array.from({length: r.int(0, 4)}, () => ({address: this.#address(), coinType: this.#coinType(), amount: this.#amount()})),
    }
    if (details) Object.assign(init, {checkpoint: BigInt(r.int(1, 10 ** 6)), transactionIndex: BigInt(r.int(0, 90)), timestamp: {seconds: BigInt(r.int(1, 2 ** 31)), nanos: r.int(0, 999_999_999)}})
    return GrpcTypes.ExecutedTransaction.create(init)
  }

  #kind(): GrpcTypes.TransactionKind {
    const r = this.#r
    if (r.chance(0.15)) {
      return GrpcTypes.TransactionKind.create({kind: GrpcTypes.TransactionKind_Kind.CONSENSUS_COMMIT_PROLOGUE_V4, data: {oneofKind: 'consensusCommitPrologue', consensusCommitPrologue: {epoch: BigInt(r.int(0, 900))}}})
    }
    const commands = Array.from({length: r.int(0, 3)}, () => GrpcTypes.Command.create(this.#command()))
    return GrpcTypes.TransactionKind.create({kind: GrpcTypes.TransactionKind_Kind.PROGRAMMABLE_TRANSACTION, data: {oneofKind: 'programmableTransaction', programmableTransaction: {inputs: [], commands}}})
  }

  #command(): CommandInit {
    const r = this.#r
    if (r.chance(0.3)) return {command: {oneofKind: 'transferObjects', transferObjects: {objects: [], address: {kind: 1, input: r.int(0, 3)}}}}
    if (r.chance(0.2)) return {command: {oneofKind: 'splitCoins', splitCoins: {amounts: []}}}
    const module = r.chance(0.97) ? r.pick(['pay', 'p2p', 'cusd']) : ''
    return {command: {oneofKind: 'moveCall', moveCall: {package: this.#package(), module, function: r.pick(['transfer', 'mint', 'settle']), typeArguments: [], arguments: []}}}
  }

  #event(details: boolean): EventInit {
    const r = this.#r
    const type = r.chance(0.97) ? `${this.#package()}::${r.pick(['pay', 'p2p'])}::${r.pick(['Paid', 'Traded'])}${r.chance(0.2) ? `<${this.#coinType()}>` : ''}` : 'not a type'
    return {sender: this.#address(), eventType: type, ...(details && r.chance(0.8) ? {json: this.#json(3)} : {})}
  }

  /** A Move value as JSON (google.protobuf.Value), `depth` levels at most. */
  #json(depth: number): ValueInit {
    const r = this.#r
    const choice = r.int(0, depth > 0 ? 5 : 3)
    if (choice === 0) return {kind: {oneofKind: 'stringValue', stringValue: r.pick(['', 'x', '100', 'é'])}}
    if (choice === 1) return {kind: {oneofKind: 'boolValue', boolValue: r.chance(0.5)}}
    if (choice === 2) return {kind: {oneofKind: 'numberValue', numberValue: r.pick([0, 1.5, -3, 2 ** 53])}}
    if (choice === 3) return {kind: {oneofKind: 'nullValue', nullValue: 0}}
    if (choice === 4) return {kind: {oneofKind: 'listValue', listValue: {values: Array.from({length: r.int(0, 3)}, () => this.#json(depth - 1))}}}
    const fields: Record<string, ValueInit> = {}
    for (let i = r.int(0, 3); i > 0; i--) fields[r.pick(['amount', 'to', 'coin', 'id'])] = this.#json(depth - 1)
    return {kind: {oneofKind: 'structValue', structValue: {fields}}}
  }

  #address(): string {
    const r = this.#r
    if (r.chance(0.03)) return r.pick(['0x2', '', `0X${hex(r, 32)}`, `0x${hex(r, 31)}`])
    return r.chance(0.15) ? r.pick(this.#pools.watchedAccounts) : r.pick(this.#pools.strangers)
  }

  #package(): string {
    const r = this.#r
    const id = r.chance(0.15) ? r.pick(this.#pools.watchedPackages) : r.pick(this.#pools.otherPackages)
    // Now and then in short form, as a node may write a framework package.
    return r.chance(0.1) ? id.replace(/^0x0+/, '0x') : id
  }

  #coinType(): string {
    const r = this.#r
    if (r.chance(0.03)) return r.pick(['0x2::sui', 'sui', `${this.#package()}::c::C<`])
    return r.chance(0.4) ? r.pick(['0x2::sui::SUI', `0x${'0'.repeat(63)}2::sui::SUI`]) : `${this.#package()}::cusd::CUSD`
  }

  #amount(): string {
    const r = this.#r
    if (r.chance(0.03)) return r.pick(['', '12a', '0x1f', ' 5', '-'])
    return `${r.chance(0.5) ? '-' : ''}${r.int(0, 2 ** 31)}${r.chance(0.2) ? '000000000' : ''}`
  }

  #digest(): string {
    const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
    return Array.from({length: 44}, () => this.#r.pick([...alphabet])).join('')
  }
}
