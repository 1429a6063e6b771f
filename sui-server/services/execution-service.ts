// sui.rpc.v2.TransactionExecutionService: the local Sui server executes what confio sends.
//
// ExecuteTransaction takes the BCS TransactionData (parsed with the SDK) and its signatures, and:
//  - checks the signatures (signature-check.ts: valid over the intent message, from exactly the
//    sender and, if sponsored, the gas owner) and what validators check before signing
//    (transaction-checks.ts: 128 KiB, 2,048 input objects, 512 arguments per command, gas price,
//    budget and coins, expiration, owned inputs at their current version and owned by the sender);
//  - executes it (transaction-executor.ts): SplitCoins, MergeCoins and TransferObjects on coins and
//    the gas coin; the framework's coin and balance calls (framework-calls.ts: coin::send_funds and
//    balance::send_funds into address balances, coin::redeem_funds and balance::redeem_funds of
//    FundsWithdrawal inputs, into_balance, from_balance, zero, destroy_zero, join, split, value);
//    gas smashed from the payment coins, or paid from the address balance (empty payment, with a
//    ValidDuring expiration); every written coin at the transaction's lamport version, merged-away
//    coins deleted, new coins created; a failing command fails the transaction, which pays gas;
//  - seals it into a new checkpoint at once (Ledger.sealOnExecute), so GetBalance, ListOwnedObjects,
//    checkpoint reads and subscriptions see it like any other transaction;
//  - answers as the node does: the effects (default read mask `effects`), the transaction it
//    executed, its signatures, balance changes and the coins before and after (`objects`), without
//    checkpoint, timestamp or transaction_index (the node answers once effects are final, before
//    checkpointing). The same bytes again return the first execution.
// Move calls that touch no coin are recorded, not executed (as the ledger's scenario API records
// them). What the server cannot execute (Publish, Upgrade, other Move calls taking or making coins,
// MakeMoveVec of coins, coin reservations, sender allowances, zkLogin) is refused UNIMPLEMENTED,
// naming it; what a node rejects is refused INVALID_ARGUMENT, worded as sui-rpc-api words it.
//
// SimulateTransaction (transaction-simulator.ts) resolves a structured transaction, estimates the
// budget and selects gas when asked (do_gas_selection), then runs the same execution without
// committing anything (Ledger.executeCount does not move). The reply's transaction is the resolved
// one, with its BCS and digest; effects, balance changes and `objects` (each touched coin before
// and after, with its balance) say what executing it would do. No command_outputs.
//
// Not modelled: shared objects and non-coin objects beyond recording the Move calls that use them,
// events of executed transactions, accumulator writes among changed objects, and the real
// transaction and signatures inside checkpoints (a checkpoint shows the commands as the ledger
// records them, see proto-messages.ts).
import {GrpcTypes} from '@mysten/sui/grpc'
import {TransactionDataBuilder} from '@mysten/sui/transactions'
import {REFERENCE_GAS_PRICE} from '../chain-builder.ts'
import type {CoinObject} from '../coin-store.ts'
import {type ServiceParts, rpcError} from '../grpc-server.ts'
import {programToGrpc} from '../grpc-program.ts'
import type {Ledger, ProgramRun} from '../ledger.ts'
import {masked} from '../masked.ts'
import {type Program, programFromBcs} from '../program.ts'
import {coinObjectMessage, executedTransactionMessage} from '../proto-messages.ts'
import {Refusal, notModelled} from '../refusal.ts'
import {checkSignatures} from '../signature-check.ts'
import {checkProgram, checkTransactionSize} from '../transaction-checks.ts'
import {simulateTransaction} from '../transaction-simulator.ts'

/** sui-rpc-api's EXECUTE_TRANSACTION_READ_MASK_DEFAULT. */
const EXECUTE_DEFAULT_MASK = ['effects']
/** A node's simulation without a mask answers everything; the useful core of it. */
const SIMULATE_DEFAULT_MASK = ['transaction', 'suggested_gas_price']

