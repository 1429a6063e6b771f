// Executes a checked programmable transaction against the coin store, with Sui's PTB semantics
// for what confio sends: SplitCoins, MergeCoins and TransferObjects on coin objects (the gas coin
// included), the framework calls of framework-calls.ts, FundsWithdrawal inputs, and gas.
//
// Gas, as sui-execution does it: the payment coins are merged into the first ("smashing"), whose
// balance minus the budget is what the commands may spend; at the end the cost (gas-meter.ts) is
// taken from it. Paid from an address balance instead, the cost comes off the gas owner's SUI
// address balance. Every owned input and gas coin is written at the transaction's lamport version
// even when its balance does not change.
//
// Values move as in Move: a coin or balance passed by value cannot be used again, and a coin or
// balance the transaction created must be used up (transferred, merged, sent to an address
// balance, destroyed) or the transaction fails with UNUSED_VALUE_WITHOUT_DROP. A failed command
// (ExecutionFailure) undoes every command and keeps only the gas payment, as on chain. What the
// server cannot execute (Publish, Upgrade, Move calls taking or making coins outside the framework
// calls it knows) is refused (Refusal) before anything is written. Move calls that touch no coin
// are recorded without being executed; their results can only feed other such calls.
import {
  type CommandRecord, type ExecutionErrorKindName, type ExecutionErrorRecord, type GasCost, type GasPaymentRecord, ZERO_ADDRESS, netGas,
} from './chain-builder.ts'
import {SUI_COIN_TYPE, normalizeAddress} from '../src/sui/identifiers.ts'
import type {CoinObject, CoinStore} from './coin-store.ts'
import {frameworkHandler, movesBalances} from './framework-calls.ts'
import {gasCost} from './gas-meter.ts'
import type {Program, ProgramArgument, ProgramCommand} from './program.ts'
import {notModelled} from './refusal.ts'
import {StateChange} from './state-change.ts'
import type {GasMode} from './transaction-checks.ts'

/** What a PTB argument holds while the transaction runs. */
export type Value =
  | {kind: 'coin'; objectId: string}
  | {kind: 'balance'; coinType: string; amount: bigint}
  | {kind: 'withdrawal'; coinType: string; owner: string; amount: bigint}
  | {kind: 'pure'; bytes: Uint8Array}
  /** An object the server does not model (a shared object, a package, a capability). */
  | {kind: 'object'; objectId: string}
  /** A result of a Move call recorded without being executed. */
  | {kind: 'opaque'}

/** What framework-calls.ts needs from the running transaction. */
export interface CallFrame {
  takeCoin(arg: ProgramArgument | undefined, coinType: string): CoinObject
  borrowCoin(arg: ProgramArgument | undefined, coinType?: string): CoinObject
  takeBalance(arg: ProgramArgument | undefined, coinType: string): bigint
  borrowBalance(arg: ProgramArgument | undefined, coinType: string): bigint
  setBalance(arg: ProgramArgument | undefined, amount: bigint): void
  takeWithdrawal(arg: ProgramArgument | undefined, coinType: string): {owner: string; amount: bigint}
  u64(arg: ProgramArgument | undefined): bigint
  address(arg: ProgramArgument | undefined): string
  newCoin(coinType: string, amount: bigint): Value
  writeCoin(coin: CoinObject): void
  deleteCoin(objectId: string): void
  adjustAddressBalance(owner: string, coinType: string, delta: bigint): void
  /** A Move abort raised in 0x2::balance (where coin's checks abort too). */
  abort(fn: string, code: bigint): never
}

export interface ExecutionOutcome {
  /** Everything the transaction wrote, gas included; the caller commits or previews it. */
  change: StateChange
  commands: CommandRecord[]
  gasUsed: GasCost
  gasPayment: GasPaymentRecord
  failure?: ExecutionErrorRecord
  /** A simulation paid with a mock gas coin: what the gas owner would pay, which no object shows. */
  mockGasCharge?: bigint
}

/** A command failed: the transaction is executed as failed and pays gas. */
class ExecutionFailure extends Error {
  override name = 'ExecutionFailure'
  readonly kind: ExecutionErrorKindName
  readonly abort: ExecutionErrorRecord['abort']
  /** false: not any one command's failure (funds reservations, gas), so the error names none. */
  readonly inCommand: boolean

