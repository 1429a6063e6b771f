// Flags of the coins commands: the address whose coins are managed, and a token by symbol or coin
// type. Bad values are usage errors (exit 2), found before anything is connected to.
import {Flags} from '@oclif/core'
import {isSuiAddress, normalizeAddress} from '../src/sui/identifiers.ts'

export const addressFlag = Flags.custom<string>({
  parse: async (input) => {
    const value = input.trim()
    if (!isSuiAddress(value)) throw new Error(`${JSON.stringify(input)} is not a Sui address (0x followed by 1 to 64 hex digits)`)
    return normalizeAddress(value)
  },
})

/** A token's symbol (SUI, CUSD, USDC, CONFIO) or coin type; checked against the registered tokens by the command. */
export const tokenFlag = Flags.custom<string>({parse: async (input) => input.trim()})
