// A programmable transaction as the local Sui server executes it: TransactionData with plain
// values (bigint amounts and versions, normalized addresses and types), whichever form it arrived
// in. ExecuteTransaction receives BCS (parsed here with the SDK's TransactionDataBuilder);
// SimulateTransaction may receive the structured sui.rpc.v2.Transaction instead (grpc-program.ts),
// whose BCS and digest programToBcs() gives back once it is resolved.
import {type Argument, type TransactionData, TransactionDataBuilder} from '@mysten/sui/transactions'
import {fromBase64, toBase64} from '@mysten/sui/utils'
import type {ObjectRef} from './chain-builder.ts'
import {normalizeAddress, normalizeCoinType} from '../src/sui/identifiers.ts'
import {notModelled, rejected} from './refusal.ts'

export type ProgramArgument = {kind: 'gas'} | {kind: 'input'; index: number} | {kind: 'result'; command: number; nested?: number}

export type ProgramInput =
  | {kind: 'pure'; bytes: Uint8Array}
  | {kind: 'owned'; objectId: string; version: bigint; digest: string}
  | {kind: 'shared'; objectId: string; initialSharedVersion: bigint; mutable: boolean}
  | {kind: 'receiving'; objectId: string; version: bigint; digest: string}
  /** A FundsWithdrawal input (SIP-58): up to `amount` of Balance<coinType> from an address balance. */
  | {kind: 'withdrawal'; amount: bigint; coinType: string; from: 'sender' | 'sponsor'}
  /** An object named by id only; SimulateTransaction resolves it, ExecuteTransaction never sees one. */
  | {kind: 'unresolved'; objectId: string}

export type ProgramCommand =
  | {kind: 'moveCall'; package: string; module: string; function: string; typeArguments: string[]; arguments: ProgramArgument[]}
  | {kind: 'transferObjects'; objects: ProgramArgument[]; address: ProgramArgument}
  | {kind: 'splitCoins'; coin: ProgramArgument; amounts: ProgramArgument[]}
  | {kind: 'mergeCoins'; destination: ProgramArgument; sources: ProgramArgument[]}
  | {kind: 'makeMoveVec'; type: string | undefined; elements: ProgramArgument[]}
  | {kind: 'publish'; modules: Uint8Array[]; dependencies: string[]}
  | {kind: 'upgrade'; modules: Uint8Array[]; dependencies: string[]; package: string; ticket: ProgramArgument}

export type ProgramExpiration =
  | {kind: 'none'}
  | {kind: 'epoch'; epoch: bigint}
  /** Required when gas is paid from an address balance: it keeps the digest unique instead of gas coin versions. */
  | {kind: 'validDuring'; minEpoch?: bigint; maxEpoch?: bigint; chain: string; nonce: number}
  | {kind: 'validity'}

export interface ProgramGas {
  owner: string
  price?: bigint
  budget?: bigint
  /** Empty: gas is paid from the owner's SUI address balance (SIP-58). */
  payment: ObjectRef[]
}

export interface Program {
  sender: string
  gas: ProgramGas
  expiration: ProgramExpiration
  inputs: ProgramInput[]
  commands: ProgramCommand[]
}

/** The BCS TransactionData of ExecuteTransaction (or of a simulation sent as BCS). */
export function programFromBcs(bytes: Uint8Array): Program {
  let data: TransactionData
  try {
    data = TransactionDataBuilder.fromBytes(bytes).snapshot()
  } catch (error) {
    throw rejected(`invalid transaction: ${error instanceof Error ? error.message : String(error)}`)
  }
  if (!data.sender) throw rejected('invalid transaction: no sender')
  const sender = normalizeAddress(data.sender)
  return {
    sender,
    gas: {
      owner: normalizeAddress(data.gasData.owner ?? sender),
      price: optionalBigInt(data.gasData.price),
      budget: optionalBigInt(data.gasData.budget),
      payment: (data.gasData.payment ?? []).map((ref) => ({objectId: normalizeAddress(ref.objectId), version: BigInt(ref.version), digest: ref.digest})),
    },
    expiration: expirationOf(data.expiration),
    inputs: data.inputs.map(inputOf),
    commands: data.commands.map(commandOf),
  }
}

function optionalBigInt(value: string | number | null | undefined): bigint | undefined {
  return value === null || value === undefined ? undefined : BigInt(value)
}