  constructor(kind: ExecutionErrorKindName, description: string, opts: {abort?: ExecutionErrorRecord['abort']; inCommand?: boolean} = {}) {
    super(description)
    this.kind = kind
    this.abort = opts.abort
    this.inCommand = opts.inCommand ?? true
  }
}

interface Slot {
  value: Value
  moved: boolean
}

interface Results {
  slots: Slot[]
  /** A recorded Move call: any index holds an opaque value. */
  opaque: boolean
}

const U64_MAX = 2n ** 64n - 1n
const FRAMEWORK = normalizeAddress('0x2')
/** Simulations without a gas payment run on a coin that exists only for them, as a node's do. */
const MOCK_GAS_ID = normalizeAddress('0x0')
const MOCK_GAS_BALANCE = U64_MAX

export function executeProgram(store: CoinStore, program: Program, digest: string, gasMode: GasMode): ExecutionOutcome {
  return new ProgramExecution(store, program, digest, gasMode).run()
}

class ProgramExecution implements CallFrame {
  readonly #store: CoinStore
  readonly #program: Program
  readonly #digest: string
  readonly #gasMode: GasMode
  readonly #price: bigint
  readonly #budget: bigint
  #change!: StateChange
  #mockGas: CoinObject | undefined
  #inputs = new Map<number, Slot>()
  #gasSlot: Slot | undefined
  #results: Results[] = []
  #command = 0

  constructor(store: CoinStore, program: Program, digest: string, gasMode: GasMode) {
    this.#store = store
    this.#program = program
    this.#digest = digest
    this.#gasMode = gasMode
    this.#price = program.gas.price ?? 0n
    this.#budget = program.gas.budget ?? 0n
  }

