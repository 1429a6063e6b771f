// The ledger's current state: coin objects (sui.rpc.v2.Object with a Coin<T> type) and SIP-58
// address balances, per owner and coin type. A balance is always the sum of the two parts, which is
// what GetBalance reports as balance = coin_balance + address_balance.
import type {ObjectRef} from '../chain-builder.ts'

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
    let owned = this.#byOwner.get(coin.owner)
    if (!owned) this.#byOwner.set(coin.owner, (owned = new Set()))
    owned.add(coin.objectId)
  }

  remove(objectId: string): void {
    const coin = this.#coins.get(objectId)
    if (!coin) return
    this.#coins.delete(objectId)
    this.#byOwner.get(coin.owner)?.delete(objectId)
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
  }

  balance(owner: string, coinType: string): BalanceParts {
    const coinBalance = this.coinsOf(owner, coinType).reduce((sum, c) => sum + c.balance, 0n)
    return {coinType, coinBalance, addressBalance: this.addressBalance(owner, coinType)}
  }

  /** Every coin type the owner holds in either form, sorted, as ListBalances returns them. */
  balances(owner: string): BalanceParts[] {
    const types = new Set<string>(this.coinsOf(owner).map((c) => c.coinType))
    for (const coinType of this.#addressBalances.get(owner)?.keys() ?? []) types.add(coinType)
    return [...types].sort().map((coinType) => this.balance(owner, coinType))
  }
}
