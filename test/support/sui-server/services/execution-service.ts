// sui.rpc.v2.TransactionExecutionService, modelled enough for confio to call it.
//
// ExecuteTransaction: the transaction BCS is parsed with the SDK (TransactionDataBuilder.fromBytes)
// and its digest is the real one (blake2b of the intent bytes). Modelled: Move calls (recorded, no
// Move semantics), SplitCoins from the gas coin or an owned coin followed by TransferObjects of the
// split results or whole owned coins (these move balances), gas in SUI. A transfer the sender
// cannot fund executes as failed (INSUFFICIENT_COIN_BALANCE) and pays gas. Executing the same bytes
// twice returns the first execution. Not modelled: signature verification (any signature is
// accepted, at least one is required), MergeCoins, shared objects, sponsors, address-balance
// withdrawals in inputs, expiration.
//
// SimulateTransaction: echoes the transaction (structured or BCS), fills gas_payment from the
// sender's SUI coins when asked to select gas or when it is missing, and reports success with a
// typical gas cost and the sender's gas balance change; INSUFFICIENT_GAS when the sender has no SUI.
// No Move execution, no command_outputs.
import {GrpcTypes} from '@mysten/sui/grpc'
import {TransactionDataBuilder} from '@mysten/sui/transactions'
import {fromBase64} from '@mysten/sui/utils'
import {type BalanceChangeSpec, type Ledger} from '../ledger.ts'
import {type CommandRecord, DEFAULT_GAS, DEFAULT_GAS_BUDGET, REFERENCE_GAS_PRICE, netGas} from '../../chain-builder.ts'
import {SUI_COIN_TYPE, normalizeAddress} from '../../../../src/sui/identifiers.ts'
import {refOf} from '../coin-store.ts'
import {type ServiceParts, rpcError} from '../grpc-server.ts'
import {masked} from '../masked.ts'
import {executedTransactionMessage} from '../proto-messages.ts'

type ParsedTransaction = ReturnType<typeof TransactionDataBuilder.fromBytes>
type Argument = ParsedTransaction['commands'][number] extends infer C ? (C extends {SplitCoins: {coin: infer A}} ? A : never) : never

export function executionService(ledger: Ledger): ServiceParts {
  return {
    info: GrpcTypes.TransactionExecutionService,
    unary: {
      executeTransaction: async (request: GrpcTypes.ExecuteTransactionRequest) => {
        const bytes = request.transaction?.bcs?.value
        if (!bytes?.length) throw rpcError('INVALID_ARGUMENT', 'transaction.bcs is required')
        if (request.signatures.length === 0) throw rpcError('INVALID_ARGUMENT', 'at least one signature is required')
        const digest = TransactionDataBuilder.getDigestFromBytes(bytes)
        const found = ledger.transaction(digest) ?? {record: execute(ledger, parse(bytes), digest)}
        const placement = found.checkpoint && found.index !== undefined ? {checkpoint: found.checkpoint, index: found.index} : undefined
        const transaction = masked(GrpcTypes.ExecutedTransaction, executedTransactionMessage(found.record, placement), request.readMask?.paths, ['effects.status', 'checkpoint'])
        return GrpcTypes.ExecuteTransactionResponse.create({transaction})
      },
      simulateTransaction: async (request: GrpcTypes.SimulateTransactionRequest) => simulate(ledger, request),
    },
  }
}