  run(): ExecutionOutcome {
    this.#begin()
    let failure = this.#runCommands()
    let gas = this.#cost()
    if (!failure && netGas(gas) > this.#budget) {
      failure = {kind: 'INSUFFICIENT_GAS', description: `Out of gas: the transaction costs ${netGas(gas)} MIST, its budget is ${this.#budget}`}
    }
    if (failure) {
      this.#begin() // back to the gas payment and owned inputs alone
      gas = capped(this.#cost(), this.#budget)
    }
    const mockGasCharge = this.#payGas(netGas(gas))
    return {change: this.#change, commands: this.#program.commands.flatMap((c) => commandRecord(this.#program, c)), gasUsed: gas, gasPayment: this.#gasPayment(), failure, mockGasCharge}
  }

  /** A fresh change holding the smashed gas coin, less the budget, and every owned input written. */
  #begin(): void {
    this.#change = new StateChange(this.#store, this.#digest)
    this.#mockGas = undefined
    this.#gasSlot = undefined
    this.#inputs.clear()
    this.#results = []
    const {owner, payment} = this.#program.gas
    if (this.#gasMode === 'coins') {
      const coins = payment.map((ref) => this.#storedCoin(ref.objectId))
      const [first, ...merged] = coins
      if (!first) throw new Error('a gas payment without coins was checked as coins')
      for (const coin of merged) this.#change.deleteCoin(coin.objectId)
      const total = coins.reduce((sum, c) => sum + c.balance, 0n)
      this.#change.writeCoin({...first, balance: total - this.#budget})
      this.#gasSlot = {value: {kind: 'coin', objectId: first.objectId}, moved: false}
    } else if (this.#gasMode === 'mock') {
      this.#mockGas = {objectId: MOCK_GAS_ID, version: 0n, digest: '', balance: MOCK_GAS_BALANCE - this.#budget, coinType: SUI_COIN_TYPE, owner}
      this.#gasSlot = {value: {kind: 'coin', objectId: MOCK_GAS_ID}, moved: false}
    }
    for (const input of this.#program.inputs) {
      if (input.kind === 'owned' && this.#store.get(input.objectId)) this.#change.touchCoin(input.objectId)
    }
  }

  /** Runs every command; the failure, if one failed (a Refusal is thrown instead). */
  #runCommands(): ExecutionErrorRecord | undefined {
    try {
      this.#checkReservations()
      this.#program.commands.forEach((command, index) => {
        this.#command = index
        this.#results[index] = this.#execute(command)
      })
      this.#checkValuesUsed()
      return undefined
    } catch (error) {
      if (!(error instanceof ExecutionFailure)) throw error
      return {kind: error.kind, description: error.message, command: error.inCommand ? BigInt(this.#command) : undefined, abort: error.abort}
    }
  }

  /**
   * FundsWithdrawal inputs reserve their amount before execution: when an address balance cannot
   * cover what is reserved from it (gas from the same balance included), nothing runs.
   */
  #checkReservations(): void {
    const reserved = new Map<string, {owner: string; coinType: string; amount: bigint}>()
    const reserve = (owner: string, coinType: string, amount: bigint) => {
      const key = `${owner} ${coinType}`
      const entry = reserved.get(key) ?? {owner, coinType, amount: 0n}
      entry.amount += amount
      reserved.set(key, entry)
    }
    for (const input of this.#program.inputs) {
      if (input.kind === 'withdrawal') reserve(this.#withdrawalOwner(input.from), input.coinType, input.amount)
    }
    if (reserved.size > 0 && this.#gasMode === 'addressBalance') reserve(this.#program.gas.owner, SUI_COIN_TYPE, this.#budget)
    for (const {owner, coinType, amount} of reserved.values()) {
      const available = this.#change.addressBalance(owner, coinType)
      if (available < amount) throw new ExecutionFailure('INSUFFICIENT_FUNDS_FOR_WITHDRAW', `Insufficient funds for withdraw: ${owner} holds ${available} of ${coinType} in its address balance, ${amount} reserved`, {inCommand: false})
    }
  }

  #withdrawalOwner(from: 'sender' | 'sponsor'): string {
    return from === 'sponsor' ? this.#program.gas.owner : this.#program.sender
  }

  #execute(command: ProgramCommand): Results {
    switch (command.kind) {
      case 'splitCoins':
        return this.#values(this.#splitCoins(command.coin, command.amounts))
      case 'mergeCoins':
        this.#mergeCoins(command.destination, command.sources)
        return this.#values([])
      case 'transferObjects':
        this.#transferObjects(command.objects, command.address)
        return this.#values([])
      case 'moveCall':
        return this.#moveCall(command)
      case 'makeMoveVec':
        if (command.elements.some((arg) => this.#holdsFunds(arg))) throw notModelled(`MakeMoveVec (command ${this.#command}) of coins, balances or withdrawals`)
        return {slots: [], opaque: true}
      case 'publish':
        throw notModelled(`Publish (command ${this.#command})`)
      case 'upgrade':
        throw notModelled(`Upgrade (command ${this.#command})`)
    }
  }

  #values(values: Value[]): Results {
    return {slots: values.map((value) => ({value, moved: false})), opaque: false}
  }

  #splitCoins(coinArg: ProgramArgument, amountArgs: ProgramArgument[]): Value[] {
    const coin = this.borrowCoin(coinArg)
    const amounts = amountArgs.map((arg) => this.u64(arg))
    const total = amounts.reduce((sum, a) => sum + a, 0n)
    if (total > coin.balance) throw new ExecutionFailure('INSUFFICIENT_COIN_BALANCE', `Insufficient coin balance for operation: splitting ${total} from a coin holding ${coin.balance}`)
    this.writeCoin({...coin, balance: coin.balance - total})
    return amounts.map((amount) => this.newCoin(coin.coinType, amount))
  }

  #mergeCoins(destinationArg: ProgramArgument, sourceArgs: ProgramArgument[]): void {
    const destination = this.borrowCoin(destinationArg)
    let balance = destination.balance
    for (const arg of sourceArgs) {
      const source = this.takeCoin(arg, destination.coinType)
      if (source.objectId === destination.objectId) throw argumentError('a coin cannot be merged into itself')
      balance += source.balance
      if (balance > U64_MAX) throw new ExecutionFailure('COIN_BALANCE_OVERFLOW', 'Coin balance overflows u64')
      this.deleteCoin(source.objectId)
    }
    this.writeCoin({...this.#coin(destination.objectId), balance})
  }

  #transferObjects(objectArgs: ProgramArgument[], addressArg: ProgramArgument): void {
    const recipient = this.address(addressArg)
    for (const arg of objectArgs) {
      const value = this.#take(arg, {gasByValue: true})
      if (value.kind === 'coin') this.writeCoin({...this.#coin(value.objectId), owner: recipient})
      else if (value.kind === 'object' || value.kind === 'opaque') throw notModelled(`TransferObjects (command ${this.#command}) of an object that is not a coin`)
      else throw argumentError(`InvalidTransferObject: a ${value.kind} has no key ability`)
    }
  }

  #moveCall(command: Extract<ProgramCommand, {kind: 'moveCall'}>): Results {
    const name = `${command.package}::${command.module}::${command.function}`
    const handler = command.package === FRAMEWORK ? frameworkHandler(command.module, command.function) : undefined
    if (handler) {
      const [coinType, ...extra] = command.typeArguments
      if (coinType === undefined || extra.length > 0) throw argumentError(`${name} takes one type argument, got ${command.typeArguments.length}`)
      return this.#values(handler(this, coinType, command.arguments))
    }
    if ((command.package === FRAMEWORK && movesBalances(command.module)) || command.arguments.some((arg) => this.#holdsFunds(arg))) {
      throw notModelled(`MoveCall ${name} (command ${this.#command}) moves coins or balances, and only the Sui framework's coin and balance functions are executed`)
    }
    return {slots: [], opaque: true}
  }

  /** Whether an argument is a coin, balance or withdrawal (the gas coin included), without using it. */
  #holdsFunds(arg: ProgramArgument): boolean {
    const kind = this.#slot(arg).value.kind
    return kind === 'coin' || kind === 'balance' || kind === 'withdrawal'
  }

  /** Created coins and balances must be used up by the end, as values without `drop`. */
  #checkValuesUsed(): void {
    this.#results.forEach((results, command) => {
      for (const slot of results.slots) {
        if (slot.moved) continue
        const unused = slot.value.kind === 'balance' || (slot.value.kind === 'coin' && !this.#store.get(slot.value.objectId) && slot.value.objectId !== MOCK_GAS_ID)
        if (!unused) continue
        this.#command = command
        throw new ExecutionFailure('UNUSED_VALUE_WITHOUT_DROP', `Unused value without drop: a ${slot.value.kind} created by command ${command} was not transferred or used`)
      }
    })
  }

