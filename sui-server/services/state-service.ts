// sui.rpc.v2.StateService: GetBalance, ListBalances, ListOwnedObjects (coin objects), GetCoinInfo.
// Owners and coin types are accepted in short and long form (the SDK's getBalance passes
// `0x2::sui::SUI` as given). ListDynamicFields answers UNIMPLEMENTED.
//
// State is read from the ledger's sealed view: as of the latest sealed checkpoint, the height the
// x-sui-checkpoint-height header of the same reply reports (grpc-server.ts takes the headers in the
// same tick as these handlers read, which they do before any await), unless the faults make the
// reply's height one off (state-view.ts). A transaction executed but not yet in a checkpoint does
// not show.
import {GrpcTypes} from '@mysten/sui/grpc'
import {normalizeStructTag, parseStructTag} from '@mysten/sui/utils'
import {normalizeAddress, normalizeCoinType} from '../../src/sui/identifiers.ts'
import {type BalanceParts, type CoinObject} from '../coin-store.ts'
import {type ServiceParts, rpcError} from '../grpc-server.ts'
import type {Ledger} from '../ledger.ts'
import {masked} from '../masked.ts'
import {stateFor} from '../state-view.ts'
import {coinObjectMessage} from '../proto-messages.ts'

/** Page sizes as the protos document them: 50 by default, at most 1000. */
const DEFAULT_PAGE_SIZE = 50
const MAX_PAGE_SIZE = 1000
const COIN_STRUCT = '0x0000000000000000000000000000000000000000000000000000000000000002::coin::Coin'

export function stateService(ledger: Ledger): ServiceParts {
  return {
    info: GrpcTypes.StateService,
    unary: {
      getBalance: async (request: GrpcTypes.GetBalanceRequest) => {
        const parts = stateFor(ledger, request).balance(owner(request.owner), coinType(request.coinType))
        return GrpcTypes.GetBalanceResponse.create({balance: balanceMessage(parts)})
      },
      listBalances: async (request: GrpcTypes.ListBalancesRequest) => {
        const all = stateFor(ledger, request).balances(owner(request.owner))
        const after = request.pageToken?.length ? Buffer.from(request.pageToken).toString() : undefined
        const {page, next} = pageOf(all, (b) => b.coinType, after, request.pageSize)
        return GrpcTypes.ListBalancesResponse.create({balances: page.map(balanceMessage), nextPageToken: next})
      },
      listOwnedObjects: async (request: GrpcTypes.ListOwnedObjectsRequest) => {
        const coins = stateFor(ledger, request).coinsOf(owner(request.owner)).filter(typeFilter(request.objectType))
        const after = request.pageToken?.length ? Buffer.from(request.pageToken).toString() : undefined
        const {page, next} = pageOf(coins, (c) => c.objectId, after, request.pageSize)
        const objects = page.map((c) => masked(GrpcTypes.Object, coinObjectMessage(c), request.readMask?.paths, ['object_id', 'version', 'object_type']))
        return GrpcTypes.ListOwnedObjectsResponse.create({objects, nextPageToken: next})
      },
      getCoinInfo: async (request: GrpcTypes.GetCoinInfoRequest) => {
        const type = coinType(request.coinType)
        const info = ledger.coinInfo(type)
        if (!info) throw rpcError('NOT_FOUND', `coin ${type} is not registered`)
        return GrpcTypes.GetCoinInfoResponse.create({coinType: type, metadata: {decimals: info.decimals, name: info.name, symbol: info.symbol, description: ''}})
      },
    },
  }
}

/** sui.rpc.v2.Balance: balance = coin_balance + address_balance (SIP-58). */
function balanceMessage(parts: BalanceParts): GrpcTypes.Balance {
  return {coinType: parts.coinType, balance: parts.coinBalance + parts.addressBalance, coinBalance: parts.coinBalance, addressBalance: parts.addressBalance}
}

/**
 * One page after the `after` key. next_page_token is left out on the last page: the SDK treats
 * any token, even empty bytes, as "more pages".
 */
function pageOf<T>(items: T[], keyOf: (item: T) => string, after: string | undefined, pageSize: number | undefined): {page: T[]; next?: Uint8Array} {
  const size = Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
  const from = after === undefined ? 0 : items.findIndex((item) => keyOf(item) > after)
  const rest = from < 0 ? [] : items.slice(from)
  const page = rest.slice(0, size)
  const last = page.at(-1)
  return rest.length > size && last !== undefined ? {page, next: Buffer.from(keyOf(last))} : {page}
}

/** `0x2::coin::Coin<T>` selects coins of T; bare `0x2::coin::Coin` all coins; other types nothing (only coins are modelled). */
function typeFilter(objectType: string | undefined): (coin: CoinObject) => boolean {
  if (!objectType) return () => true
  let tag
  try {
    tag = parseStructTag(objectType)
  } catch {
    throw rpcError('INVALID_ARGUMENT', `invalid object_type ${objectType}`)
  }
  const normalized = normalizeStructTag(tag)
  if (normalized === COIN_STRUCT) return () => true
  return (coin) => normalized === `${COIN_STRUCT}<${coin.coinType}>`
}

function owner(value: string | undefined): string {
  try {
    return normalizeAddress(value ?? '')
  } catch {
    throw rpcError('INVALID_ARGUMENT', `invalid owner address ${value}`)
  }
}

function coinType(value: string | undefined): string {
  try {
    return normalizeCoinType(value ?? '')
  } catch {
    throw rpcError('INVALID_ARGUMENT', `invalid coin type ${value}`)
  }
}
