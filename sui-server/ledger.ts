// The in-memory chain behind the local Sui server: addresses, coin objects and SIP-58 address
// balances, executed transactions waiting for a checkpoint, and sealed checkpoints.
//
// Every transaction goes through one path (#execute): gas is charged in SUI, the state change is
// worked out, and the transaction's balance changes, changed objects, events and status are derived
// from that same change. So a test can trust that what a checkpoint says happened is what GetBalance
// and ListOwnedObjects show afterwards. Transactions received over gRPC (ExecuteTransaction,
// SimulateTransaction) take the same StateChange through runProgram(), which executes their
// commands (transaction-executor.ts); an executed one is sealed into a checkpoint of its own at
// once (sealOnExecute), so state reads and checkpoint followers see it as on a real chain; or, with
// a sealing delay (sealDelayMs), that long after it executed, and state reads see a checkpoint's
// state only stateLagMs after it sealed, as on a real network, where a client that waits for its
// transaction's checkpoint and then for the state to reach it has to wait for both.
//
// Execution is immediate: the live state (`store`) moves when a scenario call returns, and the next
// transaction spends from it, as on a fullnode right after execution. The transaction appears in a
// checkpoint when produceCheckpoint() seals it, and only then does it reach `sealedStore`, the state
// as of the latest sealed checkpoint. State reads (GetBalance, ListBalances, ListOwnedObjects) answer
// from the sealed view, so a reply is as of the x-sui-checkpoint-height sent with it: a balance read
// at height H plus the balance changes of every checkpoint after H is the balance now, exactly.
import {
  type BalanceChangeRecord, type CheckpointRecord, type CommandRecord, type ExecutionErrorRecord, type GasCost, type Json, type TransactionBuilder, type TransactionRecord,
  DEFAULT_GAS, DEFAULT_GAS_BUDGET, FAILED_GAS, REFERENCE_GAS_PRICE, checkpoint, digestOf, idOf, tx,
} from './chain-builder.ts'
import {SUI_COIN_TYPE, normalizeAddress, normalizeCoinType} from '../src/sui/identifiers.ts'
import {type BalanceParts, type CoinObject, CoinStore, type StoreWrite} from './coin-store.ts'
import type {Program} from './program.ts'
import {type CommittedChange, InsufficientFunds, StateChange} from './state-change.ts'
import type {GasMode} from './transaction-checks.ts'
import {type ExecutionOutcome, executeProgram} from './transaction-executor.ts'
import {type TrafficOptions, type TrafficSummary, generateTraffic} from './traffic.ts'

export interface LedgerOptions {
  chainId?: string
  chain?: string
  epoch?: bigint
  /** false: an executed transaction waits for the next produceCheckpoint() like any other (see Ledger.sealOnExecute). */
  sealOnExecute?: boolean
  /** ms from an executed transaction to the checkpoint that seals it (0: at once); see Ledger.sealDelayMs. */
  sealDelayMs?: number
  /** ms from a checkpoint's seal to state reads answering as of it (0: at once); see Ledger.stateLagMs. */
  stateLagMs?: number
}

/** A transaction received over gRPC, run by runProgram(). */
export interface ProgramRun {
  record: TransactionRecord
  /** The coins it touched as they were before (input objects) and as written (output objects). */
  inputCoins: CoinObject[]
  outputCoins: CoinObject[]
}

export interface MoveCallSpec {
  package: string
  module: string
  function: string
  typeArguments?: string[]
}

export interface EventSpec {
  type: string
  sender?: string
  json: Json
  /** The emitting module; defaults to the event type's own package and module. */
  packageId?: string
  module?: string
}

export interface TransferOptions {
  from: string
  to: string
  coinType: string
  amount: bigint
  /** Fails the transaction (true, or the error description): only the gas is paid. */
  fail?: boolean | string
  moveCalls?: MoveCallSpec[]
  events?: EventSpec[]
  /** Credit the recipient's address balance (SIP-58 send_funds) instead of a new coin object. */
  toAddressBalance?: boolean
}

export interface BalanceChangeSpec {
  address: string
  coinType: string
  amount: bigint
  toAddressBalance?: boolean
}