  // ---- gas ----

  #cost(): GasCost {
    const {changedObjects} = this.#change.preview()
    const mock = this.#mockGas ? 1 : 0
    const written = changedObjects.filter((c) => c.output).length + mock
    const rebated = changedObjects.filter((c) => c.input).length + mock
    return gasCost(this.#price, written, rebated)
  }

  /** Takes `net` from the gas coin (its budget returned) or the address balance; a mock coin's charge is returned. */
  #payGas(net: bigint): bigint | undefined {
    const {owner, payment} = this.#program.gas
    if (this.#gasMode === 'addressBalance') {
      this.#change.adjustAddressBalance(owner, SUI_COIN_TYPE, -net)
      return undefined
    }
    if (this.#gasMode === 'mock') return net
    const gasCoin = this.#coin(payment[0]?.objectId ?? '')
    this.#change.writeCoin({...gasCoin, balance: gasCoin.balance + this.#budget - net})
    return undefined
  }

  #gasPayment(): GasPaymentRecord {
    const {owner, payment} = this.#program.gas
    return {objects: payment.map((ref) => ({...ref})), owner, price: this.#price, budget: this.#budget}
  }

  // ---- values ----

  #slot(arg: ProgramArgument): Slot {
    if (arg.kind === 'gas') {
      if (!this.#gasSlot) throw argumentError('GasCoin used, but gas is paid from an address balance')
      return this.#gasSlot
    }
    if (arg.kind === 'input') return this.#inputSlot(arg.index)
    const results = arg.command < this.#command ? this.#results[arg.command] : undefined
    if (!results) throw argumentError(`IndexOutOfBounds: result ${arg.command} used by command ${this.#command}`)
    if (results.opaque) return {value: {kind: 'opaque'}, moved: false}
    if (arg.nested === undefined && results.slots.length !== 1) throw argumentError(`InvalidResultArity: command ${arg.command} has ${results.slots.length} results`)
    const slot = results.slots[arg.nested ?? 0]
    if (!slot) throw argumentError(`SecondaryIndexOutOfBounds: result ${arg.command}.${arg.nested}`)
    return slot
  }