function expirationOf(expiration: TransactionData['expiration']): ProgramExpiration {
  if (!expiration || expiration.$kind === 'None') return {kind: 'none'}
  if (expiration.$kind === 'Epoch') return {kind: 'epoch', epoch: BigInt(expiration.Epoch)}
  if (expiration.$kind === 'ValidDuring') {
    const v = expiration.ValidDuring
    return {kind: 'validDuring', minEpoch: optionalBigInt(v.minEpoch), maxEpoch: optionalBigInt(v.maxEpoch), chain: v.chain, nonce: v.nonce}
  }
  return {kind: 'validity'}
}

function inputOf(input: TransactionData['inputs'][number]): ProgramInput {
  if (input.Pure) return {kind: 'pure', bytes: fromBase64(input.Pure.bytes)}
  const object = input.Object
  if (object?.ImmOrOwnedObject) return {kind: 'owned', ...objectRef(object.ImmOrOwnedObject)}
  if (object?.Receiving) return {kind: 'receiving', ...objectRef(object.Receiving)}
  if (object?.SharedObject) {
    const {objectId, initialSharedVersion, mutable} = object.SharedObject
    return {kind: 'shared', objectId: normalizeAddress(objectId), initialSharedVersion: BigInt(initialSharedVersion), mutable}
  }
  const withdrawal = input.FundsWithdrawal
  if (withdrawal) {
    if (withdrawal.withdrawFrom.SenderAllowance) throw notModelled('a FundsWithdrawal input from a sender allowance')
    return {
      kind: 'withdrawal',
      amount: BigInt(withdrawal.reservation.MaxAmountU64),
      coinType: normalizeCoinType(withdrawal.typeArg.Balance),
      from: withdrawal.withdrawFrom.Sponsor ? 'sponsor' : 'sender',
    }
  }
  throw rejected(`invalid transaction: input ${JSON.stringify(input)}`)
}

function objectRef(ref: {objectId: string; version: string | number; digest: string}): {objectId: string; version: bigint; digest: string} {
  return {objectId: normalizeAddress(ref.objectId), version: BigInt(ref.version), digest: ref.digest}
}

function commandOf(command: TransactionData['commands'][number]): ProgramCommand {
  const arg = argumentOf
  if (command.MoveCall) {
    const c = command.MoveCall
    return {kind: 'moveCall', package: normalizeAddress(c.package), module: c.module, function: c.function, typeArguments: c.typeArguments.map(normalizeTypeTag), arguments: c.arguments.map(arg)}
  }
  if (command.TransferObjects) return {kind: 'transferObjects', objects: command.TransferObjects.objects.map(arg), address: arg(command.TransferObjects.address)}
  if (command.SplitCoins) return {kind: 'splitCoins', coin: arg(command.SplitCoins.coin), amounts: command.SplitCoins.amounts.map(arg)}
  if (command.MergeCoins) return {kind: 'mergeCoins', destination: arg(command.MergeCoins.destination), sources: command.MergeCoins.sources.map(arg)}
  if (command.MakeMoveVec) return {kind: 'makeMoveVec', type: command.MakeMoveVec.type ?? undefined, elements: command.MakeMoveVec.elements.map(arg)}
  if (command.Publish) return {kind: 'publish', modules: command.Publish.modules.map(fromBase64), dependencies: command.Publish.dependencies}
  if (command.Upgrade) {
    const u = command.Upgrade
    return {kind: 'upgrade', modules: u.modules.map(fromBase64), dependencies: u.dependencies, package: normalizeAddress(u.package), ticket: arg(u.ticket)}
  }
  throw rejected(`invalid transaction: command ${JSON.stringify(command)}`)
}

function argumentOf(argument: Argument): ProgramArgument {
  if (argument.$kind === 'GasCoin') return {kind: 'gas'}
  if (argument.$kind === 'Input') return {kind: 'input', index: argument.Input}
  if (argument.$kind === 'Result') return {kind: 'result', command: argument.Result}
  return {kind: 'result', command: argument.NestedResult[0], nested: argument.NestedResult[1]}
}

/** A Move type argument: struct tags normalized like coin types, primitives (u64, vector<u8>) as given. */
export function normalizeTypeTag(type: string): string {
  return /^0x[0-9a-fA-F]+::/.test(type) ? normalizeCoinType(type) : type
}

