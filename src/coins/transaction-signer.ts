// Signs coin-management transactions with a key in Sui's exported form (`suiprivkey1…`, bech32
// of a scheme flag and the 32-byte secret). The scheme comes from the key itself: Ed25519,
// Secp256k1 or Secp256r1. The key is held in a private field and never leaves this file: no
// property, error message or log line carries it (a decoder's own error could quote it, so its
// message is not passed on).
import {decodeSuiPrivateKey, type Keypair} from '@mysten/sui/cryptography'
import {Ed25519Keypair} from '@mysten/sui/keypairs/ed25519'
import {Secp256k1Keypair} from '@mysten/sui/keypairs/secp256k1'
import {Secp256r1Keypair} from '@mysten/sui/keypairs/secp256r1'
import {ConfigError} from '../errors.ts'
import {normalizeAddress} from '../sui/identifiers.ts'

export interface TransactionSigner {
  /** The address the key signs for, normalized. */
  readonly address: string
  readonly scheme: string
  /** The serialized signature (flag, signature, public key), base64, of BCS TransactionData. */
  sign(txBytes: Uint8Array): Promise<string>
}

const KEYPAIRS = {
  ED25519: (secret: Uint8Array) => Ed25519Keypair.fromSecretKey(secret),
  Secp256k1: (secret: Uint8Array) => Secp256k1Keypair.fromSecretKey(secret),
  Secp256r1: (secret: Uint8Array) => Secp256r1Keypair.fromSecretKey(secret),
} as const

/** `setting` names where the key came from, for the error a bad key gives. */
export function signerFromPrivateKey(privateKey: string, setting = 'SUI_PRIVATE_KEY'): TransactionSigner {
  let keypair: Keypair
  let scheme: string
  try {
    const decoded = decodeSuiPrivateKey(privateKey.trim())
    scheme = decoded.scheme
    const make = KEYPAIRS[decoded.scheme as keyof typeof KEYPAIRS]
    if (make === undefined) throw new ConfigError(setting, `is a ${decoded.scheme} key; coin management signs with Ed25519, Secp256k1 or Secp256r1 keys`)
    keypair = make(decoded.secretKey)
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw new ConfigError(setting, 'cannot be decoded as a Sui private key; expected bech32 suiprivkey1…, as `sui keytool export` prints it')
  }
  return new KeypairSigner(keypair, scheme)
}

class KeypairSigner implements TransactionSigner {
  readonly address: string
  readonly scheme: string
  readonly #keypair: Keypair

  constructor(keypair: Keypair, scheme: string) {
    this.#keypair = keypair
    this.address = normalizeAddress(keypair.toSuiAddress())
    this.scheme = scheme
  }

  async sign(txBytes: Uint8Array): Promise<string> {
    return (await this.#keypair.signTransaction(txBytes)).signature
  }

  toJSON(): {address: string; scheme: string} {
    return {address: this.address, scheme: this.scheme}
  }
}
