// Flags of the coins commands: whose coins are managed (an address, or a registered account by
// email, address or id as the other commands take it), and a token by symbol or coin type. Bad
// values are usage errors (exit 2), found before anything is connected to.
import {Flags} from '@oclif/core'
import {AccountRepository} from '../src/accounts/account-repository.ts'
import {UsageError} from '../src/errors.ts'
import type {Database} from '../src/store/database.ts'
import {isSuiAddress, normalizeAddress} from '../src/sui/identifiers.ts'

export const addressFlag = Flags.custom<string>({
  parse: async (input) => {
    const value = input.trim()
    if (value.includes('@')) throw new Error(`${JSON.stringify(input)} is an email, not a Sui address; name the account with --account ${value}`)
    if (!isSuiAddress(value)) throw new Error(`${JSON.stringify(input)} is not a Sui address (0x followed by 1 to 64 hex digits)`)
    return normalizeAddress(value)
  },
})

/** --address or --account, one of them (ownerAddress refuses neither): the two flags every coins command has. */
export function ownerFlags(whose: string) {
  return {
    address: addressFlag({exclusive: ['account'], summary: `The address whose coins to ${whose}.`}),
    account: Flags.string({exclusive: ['address'], summary: `Or a registered account whose coins to ${whose}: its email, address or id.`}),
  }
}

/** The address the command works on: --address as given, or --account's, read from PostgreSQL. */
export async function ownerAddress(flags: {address?: string; account?: string}, db: () => Promise<Database>): Promise<string> {
  if (flags.address !== undefined) return flags.address
  if (flags.account === undefined) throw new UsageError('say whose coins: --address or --account', {remedy: 'add --address 0x… or --account ana@example.com'})
  return (await new AccountRepository(await db()).named(flags.account, '--account')).address
}

/** A token's symbol (SUI, CUSD, USDC, CONFIO) or coin type; checked against the registered tokens by the command. */
export const tokenFlag = Flags.custom<string>({parse: async (input) => input.trim()})
