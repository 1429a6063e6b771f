// What validators check before they sign a transaction, for the transactions the local Sui server
// executes: protocol limits, gas price and budget, expiration, and that every gas coin and owned
// input is the current version of an object its signer owns. A failed check is a Refusal
// (nothing executes, no gas is paid), worded as the node words it.
//
// Limits are mainnet's protocol config (sui-protocol-config): max_tx_size_bytes 128 KiB,
// max_input_objects 2,048, max_arguments 512 per command, max_programmable_tx_commands 1,024,
// max_gas_payment_objects 256, max_pure_argument_size 16 KiB, max_tx_gas 50 SUI.
import {fromBase58} from '@mysten/sui/utils'
import {REFERENCE_GAS_PRICE} from './chain-builder.ts'
import {SUI_COIN_TYPE} from '../src/sui/identifiers.ts'
import type {CoinStore} from './coin-store.ts'
import {MAX_GAS_BUDGET, minimumBudget} from './gas-meter.ts'
import {type Program, type ProgramArgument, type ProgramCommand, inputObjectIds} from './program.ts'
import {notModelled, rejectedInput} from './refusal.ts'

export const MAX_TX_SIZE_BYTES = 128 * 1024
const MAX_INPUT_OBJECTS = 2_048
const MAX_ARGUMENTS = 512
const MAX_COMMANDS = 1_024
const MAX_GAS_PAYMENT_OBJECTS = 256
const MAX_PURE_ARGUMENT_SIZE = 16 * 1024

export interface CheckContext {
  store: CoinStore
  epoch: bigint
  chainId: string
}

/** How gas is paid: the listed coins, the gas owner's SUI address balance, or (simulation only) a mock coin. */
export type GasMode = 'coins' | 'addressBalance' | 'mock'

export function checkTransactionSize(bytes: Uint8Array): void {
  if (bytes.length > MAX_TX_SIZE_BYTES) throw rejectedInput(`Transaction size (${bytes.length} bytes) exceeds the maximum of ${MAX_TX_SIZE_BYTES}`)
}

/**
 * Everything a validator checks about `program` before signing it, given how its gas is paid. A
 * simulation may leave the expiration of an address-balance payment to be set afterwards (the
 * SDK sets it from the simulation's epoch).
 */
export function checkProgram(program: Program, ctx: CheckContext, gasMode: GasMode, opts: {simulation?: boolean} = {}): void {
  checkLimits(program)
  checkGasData(program)
  checkExpiration(program, ctx, gasMode === 'addressBalance' && !opts.simulation)
  if (gasMode === 'coins') checkGasCoins(program, ctx.store)
  if (gasMode === 'addressBalance') checkAddressBalanceGas(program, ctx.store)
  checkInputObjects(program, ctx.store)
}

function checkLimits(program: Program): void {
  if (program.commands.length > MAX_COMMANDS) throw rejectedInput(`Size limit exceeded: maximum commands in a programmable transaction is ${MAX_COMMANDS}, got ${program.commands.length}`)
  const objects = inputObjectIds(program).length + program.gas.payment.length
  if (objects > MAX_INPUT_OBJECTS) throw rejectedInput(`Size limit exceeded: maximum input objects in a transaction is ${MAX_INPUT_OBJECTS}, got ${objects}`)
  if (program.gas.payment.length > MAX_GAS_PAYMENT_OBJECTS) throw rejectedInput(`Size limit exceeded: maximum number of gas payment objects is ${MAX_GAS_PAYMENT_OBJECTS}, got ${program.gas.payment.length}`)
  program.commands.forEach((command, index) => {
    const count = argumentsOf(command).length
    if (count > MAX_ARGUMENTS) throw rejectedInput(`Size limit exceeded: maximum arguments in a programmable transaction command is ${MAX_ARGUMENTS}, command ${index} has ${count}`)
  })
  program.inputs.forEach((input, index) => {
    if (input.kind === 'pure' && input.bytes.length > MAX_PURE_ARGUMENT_SIZE) throw rejectedInput(`Size limit exceeded: maximum pure argument size is ${MAX_PURE_ARGUMENT_SIZE}, input ${index} has ${input.bytes.length} bytes`)
  })
}

/** Every argument a command takes, as the protocol's per-command limit counts them. */
export function argumentsOf(command: ProgramCommand): ProgramArgument[] {
  switch (command.kind) {
    case 'moveCall':
      return command.arguments
    case 'transferObjects':
      return [...command.objects, command.address]
    case 'splitCoins':
      return [command.coin, ...command.amounts]
    case 'mergeCoins':
      return [command.destination, ...command.sources]
    case 'makeMoveVec':
      return command.elements
    case 'publish':
      return []
    case 'upgrade':
      return [command.ticket]
  }
}

function checkGasData(program: Program): void {
  const {price, budget} = program.gas
  if (price === undefined || budget === undefined) throw rejectedInput('Gas price and gas budget must be set')
  if (price < REFERENCE_GAS_PRICE) throw rejectedInput(`Gas price ${price} under reference gas price (RGP) ${REFERENCE_GAS_PRICE}`)
  if (budget > MAX_GAS_BUDGET) throw rejectedInput(`Gas budget: ${budget} is higher than max: ${MAX_GAS_BUDGET}`)
  if (budget < minimumBudget(price)) throw rejectedInput(`Gas budget: ${budget} is lower than min: ${minimumBudget(price)}`)
}

