// sui.rpc.v2.Transaction <-> Program. SimulateTransaction accepts the structured form, possibly
// unresolved (the SDK's gRPC client sends what it built and lets the node fill in gas and object
// versions), and answers with the resolved transaction in the same form; ExecuteTransaction
// echoes the transaction it executed. Field comments name the proto fields.
import {GrpcTypes} from '@mysten/sui/grpc'
import {normalizeAddress, normalizeCoinType} from '../src/sui/identifiers.ts'
import {type Program, type ProgramArgument, type ProgramCommand, type ProgramExpiration, type ProgramInput, normalizeTypeTag} from './program.ts'
import {notModelled, rejected} from './refusal.ts'

const {Input_InputKind: InputKind, Argument_ArgumentKind: ArgumentKind, TransactionExpiration_TransactionExpirationKind: ExpirationKind} = GrpcTypes
const SUI = normalizeCoinType('0x2::sui::SUI')

/** A structured transaction; inputs named by object id alone come back as 'unresolved'. */
export function programFromGrpc(transaction: GrpcTypes.Transaction): Program {
  if (!transaction.sender) throw rejected('invalid transaction: missing sender')
  const sender = normalizeAddress(transaction.sender)
  const kind = transaction.kind?.data
  if (kind && kind.oneofKind !== 'programmableTransaction') throw notModelled(`a ${kind.oneofKind ?? 'unknown'} transaction kind; only programmable transactions are executed`)
  const ptb = kind?.programmableTransaction ?? {inputs: [], commands: []}
  const gas = transaction.gasPayment
  return {
    sender,
    gas: {
      owner: normalizeAddress(gas?.owner ?? sender),
      price: gas?.price,
      budget: gas?.budget,
      payment: (gas?.objects ?? []).map((ref) => ({objectId: normalizeAddress(ref.objectId ?? ''), version: ref.version ?? 0n, digest: ref.digest ?? ''})),
    },
    expiration: expirationFromGrpc(transaction.expiration),
    inputs: ptb.inputs.map(inputFromGrpc),
    commands: ptb.commands.map(commandFromGrpc),
  }
}

function expirationFromGrpc(expiration: GrpcTypes.TransactionExpiration | undefined): ProgramExpiration {
  switch (expiration?.kind) {
    case undefined:
    case ExpirationKind.NONE:
    case ExpirationKind.TRANSACTION_EXPIRATION_KIND_UNKNOWN:
      return {kind: 'none'}
    case ExpirationKind.EPOCH:
      return {kind: 'epoch', epoch: expiration.epoch ?? 0n}
    case ExpirationKind.VALID_DURING:
      return {kind: 'validDuring', minEpoch: expiration.minEpoch, maxEpoch: expiration.epoch, chain: expiration.chain ?? '', nonce: expiration.nonce ?? 0}
    default:
      return {kind: 'validity'}
  }
}

function inputFromGrpc(input: GrpcTypes.Input, index: number): ProgramInput {
  const objectId = normalizeAddress(input.objectId ?? '0x0')
  switch (input.kind) {
    case InputKind.PURE:
      return {kind: 'pure', bytes: input.pure ?? new Uint8Array()}
    case InputKind.IMMUTABLE_OR_OWNED:
      return input.version === undefined || !input.digest ? {kind: 'unresolved', objectId} : {kind: 'owned', objectId, version: input.version, digest: input.digest}
    case InputKind.SHARED:
      return {kind: 'shared', objectId, initialSharedVersion: input.version ?? 0n, mutable: input.mutable ?? true}
    case InputKind.RECEIVING:
      return {kind: 'receiving', objectId, version: input.version ?? 0n, digest: input.digest ?? ''}
    case InputKind.FUNDS_WITHDRAWAL:
      return withdrawalFromGrpc(input.fundsWithdrawal)
    default:
      if (input.literal) throw notModelled(`input ${index} is a literal, which needs the Move function's signature to encode`)
      if (!input.objectId) throw rejected(`invalid transaction: input ${index} has no kind`)
      return {kind: 'unresolved', objectId}
  }
}

function withdrawalFromGrpc(withdrawal: GrpcTypes.FundsWithdrawal | undefined): ProgramInput {
  const source = withdrawal?.source ?? GrpcTypes.FundsWithdrawal_Source.SENDER
  if (source === GrpcTypes.FundsWithdrawal_Source.SENDER_ALLOWANCE) throw notModelled('a FundsWithdrawal input from a sender allowance')
  return {
    kind: 'withdrawal',
    amount: withdrawal?.amount ?? 0n,
    coinType: normalizeCoinType(withdrawal?.coinType ?? SUI),
    from: source === GrpcTypes.FundsWithdrawal_Source.SPONSOR ? 'sponsor' : 'sender',
  }
}

function commandFromGrpc(command: GrpcTypes.Command, index: number): ProgramCommand {
  const c = command.command
  const arg = argumentFromGrpc
  switch (c.oneofKind) {
    case 'moveCall':
      return {
        kind: 'moveCall',
        package: normalizeAddress(c.moveCall.package ?? '0x0'),
        module: c.moveCall.module ?? '',
        function: c.moveCall.function ?? '',
        typeArguments: c.moveCall.typeArguments.map(normalizeTypeTag),
        arguments: c.moveCall.arguments.map(arg),
      }
    case 'transferObjects':
      return {kind: 'transferObjects', objects: c.transferObjects.objects.map(arg), address: arg(c.transferObjects.address)}
    case 'splitCoins':
      return {kind: 'splitCoins', coin: arg(c.splitCoins.coin), amounts: c.splitCoins.amounts.map(arg)}
    case 'mergeCoins':
      return {kind: 'mergeCoins', destination: arg(c.mergeCoins.coin), sources: c.mergeCoins.coinsToMerge.map(arg)}
    case 'makeMoveVector':
      return {kind: 'makeMoveVec', type: c.makeMoveVector.elementType, elements: c.makeMoveVector.elements.map(arg)}
    case 'publish':
      return {kind: 'publish', modules: c.publish.modules, dependencies: c.publish.dependencies}
    case 'upgrade':
      return {kind: 'upgrade', modules: c.upgrade.modules, dependencies: c.upgrade.dependencies, package: normalizeAddress(c.upgrade.package ?? '0x0'), ticket: arg(c.upgrade.ticket)}
    default:
      throw rejected(`invalid transaction: command ${index} is empty`)
  }
}