/** The object ids a program names as inputs (owned, shared and receiving), for limits and clashes. */
export function inputObjectIds(program: Program): string[] {
  return program.inputs.flatMap((input) => ('objectId' in input ? [input.objectId] : []))
}

/**
 * The BCS TransactionData of a resolved program (every object at a version, gas price and budget
 * set), through the SDK's TransactionDataBuilder; its digest is TransactionDataBuilder's too.
 */
export function programToBcs(program: Program): Uint8Array {
  const argument = (arg: ProgramArgument) => {
    if (arg.kind === 'gas') return {GasCoin: true as const}
    if (arg.kind === 'input') return {Input: arg.index}
    return arg.nested === undefined ? {Result: arg.command} : {NestedResult: [arg.command, arg.nested] as [number, number]}
  }
  return TransactionDataBuilder.restore({
    version: 2,
    sender: program.sender,
    expiration: expirationToSdk(program.expiration),
    gasData: {
      owner: program.gas.owner,
      price: String(program.gas.price ?? 0n),
      budget: String(program.gas.budget ?? 0n),
      payment: program.gas.payment.map((ref) => ({objectId: ref.objectId, version: String(ref.version), digest: ref.digest})),
    },
    inputs: program.inputs.map(inputToSdk),
    commands: program.commands.map((command) => commandToSdk(command, argument)),
  }).build()
}

function expirationToSdk(expiration: ProgramExpiration) {
  if (expiration.kind === 'epoch') return {Epoch: String(expiration.epoch)}
  if (expiration.kind === 'validDuring') {
    const {minEpoch, maxEpoch, chain, nonce} = expiration
    return {ValidDuring: {minEpoch: minEpoch === undefined ? null : String(minEpoch), maxEpoch: maxEpoch === undefined ? null : String(maxEpoch), minTimestamp: null, maxTimestamp: null, chain, nonce}}
  }
  if (expiration.kind === 'validity') throw notModelled('a Validity expiration (allowed proposers)')
  return {None: true as const}
}

function inputToSdk(input: ProgramInput) {
  switch (input.kind) {
    case 'pure':
      return {Pure: {bytes: toBase64(input.bytes)}}
    case 'owned':
      return {Object: {ImmOrOwnedObject: {objectId: input.objectId, version: String(input.version), digest: input.digest}}}
    case 'receiving':
      return {Object: {Receiving: {objectId: input.objectId, version: String(input.version), digest: input.digest}}}
    case 'shared':
      return {Object: {SharedObject: {objectId: input.objectId, initialSharedVersion: String(input.initialSharedVersion), mutable: input.mutable}}}
    case 'withdrawal': {
      const withdrawFrom = input.from === 'sponsor' ? {Sponsor: true as const} : {Sender: true as const}
      return {FundsWithdrawal: {reservation: {MaxAmountU64: String(input.amount)}, typeArg: {Balance: input.coinType}, withdrawFrom}}
    }
    case 'unresolved':
      throw new Error(`object ${input.objectId} must be resolved before the transaction is encoded`)
  }
}

function commandToSdk<A>(command: ProgramCommand, arg: (a: ProgramArgument) => A) {
  switch (command.kind) {
    case 'moveCall': {
      const {package: pkg, module, function: fn, typeArguments} = command
      return {MoveCall: {package: pkg, module, function: fn, typeArguments, arguments: command.arguments.map(arg)}}
    }
    case 'transferObjects':
      return {TransferObjects: {objects: command.objects.map(arg), address: arg(command.address)}}
    case 'splitCoins':
      return {SplitCoins: {coin: arg(command.coin), amounts: command.amounts.map(arg)}}
    case 'mergeCoins':
      return {MergeCoins: {destination: arg(command.destination), sources: command.sources.map(arg)}}
    case 'makeMoveVec':
      return {MakeMoveVec: {type: command.type ?? null, elements: command.elements.map(arg)}}
    case 'publish':
      return {Publish: {modules: command.modules.map((m) => toBase64(m)), dependencies: command.dependencies}}
    case 'upgrade':
      return {Upgrade: {modules: command.modules.map((m) => toBase64(m)), dependencies: command.dependencies, package: command.package, ticket: arg(command.ticket)}}
  }
}
