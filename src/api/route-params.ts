// What routes check of the path and body beyond their schema. The {account}: an id, an email or a
// Sui address. A value that is none of these is bad input (400), not an unknown account: one that
// starts with 0x but is not a Sui address is INVALID_ADDRESS. Only a well-formed reference that
// names no active account is a 404.
import type {Account} from '../accounts/account-repository.ts'
import {isSuiAddress, isTransactionDigest} from '../sui/identifiers.ts'
import type {Token} from '../tokens/token-registry.ts'
import {ApiError} from './api-error.ts'
import type {ApiServices} from './api-services.ts'

const REMEDY = 'name the account by its id, its email or its Sui address (0x followed by 1 to 64 hex digits)'

export async function resolveAccount(services: ApiServices, raw: string): Promise<Account> {
  const ref = raw.trim()
  if (/^0x/i.test(ref)) {
    if (!isSuiAddress(ref)) throw new ApiError(400, 'INVALID_ADDRESS', 'the account is not a valid Sui address', 'a Sui address is 0x followed by 1 to 64 hex digits')
  } else if (!/^\d{1,19}$/.test(ref) && !/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(ref)) {
    throw new ApiError(400, 'INVALID_ACCOUNT', 'the account is neither an id, an email nor a Sui address', REMEDY)
  }
  const account = await services.accounts.find(ref)
  if (!account) throw new ApiError(404, 'ACCOUNT_NOT_FOUND', 'no active account has this id, email or address', 'check the reference; an account removed with confio accounts remove is no longer served')
  return account
}

/** A registered token by symbol (any case); one that is not registered is INVALID_TOKEN, naming those that are. */
export function registeredToken(services: ApiServices, symbol: string): Token {
  const token = services.tokens.bySymbol(symbol)
  if (!token) throw new ApiError(400, 'INVALID_TOKEN', `token ${JSON.stringify(symbol.slice(0, 16))} is not registered`, `use one of ${services.tokens.list().map((t) => t.symbol).join(', ')}`)
  return token
}

/** A transaction digest: base58 of 32 bytes (the schema checks the alphabet, this the length decoded). */
export function transactionDigest(digest: string): string {
  if (!isTransactionDigest(digest)) throw new ApiError(400, 'INVALID_DIGEST', 'the digest is not a Sui transaction digest', 'send the digest of the transaction as Sui returns it (base58 of 32 bytes)')
  return digest
}
