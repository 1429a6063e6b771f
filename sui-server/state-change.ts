// What one transaction does to the coin store, worked out before anything is written: coins it
// reads, merges, splits, creates and deletes, address-balance withdrawals and deposits, and the
// gas it pays. commit() applies all of it at once and derives the transaction's balance changes
// and changed objects from the same working state, so effects can never disagree with balances;
// preview() derives the same without writing (a simulation).
//
// Two levels of use: the scenario API states amounts (withdraw, deposit, chargeGas, which pick the
// coins as a wallet would), and the transaction executor states exact coin writes (writeCoin,
// deleteCoin, touchCoin, adjustAddressBalance). Balance changes are derived the way a node does,
// from each touched coin's balance before and after plus the address-balance changes.
import {type BalanceChangeRecord, type ChangedObjectRecord, type GasCost, type GasPaymentRecord, digestOf, idOf, netGas} from './chain-builder.ts'
import {SUI_COIN_TYPE} from '../src/sui/identifiers.ts'
import {type CoinObject, type CoinStore, coinObjectType, refOf} from './coin-store.ts'

/** The sender cannot cover an amount or the gas; the ledger turns it into a failed transaction or a test error. */
export class InsufficientFunds extends Error {
  override name = 'InsufficientFunds'
}

export interface CommittedChange {
  balanceChanges: BalanceChangeRecord[]
  changedObjects: ChangedObjectRecord[]
  /** Touched coins as they were before (input objects) and as written (output objects), by id. */
  inputCoins: CoinObject[]
  outputCoins: CoinObject[]
}

export class StateChange {
  #store: CoinStore
  #seed: string
  /** Each touched coin as it was before the transaction (absent for coins it created). */
  #inputs = new Map<string, CoinObject>()
  /** Each touched coin as it will be after; null when deleted. */
  #outputs = new Map<string, CoinObject | null>()
  #addressBalances = new Map<string, bigint>()
  #gasCoin: string | undefined
  #createdCount = 0

  /** `seed` makes the ids of created coins unique per transaction and reproducible. */
  constructor(store: CoinStore, seed: string) {
    this.#store = store
    this.#seed = seed
  }

  /** Coin plus address balance the owner can spend now, including this transaction's changes. */
  available(owner: string, coinType: string): bigint {
    const coins = this.#coins(owner, coinType).reduce((sum, c) => sum + c.balance, 0n)
    return coins + this.#addressBalance(owner, coinType)
  }