function parse(bytes: Uint8Array): ParsedTransaction {
  try {
    return TransactionDataBuilder.fromBytes(bytes)
  } catch (error) {
    throw rpcError('INVALID_ARGUMENT', `cannot parse transaction bcs: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Runs the parsed transaction through the ledger's generic submit, with the balances it moves. */
function execute(ledger: Ledger, data: ParsedTransaction, digest: string) {
  if (!data.sender) throw rpcError('INVALID_ARGUMENT', 'transaction has no sender')
  const sender = normalizeAddress(data.sender)
  const commands: CommandRecord[] = []
  const balanceChanges: BalanceChangeSpec[] = []
  const splits = new Map<number, {coinType: string; amounts: bigint[]}>()
  data.commands.forEach((command, index) => {
    if (command.MoveCall) {
      const {package: pkg, module, function: fn, typeArguments} = command.MoveCall
      commands.push({kind: 'moveCall', call: {package: normalizeAddress(pkg), module, function: fn, typeArguments}})
    } else if (command.SplitCoins) {
      const coinType = coinTypeOf(ledger, data, command.SplitCoins.coin)
      const amounts = command.SplitCoins.amounts.map((a) => u64Of(data, a))
      splits.set(index, {coinType, amounts})
      commands.push({kind: 'splitCoins', amounts})
    } else if (command.TransferObjects) {
      const recipient = addressOf(data, command.TransferObjects.address)
      for (const object of command.TransferObjects.objects) {
        const moved = movedBy(ledger, data, splits, object)
        balanceChanges.push({address: sender, coinType: moved.coinType, amount: -moved.amount}, {address: recipient, coinType: moved.coinType, amount: moved.amount})
      }
      commands.push({kind: 'transferObjects', recipient})
    }
  })
  try {
    return ledger.submit({sender, commands, balanceChanges, digest})
  } catch (error) {
    throw rpcError('INVALID_ARGUMENT', error instanceof Error ? error.message : String(error))
  }
}

function coinTypeOf(ledger: Ledger, data: ParsedTransaction, arg: Argument): string {
  if (arg.$kind === 'GasCoin') return SUI_COIN_TYPE
  const objectId = arg.$kind === 'Input' ? data.inputs[arg.Input]?.Object?.ImmOrOwnedObject?.objectId : undefined
  const coin = objectId === undefined ? undefined : ledger.store.get(normalizeAddress(objectId))
  if (!coin) throw rpcError('INVALID_ARGUMENT', 'only the gas coin and owned coin objects can be split by the confio test server')
  return coin.coinType
}

/** A split result moves its amount; a whole owned coin moves its balance. */
function movedBy(ledger: Ledger, data: ParsedTransaction, splits: Map<number, {coinType: string; amounts: bigint[]}>, arg: Argument): {coinType: string; amount: bigint} {
  if (arg.$kind === 'Result' || arg.$kind === 'NestedResult') {
    const [command, nested] = arg.$kind === 'Result' ? [arg.Result, undefined] : arg.NestedResult
    const split = splits.get(command)
    if (!split) throw rpcError('INVALID_ARGUMENT', 'only results of SplitCoins can be transferred by the confio test server')
    const amount = nested === undefined ? split.amounts.reduce((a, b) => a + b, 0n) : (split.amounts[nested] ?? 0n)
    return {coinType: split.coinType, amount}
  }
  const coinType = coinTypeOf(ledger, data, arg)
  const objectId = arg.$kind === 'Input' ? data.inputs[arg.Input]?.Object?.ImmOrOwnedObject?.objectId : undefined
  return {coinType, amount: ledger.store.get(normalizeAddress(objectId ?? '0x0'))?.balance ?? 0n}
}

function pureOf(data: ParsedTransaction, arg: Argument): Uint8Array {
  const bytes = arg.$kind === 'Input' ? data.inputs[arg.Input]?.Pure?.bytes : undefined
  if (bytes === undefined) throw rpcError('INVALID_ARGUMENT', 'expected a pure input')
  return fromBase64(bytes)
}

function u64Of(data: ParsedTransaction, arg: Argument): bigint {
  return Buffer.from(pureOf(data, arg)).readBigUInt64LE()
}

function addressOf(data: ParsedTransaction, arg: Argument): string {
  return normalizeAddress('0x' + Buffer.from(pureOf(data, arg)).toString('hex'))
}

/** A dry run: nothing moves; the reply says what executing would cost the sender. */
function simulate(ledger: Ledger, request: GrpcTypes.SimulateTransactionRequest): GrpcTypes.SimulateTransactionResponse {
  const given = request.transaction ?? GrpcTypes.Transaction.create()
  const bcsSender = given.bcs?.value?.length ? parse(given.bcs.value).sender : undefined
  const sender = normalizeAddress(given.sender ?? bcsSender ?? '0x0')
  const gas = netGas(DEFAULT_GAS)
  const suiCoins = ledger.coins(sender, SUI_COIN_TYPE).sort((a, b) => (a.balance > b.balance ? -1 : 1))
  const canPay = ledger.balance(sender, SUI_COIN_TYPE).coinBalance + ledger.balance(sender, SUI_COIN_TYPE).addressBalance >= gas
  const selectGas = request.doGasSelection || !given.gasPayment?.objects.length
  const gasPayment = selectGas
    ? {objects: suiCoins.slice(0, 1).map(refOf), owner: sender, price: given.gasPayment?.price ?? REFERENCE_GAS_PRICE, budget: given.gasPayment?.budget ?? DEFAULT_GAS_BUDGET}
    : given.gasPayment
  const transaction = GrpcTypes.Transaction.create({
    ...given,
    sender,
    gasPayment,
    expiration: given.expiration ?? {kind: GrpcTypes.TransactionExpiration_TransactionExpirationKind.NONE},
  })
  const status = canPay
    ? {success: true}
    : {success: false, error: {description: `${sender} cannot pay gas`, kind: GrpcTypes.ExecutionError_ExecutionErrorKind.INSUFFICIENT_GAS, errorDetails: {oneofKind: undefined}}}
  const executed = GrpcTypes.ExecutedTransaction.create({
    digest: given.bcs?.value?.length ? TransactionDataBuilder.getDigestFromBytes(given.bcs.value) : undefined,
    transaction,
    effects: {status, epoch: ledger.epoch, gasUsed: {...DEFAULT_GAS}},
    balanceChanges: canPay ? [{address: sender, coinType: SUI_COIN_TYPE, amount: (-gas).toString()}] : [],
  })
  const response = GrpcTypes.SimulateTransactionResponse.create({transaction: executed, commandOutputs: [], suggestedGasPrice: REFERENCE_GAS_PRICE})
  return masked(GrpcTypes.SimulateTransactionResponse, response, request.readMask?.paths, ['transaction.effects.status', 'suggested_gas_price'])
}