  #inputSlot(index: number): Slot {
    const existing = this.#inputs.get(index)
    if (existing) return existing
    const input = this.#program.inputs[index]
    if (!input) throw argumentError(`IndexOutOfBounds: input ${index}`)
    let value: Value
    if (input.kind === 'pure') value = {kind: 'pure', bytes: input.bytes}
    else if (input.kind === 'withdrawal') value = {kind: 'withdrawal', coinType: input.coinType, owner: this.#withdrawalOwner(input.from), amount: input.amount}
    else if (input.kind === 'owned' && this.#store.get(input.objectId)) value = {kind: 'coin', objectId: input.objectId}
    else value = {kind: 'object', objectId: input.objectId}
    const slot = {value, moved: false}
    this.#inputs.set(index, slot)
    return slot
  }

  /** Uses a value by value: it cannot be used again. Only TransferObjects may take the gas coin. */
  #take(arg: ProgramArgument | undefined, opts: {gasByValue?: boolean} = {}): Value {
    const slot = this.#slot(required(arg))
    if (arg?.kind === 'gas' && !opts.gasByValue) throw argumentError('InvalidGasCoinUsage: the gas coin can only be taken by value by TransferObjects')
    if (slot.moved) throw argumentError('ArgumentWithoutValue: the value was moved by an earlier command')
    if (slot.value.kind !== 'pure') slot.moved = true
    return slot.value
  }

  /** Uses a value by reference. */
  #borrow(arg: ProgramArgument | undefined): Value {
    const slot = this.#slot(required(arg))
    if (slot.moved) throw argumentError('ArgumentWithoutValue: the value was moved by an earlier command')
    return slot.value
  }

  #coin(objectId: string): CoinObject {
    const coin = objectId === MOCK_GAS_ID ? this.#mockGas : this.#change.coin(objectId)
    if (!coin) throw new Error(`coin ${objectId} vanished during execution`)
    return coin
  }

  #storedCoin(objectId: string): CoinObject {
    const coin = this.#store.get(objectId)
    if (!coin) throw new Error(`gas coin ${objectId} was checked but is not in the store`)
    return coin
  }

  #asCoin(value: Value, coinType: string | undefined): CoinObject {
    if (value.kind === 'object' || value.kind === 'opaque') throw notModelled(`command ${this.#command} uses an object that is not a coin as a coin`)
    if (value.kind !== 'coin') throw argumentError(`TypeMismatch: expected a coin, got a ${value.kind}`)
    const coin = this.#coin(value.objectId)
    if (coinType !== undefined && coin.coinType !== coinType) throw argumentError(`TypeMismatch: expected Coin<${coinType}>, got Coin<${coin.coinType}>`)
    return coin
  }

  // ---- CallFrame ----

  takeCoin(arg: ProgramArgument | undefined, coinType: string): CoinObject {
    return this.#asCoin(this.#take(arg), coinType)
  }

  borrowCoin(arg: ProgramArgument | undefined, coinType?: string): CoinObject {
    return this.#asCoin(this.#borrow(arg), coinType)
  }

  takeBalance(arg: ProgramArgument | undefined, coinType: string): bigint {
    return balanceOf(this.#take(arg), coinType)
  }

  borrowBalance(arg: ProgramArgument | undefined, coinType: string): bigint {
    return balanceOf(this.#borrow(arg), coinType)
  }

  setBalance(arg: ProgramArgument | undefined, amount: bigint): void {
    const slot = this.#slot(required(arg))
    if (slot.value.kind !== 'balance') throw argumentError(`TypeMismatch: expected a balance, got a ${slot.value.kind}`)
    slot.value = {...slot.value, amount}
  }

  takeWithdrawal(arg: ProgramArgument | undefined, coinType: string): {owner: string; amount: bigint} {
    const value = this.#take(arg)
    if (value.kind !== 'withdrawal') throw argumentError(`TypeMismatch: expected a Withdrawal<Balance<${coinType}>>, got a ${value.kind}`)
    if (value.coinType !== coinType) throw argumentError(`TypeMismatch: expected Withdrawal<Balance<${coinType}>>, got Withdrawal<Balance<${value.coinType}>>`)
    return {owner: value.owner, amount: value.amount}
  }

  u64(arg: ProgramArgument | undefined): bigint {
    const bytes = this.#pure(arg)
    if (bytes.length !== 8) throw argumentError(`InvalidBCSBytes: a u64 is 8 bytes, got ${bytes.length}`)
    return Buffer.from(bytes).readBigUInt64LE()
  }

  address(arg: ProgramArgument | undefined): string {
    const bytes = this.#pure(arg)
    if (bytes.length !== 32) throw argumentError(`InvalidBCSBytes: an address is 32 bytes, got ${bytes.length}`)
    return normalizeAddress('0x' + Buffer.from(bytes).toString('hex'))
  }

  #pure(arg: ProgramArgument | undefined): Uint8Array {
    const value = this.#borrow(arg)
    if (value.kind === 'opaque') throw notModelled(`command ${this.#command} uses a value computed by a Move call the server does not execute`)
    if (value.kind !== 'pure') throw argumentError(`TypeMismatch: expected a pure value, got a ${value.kind}`)
    return value.bytes
  }

  newCoin(coinType: string, amount: bigint): Value {
    const objectId = this.#change.newCoinId()
    // Owned by nobody until transferred; the sender stands in, and an untransferred coin fails the transaction.
    this.#change.writeCoin({objectId, version: 0n, digest: '', balance: amount, coinType, owner: this.#program.sender})
    return {kind: 'coin', objectId}
  }

  writeCoin(coin: CoinObject): void {
    if (coin.objectId === MOCK_GAS_ID) this.#mockGas = {...coin}
    else this.#change.writeCoin(coin)
  }

  deleteCoin(objectId: string): void {
    this.#change.deleteCoin(objectId)
  }

  adjustAddressBalance(owner: string, coinType: string, delta: bigint): void {
    if (delta < 0n && this.#change.addressBalance(owner, coinType) < -delta) {
      throw new ExecutionFailure('INSUFFICIENT_FUNDS_FOR_WITHDRAW', `Insufficient funds for withdraw: ${owner} holds less than ${-delta} of ${coinType} in its address balance`)
    }
    this.#change.adjustAddressBalance(owner, coinType, delta)
  }

  abort(fn: string, code: bigint): never {
    const abort = {abortCode: code, package: FRAMEWORK, module: 'balance', functionName: fn}
    throw new ExecutionFailure('MOVE_ABORT', `MoveAbort(MoveLocation { module: ModuleId { address: 0x2, name: Identifier("balance") }, function_name: Some("${fn}") }, ${code}) in command ${this.#command}`, {abort})
  }
}