export function executionService(ledger: Ledger): ServiceParts {
  return {
    info: GrpcTypes.TransactionExecutionService,
    unary: {
      executeTransaction: (request: GrpcTypes.ExecuteTransactionRequest) => refusing(() => execute(ledger, request)),
      simulateTransaction: (request: GrpcTypes.SimulateTransactionRequest) => refusing(async () => simulate(ledger, request)),
    },
  }
}

/** A Refusal becomes its gRPC status; a malformed address or type in the request is INVALID_ARGUMENT. */
async function refusing<T>(handle: () => Promise<T>): Promise<T> {
  try {
    return await handle()
  } catch (error) {
    if (error instanceof Refusal) throw error.toRpcError()
    if (error instanceof TypeError) throw rpcError('INVALID_ARGUMENT', `invalid transaction: ${error.message}`)
    throw error
  }
}

async function execute(ledger: Ledger, request: GrpcTypes.ExecuteTransactionRequest): Promise<GrpcTypes.ExecuteTransactionResponse> {
  const paths = request.readMask?.paths
  masked(GrpcTypes.ExecutedTransaction, GrpcTypes.ExecutedTransaction.create(), paths, EXECUTE_DEFAULT_MASK) // a bad mask fails before anything runs
  const bytes = request.transaction?.bcs?.value
  if (!bytes?.length) {
    if (request.transaction?.kind) throw notModelled('a structured transaction; send transaction.bcs (the SDK does)')
    throw rpcError('INVALID_ARGUMENT', 'transaction is required')
  }
  checkTransactionSize(bytes)
  const program = programFromBcs(bytes)
  await checkSignatures(bytes, request.signatures, [program.sender, program.gas.owner])
  const digest = TransactionDataBuilder.getDigestFromBytes(bytes)
  const repeated = ledger.transaction(digest)
  const run = repeated ? {record: repeated.record, inputCoins: [], outputCoins: []} : executeProgram(ledger, program, digest)
  const message = executedMessage(run, {...programToGrpc(program), bcs: {name: 'TransactionData', value: bytes}, digest}, request.signatures)
  return GrpcTypes.ExecuteTransactionResponse.create({transaction: masked(GrpcTypes.ExecutedTransaction, message, paths, EXECUTE_DEFAULT_MASK)})
}

function executeProgram(ledger: Ledger, program: Program, digest: string): ProgramRun {
  const gasMode = program.gas.payment.length > 0 ? 'coins' : 'addressBalance'
  checkProgram(program, ledger, gasMode)
  return ledger.runProgram(program, {digest, gasMode})
}

function simulate(ledger: Ledger, request: GrpcTypes.SimulateTransactionRequest): GrpcTypes.SimulateTransactionResponse {
  const {program, run, bcs} = simulateTransaction(ledger, request)
  const transaction = bcs ? {...programToGrpc(program), bcs: {name: 'TransactionData', value: bcs}, digest: run.record.digest} : programToGrpc(program)
  const message = executedMessage(run, transaction, [])
  const response = GrpcTypes.SimulateTransactionResponse.create({transaction: message, commandOutputs: [], suggestedGasPrice: REFERENCE_GAS_PRICE})
  return masked(GrpcTypes.SimulateTransactionResponse, response, request.readMask?.paths, SIMULATE_DEFAULT_MASK)
}

/** The ExecutedTransaction of a run: the record's effects, with the real transaction, signatures and objects. */
function executedMessage(run: ProgramRun, transaction: GrpcTypes.Transaction, signatures: GrpcTypes.UserSignature[]): GrpcTypes.ExecutedTransaction {
  const message = executedTransactionMessage(run.record)
  message.transaction = transaction
  message.signatures = signatures
  const objects = [...run.inputCoins, ...run.outputCoins].sort(byIdAndVersion)
  message.objects = objects.length ? {objects: objects.map(coinObjectMessage)} : undefined
  return message
}

function byIdAndVersion(a: CoinObject, b: CoinObject): number {
  if (a.objectId !== b.objectId) return a.objectId < b.objectId ? -1 : 1
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0
}