export interface SubmitOptions {
  sender: string
  moveCalls?: MoveCallSpec[]
  events?: EventSpec[]
  /** Movements besides gas. Negative amounts are spent (coins first), positive ones arrive as new coins. */
  balanceChanges?: BalanceChangeSpec[]
  success?: boolean
  /** Error description of a failed transaction. */
  error?: string
  gas?: Partial<GasCost>
  /** Commands instead of one MoveCall per moveCalls entry. */
  commands?: CommandRecord[]
  /** The digest, instead of one the ledger makes up (a test may give a malformed one on purpose). */
  digest?: string
  /** Pays the gas instead of the sender (a sponsored transaction): gas_payment.owner. */
  sponsor?: string
}

export interface CoinInfo {
  decimals: number
  name: string
  symbol: string
}

export interface LocatedTransaction {
  record: TransactionRecord
  checkpoint?: CheckpointRecord
  index?: number
}

export interface ServiceInfo {
  chainId: string
  chain: string
  epoch: bigint
  checkpointHeight: bigint
  timestampMs: bigint
  lowestAvailableCheckpoint: bigint
}

/** The faucet starts with all the SUI a test could want; its genesis allocation has no transaction. */
const FAUCET_GENESIS_SUI = 9_000_000_000_000_000_000n

type Listener<T> = (value: T) => void

export class Ledger {
  readonly chainId: string
  readonly chain: string
  readonly epoch: bigint
  /** Sender of mint transactions; pays their gas from its address balance. */
  readonly faucet: string
  /**
   * Live state: every executed transaction applied, sealed or not. Execution, simulation and the
   * scenario API read it. Change it only through transactions (scenario API), never directly.
   */
  readonly store = new CoinStore({recordWrites: true})
  /** State as of the latest sealed checkpoint (`checkpointHeight`): what state reads answer from. */
  readonly sealedStore = new CoinStore()
  /**
   * An executed transaction (ExecuteTransaction) is sealed into a checkpoint of its own right away,
   * so GetBalance and checkpoint followers see it when the call returns. Not while producing: the
   * producer's next tick seals it, as a real chain's next checkpoint would.
   */
  sealOnExecute: boolean
  /**
   * With sealOnExecute, an executed transaction seals this long after it executed (with any others
   * executed meanwhile), not at once: until then BatchGetTransactions answers it without a
   * checkpoint, as a fullnode does.
   */
  sealDelayMs: number
  /**
   * State reads (sealedStore, and the height their replies name: stateHeight) reach a sealed
   * checkpoint this long after it sealed: a node's state indexes trail its checkpoints.
   */
  stateLagMs: number
  #sealTimer: NodeJS.Timeout | undefined
  readonly #lagTimers = new Set<NodeJS.Timeout>()
  #stateHeight = 0n
  #executeCount = 0
  #pending: TransactionRecord[] = []
  /** Sealed, unpruned checkpoints; index = sequence number - #lowest. */
  #checkpoints: CheckpointRecord[] = []
  #lowest = 0n
  #transactions = new Map<string, LocatedTransaction>()
  #byCheckpointDigest = new Map<string, CheckpointRecord>()
  #txCounter = 0
  #addressCounter = 0
  #totalTransactions = 0n
  #producer: NodeJS.Timeout | undefined
  #coinInfo = new Map<string, CoinInfo>([[SUI_COIN_TYPE, {decimals: 9, name: 'Sui', symbol: 'SUI'}]])
  /** The state one checkpoint behind the sealed view, kept from the first time it is asked for. */
  #previous: {store: CoinStore; writes: StoreWrite[]} | undefined
  #checkpointListeners = new Set<Listener<CheckpointRecord>>()
  #pruneListeners = new Set<Listener<bigint>>()

  constructor(opts: LedgerOptions = {}) {
    this.chain = opts.chain ?? 'localnet'
    this.chainId = opts.chainId ?? digestOf('genesis', this.chain)
    this.epoch = opts.epoch ?? 0n
    this.sealOnExecute = opts.sealOnExecute ?? true
    this.sealDelayMs = opts.sealDelayMs ?? 0
    this.stateLagMs = opts.stateLagMs ?? 0
    this.faucet = idOf('faucet', this.chainId)
    this.store.setAddressBalance(this.faucet, SUI_COIN_TYPE, FAUCET_GENESIS_SUI)
    this.#seal() // checkpoint 0, genesis: the faucet's allocation is part of its state
  }

  // ---- scenario API ----

