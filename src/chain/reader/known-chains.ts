// Which network a chain id belongs to. Sui's chain identifier is the genesis checkpoint's digest;
// the CLI and docs show its first four bytes in hex (mainnet 35834a8a, testnet 4c78adac), while
// GetServiceInfo answers with the whole digest in base58. Both forms are accepted; confio shows
// the short one, and names the chain with chainName() wherever it prints one.
import {fromBase58, toHex} from '@mysten/sui/utils'

import type {SuiNetwork} from '../chain-options.ts'

export const KNOWN_CHAIN_IDS: Readonly<Record<string, SuiNetwork>> = {
  '35834a8a': 'mainnet',
  '4c78adac': 'testnet',
}

/** The 8-hex-digit short form of a chain id, or undefined when it is neither form. */
export function shortChainId(chainId: string): string | undefined {
  if (/^[0-9a-f]{8}$/i.test(chainId)) return chainId.toLowerCase()
  try {
    const bytes = fromBase58(chainId)
    return bytes.length === 32 ? toHex(bytes.slice(0, 4)) : undefined
  } catch {
    return undefined
  }
}

/** mainnet or testnet for their ids; undefined for anything else (a devnet, a localnet). */
export function networkOfChainId(chainId: string): SuiNetwork | undefined {
  const short = shortChainId(chainId)
  return short === undefined ? undefined : KNOWN_CHAIN_IDS[short]
}

/**
 * Whether a node on `chainId` may serve a confio configured for `network`. Devnet is wiped and
 * re-created with a new genesis every week and every localnet has its own, so those accept any
 * chain id; mainnet and testnet accept only their own.
 */
export function chainMatchesNetwork(chainId: string, network: SuiNetwork): boolean {
  if (network === 'devnet' || network === 'localnet') return true
  return networkOfChainId(chainId) === network
}

/**
 * What confio calls a chain in output and errors. Only the id can vouch for mainnet or testnet, so
 * those names come from it; any other chain goes by the node's own name for it (a Sui node says
 * "unknown" for a devnet or localnet; the local test server says "localnet"), unless that name
 * claims mainnet or testnet for another id.
 */
export function chainName(chainId: string, nodeChain: string): string {
  const network = networkOfChainId(chainId)
  if (network !== undefined) return network
  const claimed = nodeChain.trim()
  if (claimed && claimed !== 'unknown' && claimed !== 'mainnet' && claimed !== 'testnet') return claimed
  return 'not mainnet or testnet'
}