  /**
   * Pays gas in SUI. Like a wallet, it passes all the sender's SUI coins as payment and the
   * network merges them into the first ("gas smashing"); with no SUI coin at all, gas comes from
   * the address balance and the payment lists no objects (SIP-58).
   */
  chargeGas(owner: string, gas: GasCost, price: bigint, budget: bigint): GasPaymentRecord {
    const net = netGas(gas)
    if (this.available(owner, SUI_COIN_TYPE) < net) throw new InsufficientFunds(`${owner} cannot pay ${net} MIST of gas`)
    const coins = this.#coins(owner, SUI_COIN_TYPE)
    if (coins.length === 0 || coins.reduce((s, c) => s + c.balance, 0n) < net) {
      this.#spendAddressBalance(owner, SUI_COIN_TYPE, net)
      return {objects: [], owner, price, budget}
    }
    const used = coins // every SUI coin goes into the payment and is merged into the first
    const total = used.reduce((sum, c) => sum + c.balance, 0n)
    const [gasCoin, ...merged] = used
    if (!gasCoin) throw new InsufficientFunds(`${owner} has no gas coin`)
    this.#gasCoin = gasCoin.objectId
    for (const coin of merged) this.#write(coin, null)
    this.#write(gasCoin, {...gasCoin, balance: total - net})
    return {objects: used.map((c) => refOf(this.#inputs.get(c.objectId) ?? c)), owner, price, budget}
  }

  /**
   * Takes `amount` from the owner's coins, then from the address balance. Like the SDK's
   * coinWithBalance, it merges all the owner's coins of the type into the largest one and splits
   * the amount off, so an owner holds at most a few coins of a type (and lookups stay cheap).
   */
  withdraw(owner: string, coinType: string, amount: bigint): void {
    if (amount <= 0n) return
    if (this.available(owner, coinType) < amount) throw new InsufficientFunds(`${owner} holds less than ${amount} of ${coinType}`)
    const [primary, ...merged] = this.#coins(owner, coinType)
    const coinTotal = [primary, ...merged].reduce((sum, c) => sum + (c?.balance ?? 0n), 0n)
    const fromCoins = coinTotal < amount ? coinTotal : amount
    if (primary) {
      for (const coin of merged) this.#write(coin, null)
      const remaining = coinTotal - fromCoins
      // A drained coin is destroyed, except the gas coin, which always survives its transaction.
      if (remaining === 0n && primary.objectId !== this.#gasCoin) this.#write(primary, null)
      else this.#write(primary, {...primary, balance: remaining})
    }
    if (amount > fromCoins) this.#spendAddressBalance(owner, coinType, amount - fromCoins)
  }

  /** Gives the owner a new coin object, or credits its address balance (SIP-58 send_funds). */
  deposit(owner: string, coinType: string, amount: bigint, toAddressBalance = false): void {
    if (amount <= 0n) return
    if (toAddressBalance) {
      this.#addressBalances.set(key(owner, coinType), this.#addressBalance(owner, coinType) + amount)
    } else {
      const objectId = this.newCoinId()
      this.#outputs.set(objectId, {objectId, version: 0n, digest: '', balance: amount, coinType, owner})
    }
  }

  // ---- exact writes, for the transaction executor ----

  /** A coin as this transaction sees it: its own writes first, then the store; undefined once deleted. */
  coin(objectId: string): CoinObject | undefined {
    return this.#outputs.has(objectId) ? (this.#outputs.get(objectId) ?? undefined) : this.#store.get(objectId)
  }

  /** The id the next coin this transaction creates gets (unique per transaction, reproducible). */
  newCoinId(): string {
    this.#createdCount += 1
    return idOf('coin', this.#seed, this.#createdCount)
  }

  /** The coin's state after the transaction; a coin the store does not hold is created. */
  writeCoin(coin: CoinObject): void {
    const stored = this.#store.get(coin.objectId)
    if (stored) this.#write(stored, {...coin})
    else this.#outputs.set(coin.objectId, {...coin})
  }

  deleteCoin(objectId: string): void {
    const stored = this.#store.get(objectId)
    if (stored) this.#write(stored, null)
    else this.#outputs.delete(objectId)
  }

  /** Written unchanged: an owned input gets the transaction's version even when nothing else moves. */
  touchCoin(objectId: string): void {
    const current = this.coin(objectId)
    if (current) this.writeCoin(current)
  }

  /** Adds to (or, negative, takes from) an address balance; it may not go below zero. */
  adjustAddressBalance(owner: string, coinType: string, delta: bigint): void {
    if (delta < 0n) this.#spendAddressBalance(owner, coinType, -delta)
    else if (delta > 0n) this.#addressBalances.set(key(owner, coinType), this.#addressBalance(owner, coinType) + delta)
  }

  addressBalance(owner: string, coinType: string): bigint {
    return this.#addressBalance(owner, coinType)
  }

  // ---- outcome ----

  /** What commit() would write and report, without writing it (a simulation). */
  preview(): CommittedChange {
    return this.#outcome()
  }

  /** Writes the change into the store; every object the transaction wrote gets its lamport version. */
  commit(): CommittedChange {
    const outcome = this.#outcome()
    const written = new Map(outcome.outputCoins.map((c) => [c.objectId, c]))
    for (const objectId of this.#sortedOutputIds()) {
      const coin = written.get(objectId)
      if (coin) this.#store.put(coin)
      else this.#store.remove(objectId)
    }
    for (const [k, amount] of this.#addressBalances) {
      const [owner, coinType] = split(k)
      this.#store.setAddressBalance(owner, coinType, amount)
    }
    return outcome
  }

  #outcome(): CommittedChange {
    const lamport = [...this.#inputs.values()].reduce((max, c) => (c.version > max ? c.version : max), 0n) + 1n
    const changedObjects: ChangedObjectRecord[] = []
    const inputCoins: CoinObject[] = []
    const outputCoins: CoinObject[] = []
    for (const objectId of this.#sortedOutputIds()) {
      const after = this.#outputs.get(objectId)
      const before = this.#inputs.get(objectId)
      // A coin created and destroyed by the same transaction leaves no trace in its effects.
      if (!before && !after) continue
      const written = after ? {...after, version: lamport, digest: digestOf('object', objectId, lamport)} : null
      if (before) inputCoins.push(before)
      if (written) outputCoins.push(written)
      changedObjects.push(changedObject(objectId, before, written))
    }
    return {balanceChanges: this.#balanceChanges(inputCoins, outputCoins), changedObjects, inputCoins, outputCoins}
  }

  #sortedOutputIds(): string[] {
    return [...this.#outputs.keys()].sort()
  }

  /** Derived as a node does: each touched coin's balance before and after, per owner, plus address-balance changes. */
  #balanceChanges(inputCoins: CoinObject[], outputCoins: CoinObject[]): BalanceChangeRecord[] {
    const deltas = new Map<string, bigint>()
    const add = (owner: string, coinType: string, amount: bigint) => deltas.set(key(owner, coinType), (deltas.get(key(owner, coinType)) ?? 0n) + amount)
    for (const coin of inputCoins) add(coin.owner, coin.coinType, -coin.balance)
    for (const coin of outputCoins) add(coin.owner, coin.coinType, coin.balance)
    for (const [k, amount] of this.#addressBalances) {
      const [owner, coinType] = split(k)
      add(owner, coinType, amount - this.#store.addressBalance(owner, coinType))
    }
    return [...deltas]
      .filter(([, amount]) => amount !== 0n)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, amount]) => {
        const [address, coinType] = split(k)
        return {address, coinType, amount}
      })
  }

  /** The owner's coins of a type as this transaction sees them, largest first. */
  #coins(owner: string, coinType: string): CoinObject[] {
    // Coins created by this same transaction are not spendable by it, as on chain.
    const coins: CoinObject[] = []
    for (const stored of this.#store.coinsOf(owner, coinType)) {
      const current = this.#outputs.has(stored.objectId) ? this.#outputs.get(stored.objectId) : stored
      if (current) coins.push(current)
    }
    return coins.sort((a, b) => (a.balance === b.balance ? (a.objectId < b.objectId ? -1 : 1) : a.balance > b.balance ? -1 : 1))
  }

  #write(coin: CoinObject, after: CoinObject | null): void {
    if (!this.#inputs.has(coin.objectId) && this.#store.get(coin.objectId)) this.#inputs.set(coin.objectId, {...coin})
    this.#outputs.set(coin.objectId, after)
  }

  #addressBalance(owner: string, coinType: string): bigint {
    return this.#addressBalances.get(key(owner, coinType)) ?? this.#store.addressBalance(owner, coinType)
  }

  #spendAddressBalance(owner: string, coinType: string, amount: bigint): void {
    const balance = this.#addressBalance(owner, coinType)
    if (balance < amount) throw new InsufficientFunds(`${owner} address balance holds less than ${amount} of ${coinType}`)
    this.#addressBalances.set(key(owner, coinType), balance - amount)
  }
}

function key(owner: string, coinType: string): string {
  return `${owner}\n${coinType}`
}

function split(k: string): [string, string] {
  const at = k.indexOf('\n')
  return [k.slice(0, at), k.slice(at + 1)]
}

function changedObject(objectId: string, before: CoinObject | undefined, after: CoinObject | null): ChangedObjectRecord {
  const coinType = (after ?? before)?.coinType ?? ''
  return {
    objectId,
    objectType: coinObjectType(coinType),
    input: before && {version: before.version, digest: before.digest, owner: before.owner},
    output: after ? {version: after.version, digest: after.digest, owner: after.owner} : undefined,
    idOperation: !before ? 'created' : after ? 'none' : 'deleted',
  }
}