  /** A fresh address with nothing in it; `label` only makes it reproducible and readable in ids. */
  createAddress(label?: string): string {
    this.#addressCounter += 1
    return idOf('address', this.chainId, label ?? this.#addressCounter)
  }

  /** Metadata GetCoinInfo answers with; SUI is registered from the start. */
  registerCoin(coinType: string, info: CoinInfo): void {
    this.#coinInfo.set(normalizeCoinType(coinType), info)
  }

  coinInfo(coinType: string): CoinInfo | undefined {
    return this.#coinInfo.get(normalizeCoinType(coinType))
  }

  /** Gives `owner` new funds: SUI comes from the faucet, other coin types are minted by it. */
  mint(owner: string, coinType: string, amount: bigint, opts: {addressBalance?: boolean} = {}): TransactionRecord {
    const type = normalizeCoinType(coinType)
    const to = normalizeAddress(owner)
    if (type === SUI_COIN_TYPE) return this.transfer({from: this.faucet, to, coinType: type, amount, toAddressBalance: opts.addressBalance})
    return this.#execute(this.faucet, {}, (t, change) => {
      t.moveCall('0x2', 'coin', opts.addressBalance ? 'mint_and_send_funds' : 'mint_and_transfer', [type])
      change.deposit(to, type, amount, opts.addressBalance)
    })
  }

  /**
   * Moves `amount` of `coinType`. A failed transfer (fail, or funds the sender does not have) only
   * pays gas and carries an execution error, as on chain.
   */
  transfer(opts: TransferOptions): TransactionRecord {
    const from = normalizeAddress(opts.from)
    const to = normalizeAddress(opts.to)
    const coinType = normalizeCoinType(opts.coinType)
    const failure = opts.fail ? errorOf(typeof opts.fail === 'string' ? opts.fail : undefined, opts.moveCalls) : undefined
    return this.#execute(from, {failure, events: opts.events}, (t, change) => {
      if (opts.moveCalls?.length) opts.moveCalls.forEach((c) => t.moveCall(c.package, c.module, c.function, c.typeArguments))
      else transferCommands(t, to, coinType, opts.amount, opts.toAddressBalance)
      change.withdraw(from, coinType, opts.amount)
      change.deposit(to, coinType, opts.amount, opts.toAddressBalance)
    })
  }

  /** Any transaction: the Move calls and events given, plus the balance movements given. */
  submit(opts: SubmitOptions): TransactionRecord {
    const sender = normalizeAddress(opts.sender)
    const failure = opts.success === false ? errorOf(opts.error, opts.moveCalls) : undefined
    const gasOwner = opts.sponsor === undefined ? undefined : normalizeAddress(opts.sponsor)
    return this.#execute(sender, {failure, events: opts.events, gas: opts.gas, digest: opts.digest, gasOwner}, (t, change) => {
      if (opts.commands) opts.commands.forEach((c) => t.command(c))
      else opts.moveCalls?.forEach((c) => t.moveCall(c.package, c.module, c.function, c.typeArguments))
      const changes = (opts.balanceChanges ?? []).map((c) => ({...c, address: normalizeAddress(c.address), coinType: normalizeCoinType(c.coinType)}))
      for (const c of changes) if (c.amount < 0n) change.withdraw(c.address, c.coinType, -c.amount)
      for (const c of changes) if (c.amount > 0n) change.deposit(c.address, c.coinType, c.amount, c.toAddressBalance)
    })
  }

  /**
   * Executes a checked program (transaction-checks.ts) received over gRPC; `dryRun` (a simulation)
   * works it out on the live state and commits nothing. A command the executor cannot model throws
   * a Refusal and leaves everything as it was.
   */
  runProgram(program: Program, opts: {digest: string; gasMode: GasMode; dryRun?: boolean}): ProgramRun {
    const outcome = executeProgram(this.store, program, opts.digest, opts.gasMode)
    const committed = opts.dryRun ? outcome.change.preview() : outcome.change.commit()
    const record = programRecord(tx().digest(opts.digest).sender(program.sender).epoch(this.epoch), program, outcome, committed)
    if (!opts.dryRun) {
      this.#executeCount += 1
      this.#accept(record)
      if (this.sealOnExecute && !this.producing) this.#sealExecuted()
    }
    return {record, inputCoins: committed.inputCoins, outputCoins: committed.outputCoins}
  }

  /** Transactions ExecuteTransaction has executed (not simulations, not repeats of the same bytes). */
  get executeCount(): number {
    return this.#executeCount
  }

  /** Adds a consensus commit prologue, the gasless system transaction opening mainnet checkpoints. */
  submitPrologue(): TransactionRecord {
    this.#txCounter += 1
    const record = tx().digest(digestOf('tx', this.chainId, this.#txCounter, 'prologue')).prologue().epoch(this.epoch).build()
    return this.#accept(record)
  }

  /**
   * Changes an address balance with no transaction reporting it (what a missed transaction or a
   * bug would leave): reconciliation must find it. It shows in state replies from the next seal.
   */
  injectDrift(owner: string, coinType: string, delta: bigint): void {
    const [address, type] = [normalizeAddress(owner), normalizeCoinType(coinType)]
    this.store.setAddressBalance(address, type, this.store.addressBalance(address, type) + delta)
  }

  /** Seals every pending transaction into the next checkpoint and returns its sequence number. */
  produceCheckpoint(): bigint {
    return this.#seal().sequenceNumber
  }

  /** Seals a checkpoint every 1/rate seconds (empty ones too, as a quiet chain does). */
  startProducing(checkpointsPerSecond: number, traffic?: Omit<TrafficOptions, 'checkpoints'>): void {
    this.stopProducing()
    // A seeded run gets a new seed each tick: the same seed every time would repeat one checkpoint.
    let ticks = 0
    const tick = () => {
      ticks += 1
      if (!traffic) return this.produceCheckpoint()
      return this.generateTraffic({...traffic, checkpoints: 1, ...(traffic.seed === undefined ? {} : {seed: traffic.seed + ticks})})
    }
    this.#producer = setInterval(tick, 1000 / checkpointsPerSecond)
    this.#producer.unref()
  }

  /** Cancels a pending seal and state catch-ups (the server is closing). */
  stopTimers(): void {
    clearTimeout(this.#sealTimer)
    this.#sealTimer = undefined
    for (const timer of this.#lagTimers) clearTimeout(timer)
    this.#lagTimers.clear()
  }

  stopProducing(): void {
    if (this.#producer) clearInterval(this.#producer)
    this.#producer = undefined
  }

  get producing(): boolean {
    return this.#producer !== undefined
  }

  /** Mainnet-shaped checkpoints; see traffic.ts. */
  generateTraffic(opts: TrafficOptions): TrafficSummary {
    return generateTraffic(this, opts)
  }

  /** Forgets checkpoints below `belowSequence` (never the tip), as a pruning fullnode does. */
  prune(belowSequence: bigint): void {
    const height = this.checkpointHeight
    const below = belowSequence > height ? height : belowSequence
    while (this.#lowest < below) {
      const dropped = this.#checkpoints.shift()
      this.#lowest += 1n
      if (!dropped) continue
      this.#byCheckpointDigest.delete(dropped.digest)
      for (const t of dropped.transactions) this.#transactions.delete(t.digest)
    }
    for (const listener of this.#pruneListeners) listener(this.#lowest)
  }

  // ---- queries the services answer from ----

  get checkpointHeight(): bigint {
    return this.#lowest + BigInt(this.#checkpoints.length) - 1n
  }

  /** The checkpoint state reads are as of: the latest sealed one, or with stateLagMs an earlier one. */
  get stateHeight(): bigint {
    return this.#stateHeight
  }

  get lowestAvailableCheckpoint(): bigint {
    return this.#lowest
  }

  get pendingTransactions(): readonly TransactionRecord[] {
    return this.#pending
  }

  serviceInfo(): ServiceInfo {
    return {
      chainId: this.chainId,
      chain: this.chain,
      epoch: this.epoch,
      checkpointHeight: this.checkpointHeight,
      timestampMs: this.latestCheckpoint().timestampMs,
      lowestAvailableCheckpoint: this.#lowest,
    }
  }

  /** undefined when pruned or not sealed yet. */
  checkpoint(sequenceNumber: bigint): CheckpointRecord | undefined {
    if (sequenceNumber < this.#lowest) return undefined
    return this.#checkpoints[Number(sequenceNumber - this.#lowest)]
  }

  checkpointByDigest(digest: string): CheckpointRecord | undefined {
    return this.#byCheckpointDigest.get(digest)
  }

  latestCheckpoint(): CheckpointRecord {
    const latest = this.#checkpoints.at(-1)
    if (!latest) throw new Error('ledger has no checkpoint')
    return latest
  }

  transaction(digest: string): LocatedTransaction | undefined {
    return this.#transactions.get(digest)
  }

  /**
   * The state as of the checkpoint before the latest sealed one: what a node answers from when a
   * checkpoint seals between its read and its response header (state-view.ts). Kept from the first
   * call on (it costs a second copy of the state), so until the next seal after that it is the
   * latest sealed state itself.
   */
  previousSealedStore(): CoinStore {
    this.#previous ??= {store: this.sealedStore.clone(), writes: []}
    return this.#previous.store
  }

  /** Live: pending transactions included (see `sealedStore` for the state as of `checkpointHeight`). */
  balance(owner: string, coinType: string): BalanceParts {
    return this.store.balance(normalizeAddress(owner), normalizeCoinType(coinType))
  }

  /** Live, like balance(). */
  balances(owner: string): BalanceParts[] {
    return this.store.balances(normalizeAddress(owner))
  }

  /** Live, like balance(). */
  coins(owner: string, coinType?: string): CoinObject[] {
    return this.store.coinsOf(normalizeAddress(owner), coinType === undefined ? undefined : normalizeCoinType(coinType))
  }

  onCheckpoint(listener: Listener<CheckpointRecord>): () => void {
    this.#checkpointListeners.add(listener)
    return () => this.#checkpointListeners.delete(listener)
  }

  onPrune(listener: Listener<bigint>): () => void {
    this.#pruneListeners.add(listener)
    return () => this.#pruneListeners.delete(listener)
  }

  /**
   * The one way a user transaction happens. `apply` states the commands and the state change; a
   * failure (asked for, or funds missing) discards that change and keeps only the gas payment.
   */
  #execute(
    sender: string,
    opts: {failure?: ExecutionErrorRecord; events?: EventSpec[]; gas?: Partial<GasCost>; digest?: string; gasOwner?: string},
    apply: (t: TransactionBuilder, change: StateChange) => void,
  ): TransactionRecord {
    this.#txCounter += 1
    const digest = opts.digest ?? digestOf('tx', this.chainId, this.#txCounter, sender)
    const build = tx().digest(digest).sender(sender).epoch(this.epoch)
    let failure = opts.failure
    let change = new StateChange(this.store, digest)
    let gas = {...(failure ? FAILED_GAS : DEFAULT_GAS), ...opts.gas}
    const gasOwner = opts.gasOwner ?? sender
    const payment = this.#chargeGas(change, gasOwner, gas)
    try {
      apply(build, change)
    } catch (error) {
      if (!(error instanceof InsufficientFunds)) throw error
      failure ??= {description: 'Insufficient coin balance for operation.', kind: 'INSUFFICIENT_COIN_BALANCE', command: 0n}
    }
    if (failure) {
      change = new StateChange(this.store, digest)
      gas = {...FAILED_GAS, ...opts.gas}
      build.gasPayment(this.#chargeGas(change, gasOwner, gas)).fail(failure.description, failure)
    } else {
      build.gasPayment(payment)
      for (const e of opts.events ?? []) build.event(e.type, e.json, {sender: e.sender ?? sender, packageId: e.packageId, module: e.module})
    }
    const committed = change.commit()
    build.gas(gas)
    committed.balanceChanges.forEach((c) => build.balanceChange(c.address, c.coinType, c.amount))
    committed.changedObjects.forEach((c) => build.changedObject(c))
    return this.#accept(build.build())
  }

  #chargeGas(change: StateChange, sender: string, gas: GasCost) {
    try {
      return change.chargeGas(sender, gas, REFERENCE_GAS_PRICE, DEFAULT_GAS_BUDGET)
    } catch (error) {
      // No transaction can even be signed without gas; in a scenario that is the test's mistake.
      if (error instanceof InsufficientFunds) throw new Error(`scenario error: ${error.message}; mint SUI to the sender first`, {cause: error})
      throw error
    }
  }

  #accept(record: TransactionRecord): TransactionRecord {
    this.#pending.push(record)
    this.#transactions.set(record.digest, {record})
    return record
  }

  /** An executed transaction's checkpoint: now, or sealDelayMs from the first one still waiting. */
  #sealExecuted(): void {
    if (this.sealDelayMs <= 0) {
      this.#seal()
      return
    }
    this.#sealTimer ??= setTimeout(() => {
      this.#sealTimer = undefined
      if (this.#pending.length > 0 && !this.producing) this.#seal()
    }, this.sealDelayMs)
  }

  #seal(): CheckpointRecord {
    const previous = this.#checkpoints.at(-1)
    const sequenceNumber = previous ? previous.sequenceNumber + 1n : 0n
    const now = BigInt(Date.now())
    // Checkpoint timestamps never go backwards, even when many are sealed in the same millisecond.
    const timestampMs = previous && previous.timestampMs >= now ? previous.timestampMs + 1n : now
    this.#totalTransactions += BigInt(this.#pending.length)
    // Nothing waits to be sealed any more: a seal pending for executed transactions is this one.
    clearTimeout(this.#sealTimer)
    this.#sealTimer = undefined
    const builder = checkpoint(sequenceNumber).previousDigest(previous?.digest).epoch(this.epoch).timestampMs(timestampMs)
    this.#pending.forEach((t) => builder.tx(t))
    const sealed = builder.totalNetworkTransactions(this.#totalTransactions).build()
    this.#pending = []
    // Every pending transaction is sealed at once, so the sealed view catches up with the live
    // state by replaying its writes; the height and the state it is as of move in the same step
    // (stateLagMs later, with a lag: checkpoints seal in order and each lags alike, so they reach
    // the state in order).
    const writes = this.store.takeWrites()
    if (this.stateLagMs > 0 && sequenceNumber > 0n) {
      const timer = setTimeout(() => {
        this.#lagTimers.delete(timer)
        this.#reachState(sequenceNumber, writes)
      }, this.stateLagMs)
      this.#lagTimers.add(timer)
    } else {
      this.#reachState(sequenceNumber, writes)
    }
    this.#checkpoints.push(sealed)
    this.#byCheckpointDigest.set(sealed.digest, sealed)
    sealed.transactions.forEach((record, index) => this.#transactions.set(record.digest, {record, checkpoint: sealed, index}))
    for (const listener of this.#checkpointListeners) listener(sealed)
    return sealed
  }

  /** State reads answer as of checkpoint `height` from now: its writes applied to the sealed view. */
  #reachState(height: bigint, writes: StoreWrite[]): void {
    this.sealedStore.apply(writes)
    if (this.#previous) {
      this.#previous.store.apply(this.#previous.writes)
      this.#previous.writes = writes
    }
    this.#stateHeight = height
  }
}

function errorOf(description: string | undefined, moveCalls: MoveCallSpec[] | undefined): ExecutionErrorRecord {
  const call = moveCalls?.[0]
  if (!call) return {description: description ?? 'Insufficient coin balance for operation.', kind: 'INSUFFICIENT_COIN_BALANCE', command: 0n}
  const abort = {abortCode: 1n, package: normalizeAddress(call.package), module: call.module, functionName: call.function}
  return {description: description ?? `MoveAbort in ${call.module}::${call.function} with code 1`, kind: 'MOVE_ABORT', command: 0n, abort}
}

/** The record of a program's run: the commands as recorded, its gas, status and what it changed. */
function programRecord(build: TransactionBuilder, program: Program, outcome: ExecutionOutcome, committed: CommittedChange): TransactionRecord {
  build.gasPayment(outcome.gasPayment).gas(outcome.gasUsed)
  outcome.commands.forEach((c) => build.command(c))
  if (outcome.failure) build.fail(outcome.failure.description, outcome.failure)
  withGasCharge(committed.balanceChanges, program.gas.owner, outcome.mockGasCharge).forEach((c) => build.balanceChange(c.address, c.coinType, c.amount))
  committed.changedObjects.forEach((c) => build.changedObject(c))
  return build.build()
}

/** The balance changes with a mock gas coin's charge added, which no coin object of the owner shows. */
function withGasCharge(changes: BalanceChangeRecord[], owner: string, charge: bigint | undefined): BalanceChangeRecord[] {
  if (!charge) return changes
  const own = changes.find((c) => c.address === owner && c.coinType === SUI_COIN_TYPE)
  if (own) return changes.map((c) => (c === own ? {...c, amount: c.amount - charge} : c)).filter((c) => c.amount !== 0n)
  return [...changes, {address: owner, coinType: SUI_COIN_TYPE, amount: -charge}]
}

/** What a wallet's plain transfer looks like: split the amount off, hand it over. */
function transferCommands(t: TransactionBuilder, to: string, coinType: string, amount: bigint, toAddressBalance?: boolean): void {
  t.command({kind: 'splitCoins', amounts: [amount]})
  if (toAddressBalance) t.moveCall('0x2', 'coin', 'send_funds', [coinType])
  else t.command({kind: 'transferObjects', recipient: to})
}
