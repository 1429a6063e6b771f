// The ledger's state: coin objects (sui.rpc.v2.Object with a Coin<T> type) and SIP-58 address
// balances, per owner and coin type. A balance is always the sum of the two parts, which is what
// GetBalance reports as balance = coin_balance + address_balance.
//
// A store can record its writes (`recordWrites`). Every write is absolute (a whole coin object, a
// removal, an address balance's new amount), so replaying a store's writes in order on a copy that
// was at the same state brings the copy to the same state: that is how the ledger's sealed view
// catches up with execution when a checkpoint is sealed (ledger.ts).
import type {ObjectRef} from './chain-builder.ts'

export interface CoinObject {
  objectId: string
  version: bigint
  digest: string
  balance: bigint
  /** The T of Coin<T>, normalized. */
  coinType: string
  owner: string
}

export interface BalanceParts {
  coinType: string
  coinBalance: bigint
  addressBalance: bigint
}

/** One write to a store, as recorded and replayed. */
export type StoreWrite =
  | {kind: 'put'; coin: CoinObject}
  | {kind: 'remove'; objectId: string}
  | {kind: 'addressBalance'; owner: string; coinType: string; amount: bigint}

export function coinObjectType(coinType: string): string {
  return `0x0000000000000000000000000000000000000000000000000000000000000002::coin::Coin<${coinType}>`
}

export function refOf(coin: CoinObject): ObjectRef {
  return {objectId: coin.objectId, version: coin.version, digest: coin.digest}
}

export class CoinStore {
  #coins = new Map<string, CoinObject>()
  #byOwner = new Map<string, Set<string>>()
  #addressBalances = new Map<string, Map<string, bigint>>()
  #writes: StoreWrite[] | undefined

  constructor(opts: {recordWrites?: boolean} = {}) {
    if (opts.recordWrites) this.#writes = []
  }

  /** The writes recorded since the last call, in order; the record starts over. */
  takeWrites(): StoreWrite[] {
    if (!this.#writes) throw new Error('this coin store does not record its writes')
    return this.#writes.splice(0)
  }

  /** A store at the same state, recording nothing. */
  clone(): CoinStore {
    const copy = new CoinStore()
    for (const coin of this.#coins.values()) copy.put(coin)
    for (const [owner, balances] of this.#addressBalances) for (const [coinType, amount] of balances) copy.setAddressBalance(owner, coinType, amount)
    return copy
  }

  /** Replays writes (another store's takeWrites()) in order. */
  apply(writes: readonly StoreWrite[]): void {
    for (const write of writes) {
      if (write.kind === 'put') this.put(write.coin)
      else if (write.kind === 'remove') this.remove(write.objectId)
      else this.setAddressBalance(write.owner, write.coinType, write.amount)
    }
  }

  get(objectId: string): CoinObject | undefined {
    return this.#coins.get(objectId)
  }

  /** Coins of an owner ordered by object id, the stable order ListOwnedObjects pages through. */
  coinsOf(owner: string, coinType?: string): CoinObject[] {
    const ids = [...(this.#byOwner.get(owner) ?? [])].sort()
    const coins = ids.map((id) => this.#coins.get(id)).filter((c): c is CoinObject => c !== undefined)
    return coinType === undefined ? coins : coins.filter((c) => c.coinType === coinType)
  }

  put(coin: CoinObject): void {
    const previous = this.#coins.get(coin.objectId)
    if (previous && previous.owner !== coin.owner) this.#byOwner.get(previous.owner)?.delete(coin.objectId)
    this.#coins.set(coin.objectId, {...coin})
    this.#writes?.push({kind: 'put', coin: {...coin}})
    let owned = this.#byOwner.get(coin.owner)
    if (!owned) this.#byOwner.set(coin.owner, (owned = new Set()))
    owned.add(coin.objectId)
  }

  remove(objectId: string): void {
    const coin = this.#coins.get(objectId)
    if (!coin) return
    this.#coins.delete(objectId)
    this.#byOwner.get(coin.owner)?.delete(objectId)
    this.#writes?.push({kind: 'remove', objectId})
  }

  addressBalance(owner: string, coinType: string): bigint {
    return this.#addressBalances.get(owner)?.get(coinType) ?? 0n
  }

  setAddressBalance(owner: string, coinType: string, amount: bigint): void {
    if (amount < 0n) throw new RangeError(`address balance of ${owner} in ${coinType} would go negative`)
    let balances = this.#addressBalances.get(owner)
    if (!balances) this.#addressBalances.set(owner, (balances = new Map()))
    if (amount === 0n) balances.delete(coinType)
    else balances.set(coinType, amount)
    this.#writes?.push({kind: 'addressBalance', owner, coinType, amount})
  }

  balance(owner: string, coinType: string): BalanceParts {
    const coinBalance = this.coinsOf(owner, coinType).reduce((sum, c) => sum + c.balance, 0n)
    return {coinType, coinBalance, addressBalance: this.addressBalance(owner, coinType)}
  }

  /** Every coin type the owner holds in either form, sorted, as ListBalances returns them. */
  balances(owner: string): BalanceParts[] {
    // One pass over the owner's coins: an owner may hold a thousand coin types.
    const parts = new Map<string, BalanceParts>()
    const partsOf = (coinType: string): BalanceParts => {
      let p = parts.get(coinType)
      if (!p) parts.set(coinType, (p = {coinType, coinBalance: 0n, addressBalance: 0n}))
      return p
    }
    for (const coin of this.coinsOf(owner)) partsOf(coin.coinType).coinBalance += coin.balance
    for (const [coinType, amount] of this.#addressBalances.get(owner) ?? []) partsOf(coinType).addressBalance = amount
    return [...parts.values()].sort((a, b) => (a.coinType < b.coinType ? -1 : a.coinType > b.coinType ? 1 : 0))
  }
}
