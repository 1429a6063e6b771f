// The protocol limits a coin-management transaction must stay within, and how many coins that
// lets one transaction take. They are read from the node's protocol configuration (GetEpoch)
// where it sends one; a node that does not gets the documented mainnet values (protocol 140).
// Crossing a limit is not a failed transaction but a rejected one: the node refuses to sign it.
import type {EpochRecord} from '../chain/index.ts'

export interface ProtocolLimits {
  /** Owned, shared and receiving objects among one transaction's inputs (`max_input_objects`). */
  maxInputObjects: number
  /** Arguments of one command, e.g. the coins one MergeCoins takes (`max_arguments`). */
  maxArguments: number
  /** Commands of one programmable transaction (`max_programmable_tx_commands`). */
  maxCommands: number
  /** The signed transaction's BCS size (`max_tx_size_bytes`). */
  maxTransactionBytes: number
  /** Coins in one gas payment; the chain merges them into the first ("smashing"). */
  maxGasPaymentObjects: number
  /** Whether the network has address balances (SIP-58, protocol 124: `enable_accumulators`). */
  addressBalances: boolean
  protocolVersion: bigint | undefined
  source: 'node' | 'mainnet defaults'
}

/** Sui mainnet, protocol 140 (sui-protocol-config; Sui docs, "Building against limits"). */
export const MAINNET_LIMITS: ProtocolLimits = Object.freeze({
  maxInputObjects: 2_048,
  maxArguments: 512,
  maxCommands: 1_024,
  maxTransactionBytes: 128 * 1_024,
  maxGasPaymentObjects: 256,
  addressBalances: true,
  protocolVersion: undefined,
  source: 'mainnet defaults',
})

/** The protocol version that introduced address balances, for nodes that send no feature flag. */
const ADDRESS_BALANCES_PROTOCOL = 124n

/** Limits from GetEpoch's protocol configuration; any value it lacks keeps its mainnet default. */
export function protocolLimitsOf(epoch: EpochRecord): ProtocolLimits {
  const protocol = epoch.protocol
  if (protocol === undefined) return MAINNET_LIMITS
  const read = (name: string, fallback: number): number => {
    const value = Number(protocol.attributes[name])
    return Number.isSafeInteger(value) && value > 0 ? value : fallback
  }
  const flag = protocol.featureFlags.enable_accumulators
  const version = protocol.version
  return {
    maxInputObjects: read('max_input_objects', MAINNET_LIMITS.maxInputObjects),
    maxArguments: read('max_arguments', MAINNET_LIMITS.maxArguments),
    maxCommands: read('max_programmable_tx_commands', MAINNET_LIMITS.maxCommands),
    maxTransactionBytes: read('max_tx_size_bytes', MAINNET_LIMITS.maxTransactionBytes),
    maxGasPaymentObjects: read('max_gas_payment_objects', MAINNET_LIMITS.maxGasPaymentObjects),
    addressBalances: flag ?? (version === undefined ? MAINNET_LIMITS.addressBalances : version >= ADDRESS_BALANCES_PROTOCOL),
    protocolVersion: version,
    source: 'node',
  }
}

// What a coin costs a transaction in bytes: an owned-object input (CallArg and ObjectArg tags,
// 32-byte id, u64 version, length-prefixed 32-byte digest) is 75 bytes, and naming it in a
// MergeCoins another 3 (Argument tag and u16 index). A gas-payment coin is a bare reference, 73.
const BYTES_PER_INPUT_COIN = 78
const BYTES_PER_GAS_COIN = 73
/**
 * Room for the rest of a signed transaction: sender, gas data, the few other commands and pure
 * inputs (a split amount, an address) and up to two signatures (the largest, secp256r1, is
 * 98 bytes). 4 KiB is several times what they take.
 */
const ENVELOPE_BYTES = 4_096

/**
 * The SUI coins a transaction of another token may pay its gas with: a handful covers any budget
 * a coin-management transaction needs, and they stay within the envelope's bytes.
 */
export const MAX_TOKEN_GAS_COINS = 16

/**
 * How many coins one transaction can take as inputs besides `reserved` other input objects, and
 * as gas payment when `gasCoins` (SUI, whose coins can pay the gas); otherwise room is left for
 * MAX_TOKEN_GAS_COINS SUI coins paying the gas. Within the input-object limit (gas coins count
 * towards it), the gas-payment limit and the size limit, which binds first on mainnet (about
 * 1,600 coins, fewer than 2,048).
 */
export function coinCapacity(limits: ProtocolLimits, options: {reserved?: number; gasCoins?: boolean} = {}): {inputs: number; gas: number} {
  const room = limits.maxTransactionBytes - ENVELOPE_BYTES
  const gas = options.gasCoins ? Math.min(limits.maxGasPaymentObjects, Math.floor(room / BYTES_PER_GAS_COIN)) : 0
  const bySize = Math.floor((room - gas * BYTES_PER_GAS_COIN) / BYTES_PER_INPUT_COIN)
  const otherObjects = (options.reserved ?? 0) + (options.gasCoins ? gas : MAX_TOKEN_GAS_COINS)
  const inputs = Math.max(0, Math.min(limits.maxInputObjects - otherObjects, bySize))
  return {inputs, gas}
}

/** The coins one MergeCoins may name besides its destination. */
export function mergeChunk(limits: ProtocolLimits): number {
  return limits.maxArguments - 1
}