function checkExpiration(program: Program, ctx: CheckContext, requireValidDuring: boolean): void {
  const expiration = program.expiration
  if (expiration.kind === 'validity') throw notModelled('a Validity expiration (allowed proposers)')
  if (expiration.kind === 'epoch' && expiration.epoch < ctx.epoch) throw rejectedInput('Transaction Expired')
  if (expiration.kind === 'validDuring') {
    if (expiration.chain !== ctx.chainId) throw rejectedInput(`Transaction is for chain ${expiration.chain}, this is chain ${ctx.chainId}`)
    const {minEpoch, maxEpoch} = expiration
    if ((minEpoch !== undefined && ctx.epoch < minEpoch) || (maxEpoch !== undefined && ctx.epoch > maxEpoch)) throw rejectedInput('Transaction Expired')
    if (minEpoch === undefined || maxEpoch === undefined || maxEpoch - minEpoch > 1n) throw rejectedInput('ValidDuring expiration must name a min and max epoch at most one epoch apart')
  }
  // Gas coins make a transaction's digest unique through their versions; without them only the
  // expiration's nonce does, so the node insists on one.
  if (requireValidDuring && expiration.kind !== 'validDuring') throw rejectedInput('A transaction paying gas from an address balance must have a ValidDuring expiration')
}

function checkGasCoins(program: Program, store: CoinStore): void {
  const {owner, budget = 0n, payment} = program.gas
  const seen = new Set<string>()
  let total = 0n
  for (const ref of payment) {
    if (isCoinReservation(ref.digest)) throw notModelled(`gas payment ${ref.objectId} is a coin reservation (address balance as a gas coin)`)
    if (seen.has(ref.objectId)) throw rejectedInput(`Gas coin ${ref.objectId} appears more than once in the gas payment`)
    seen.add(ref.objectId)
    const coin = currentCoin(store, ref)
    if (coin.coinType !== SUI_COIN_TYPE) throw rejectedInput(`Gas object ${ref.objectId} is not a gas coin (0x2::coin::Coin<0x2::sui::SUI>)`)
    if (coin.owner !== owner) throw rejectedInput(`Object ${ref.objectId} is owned by account address ${coin.owner}, but given owner/signer address is ${owner}`)
    total += coin.balance
  }
  if (total < budget) throw rejectedInput(`Balance of gas object ${payment[0]?.objectId} is lower than the needed amount: ${budget}`)
}

function checkAddressBalanceGas(program: Program, store: CoinStore): void {
  const {owner, budget = 0n} = program.gas
  if (usesGasCoin(program)) throw rejectedInput('GasCoin cannot be used as an argument when gas is paid from an address balance')
  const available = store.addressBalance(owner, SUI_COIN_TYPE)
  if (available < budget) throw rejectedInput(`Address balance of ${owner} (${available} MIST) is lower than the needed gas budget: ${budget}`)
}

function checkInputObjects(program: Program, store: CoinStore): void {
  const gasCoins = new Set(program.gas.payment.map((ref) => ref.objectId))
  const seen = new Set<string>()
  for (const input of program.inputs) {
    if (input.kind === 'unresolved') throw rejectedInput(`Object ${input.objectId} is not resolved to a version and digest`)
    if (!('objectId' in input)) continue
    if (seen.has(input.objectId) || gasCoins.has(input.objectId)) throw rejectedInput(`Mutable object ${input.objectId} cannot appear more than one in one transaction`)
    seen.add(input.objectId)
    const coin = store.get(input.objectId)
    if (!coin) continue // an object the server does not model (a package, a shared object): only Move calls it cannot execute use it
    if (input.kind === 'receiving') throw notModelled(`receiving coin ${input.objectId} sent to an object`)
    if (input.kind === 'shared') throw rejectedInput(`Object ${input.objectId} is not shared`)
    currentCoin(store, input)
    if (coin.owner !== program.sender) throw rejectedInput(`Object ${input.objectId} is owned by account address ${coin.owner}, but given owner/signer address is ${program.sender}`)
  }
}

/** The coin `ref` names, if `ref` is its current version and digest. */
function currentCoin(store: CoinStore, ref: {objectId: string; version: bigint; digest: string}) {
  const coin = store.get(ref.objectId)
  if (!coin) throw rejectedInput(`Could not find the referenced object ${ref.objectId} at version ${ref.version}`)
  if (coin.version !== ref.version || coin.digest !== ref.digest) {
    throw rejectedInput(`Object ID ${ref.objectId} Version ${ref.version} Digest ${ref.digest} is not available for consumption, current version: ${coin.version}`)
  }
  return coin
}

export function usesGasCoin(program: Program): boolean {
  return program.commands.some((command) => argumentsOf(command).some((arg) => arg.kind === 'gas'))
}

/**
 * The SDK's coin reservation refs (address balance offered as a gas coin) carry 20 bytes of 0xac
 * at digest offset 12 (@mysten/sui utils/coin-reservation).
 */
function isCoinReservation(digest: string): boolean {
  let bytes: Uint8Array
  try {
    bytes = fromBase58(digest)
  } catch {
    return false
  }
  return bytes.length === 32 && bytes.slice(12).every((byte) => byte === 0xac)
}