function required(arg: ProgramArgument | undefined): ProgramArgument {
  if (!arg) throw argumentError('ArityMismatch: an argument is missing')
  return arg
}

function balanceOf(value: Value, coinType: string): bigint {
  if (value.kind !== 'balance') throw argumentError(`TypeMismatch: expected Balance<${coinType}>, got a ${value.kind}`)
  if (value.coinType !== coinType) throw argumentError(`TypeMismatch: expected Balance<${coinType}>, got Balance<${value.coinType}>`)
  return value.amount
}

function argumentError(description: string): ExecutionFailure {
  return new ExecutionFailure('COMMAND_ARGUMENT_ERROR', `Command argument error: ${description}`)
}

/** A failed transaction never pays more than its budget: computation gives way first. */
function capped(gas: GasCost, budget: bigint): GasCost {
  const over = netGas(gas) - budget
  if (over <= 0n) return gas
  return {...gas, computationCost: gas.computationCost > over ? gas.computationCost - over : 0n}
}

/** How the checkpoint shows a command (chain-builder's CommandRecord: what confio's filters read). */
function commandRecord(program: Program, command: ProgramCommand): CommandRecord[] {
  const pure = (arg: ProgramArgument) => (arg.kind === 'input' ? program.inputs[arg.index] : undefined)
  switch (command.kind) {
    case 'moveCall':
      return [{kind: 'moveCall', call: {package: command.package, module: command.module, function: command.function, typeArguments: command.typeArguments}}]
    case 'splitCoins':
      return [{kind: 'splitCoins', amounts: command.amounts.map((arg) => {
        const input = pure(arg)
        return input?.kind === 'pure' && input.bytes.length === 8 ? Buffer.from(input.bytes).readBigUInt64LE() : 0n
      })}]
    case 'mergeCoins':
      return [{kind: 'mergeCoins', coins: command.sources.length}]
    case 'transferObjects': {
      const input = pure(command.address)
      const recipient = input?.kind === 'pure' && input.bytes.length === 32 ? normalizeAddress('0x' + Buffer.from(input.bytes).toString('hex')) : ZERO_ADDRESS
      return [{kind: 'transferObjects', recipient}]
    }
    default:
      return []
  }
}