function argumentFromGrpc(argument: GrpcTypes.Argument | undefined): ProgramArgument {
  switch (argument?.kind) {
    case ArgumentKind.GAS:
      return {kind: 'gas'}
    case ArgumentKind.INPUT:
      return {kind: 'input', index: argument.input ?? 0}
    case ArgumentKind.RESULT:
      return {kind: 'result', command: argument.result ?? 0, nested: argument.subresult}
    default:
      throw rejected('invalid transaction: an argument has no kind')
  }
}

/** sui.rpc.v2.Transaction of a program: version, kind, sender, gas_payment, expiration. */
export function programToGrpc(program: Program): GrpcTypes.Transaction {
  return GrpcTypes.Transaction.create({
    version: 1, // version
    kind: {
      kind: GrpcTypes.TransactionKind_Kind.PROGRAMMABLE_TRANSACTION, // kind
      data: {oneofKind: 'programmableTransaction', programmableTransaction: {inputs: program.inputs.map(inputToGrpc), commands: program.commands.map(commandToGrpc)}},
    },
    sender: program.sender, // sender
    gasPayment: {objects: program.gas.payment, owner: program.gas.owner, price: program.gas.price, budget: program.gas.budget}, // gas_payment
    expiration: expirationToGrpc(program.expiration), // expiration
  })
}

function expirationToGrpc(expiration: ProgramExpiration): GrpcTypes.TransactionExpiration {
  switch (expiration.kind) {
    case 'none':
      return {kind: ExpirationKind.NONE}
    case 'epoch':
      return {kind: ExpirationKind.EPOCH, epoch: expiration.epoch}
    case 'validDuring':
      return {kind: ExpirationKind.VALID_DURING, minEpoch: expiration.minEpoch, epoch: expiration.maxEpoch, chain: expiration.chain, nonce: expiration.nonce}
    case 'validity':
      return {kind: ExpirationKind.VALIDITY}
  }
}

function inputToGrpc(input: ProgramInput): GrpcTypes.Input {
  switch (input.kind) {
    case 'pure':
      return {kind: InputKind.PURE, pure: input.bytes}
    case 'owned':
      return {kind: InputKind.IMMUTABLE_OR_OWNED, objectId: input.objectId, version: input.version, digest: input.digest}
    case 'shared':
      return {kind: InputKind.SHARED, objectId: input.objectId, version: input.initialSharedVersion, mutable: input.mutable}
    case 'receiving':
      return {kind: InputKind.RECEIVING, objectId: input.objectId, version: input.version, digest: input.digest}
    case 'withdrawal': {
      const source = input.from === 'sponsor' ? GrpcTypes.FundsWithdrawal_Source.SPONSOR : GrpcTypes.FundsWithdrawal_Source.SENDER
      return {kind: InputKind.FUNDS_WITHDRAWAL, fundsWithdrawal: {amount: input.amount, coinType: input.coinType, source}}
    }
    case 'unresolved':
      return {objectId: input.objectId}
  }
}

function commandToGrpc(command: ProgramCommand): GrpcTypes.Command {
  const arg = argumentToGrpc
  switch (command.kind) {
    case 'moveCall': {
      const {package: pkg, module, function: fn, typeArguments} = command
      return {command: {oneofKind: 'moveCall', moveCall: {package: pkg, module, function: fn, typeArguments, arguments: command.arguments.map(arg)}}}
    }
    case 'transferObjects':
      return {command: {oneofKind: 'transferObjects', transferObjects: {objects: command.objects.map(arg), address: arg(command.address)}}}
    case 'splitCoins':
      return {command: {oneofKind: 'splitCoins', splitCoins: {coin: arg(command.coin), amounts: command.amounts.map(arg)}}}
    case 'mergeCoins':
      return {command: {oneofKind: 'mergeCoins', mergeCoins: {coin: arg(command.destination), coinsToMerge: command.sources.map(arg)}}}
    case 'makeMoveVec':
      return {command: {oneofKind: 'makeMoveVector', makeMoveVector: {elementType: command.type, elements: command.elements.map(arg)}}}
    case 'publish':
      return {command: {oneofKind: 'publish', publish: {modules: command.modules, dependencies: command.dependencies}}}
    case 'upgrade': {
      const {modules, dependencies, package: pkg, ticket} = command
      return {command: {oneofKind: 'upgrade', upgrade: {modules, dependencies, package: pkg, ticket: arg(ticket)}}}
    }
  }
}

function argumentToGrpc(argument: ProgramArgument): GrpcTypes.Argument {
  if (argument.kind === 'gas') return {kind: ArgumentKind.GAS}
  if (argument.kind === 'input') return {kind: ArgumentKind.INPUT, input: argument.index}
  return {kind: ArgumentKind.RESULT, result: argument.command, subresult: argument.nested}
}
