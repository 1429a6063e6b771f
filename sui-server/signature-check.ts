// The user signatures of ExecuteTransaction, checked as validators check them: each one must verify
// over the transaction's intent message (the SDK's verifyTransactionSignature: Ed25519, Secp256k1,
// Secp256r1, passkey and multisig), and the signers must be exactly the transaction's required
// signers, the sender and, for a sponsored transaction, the gas owner. zkLogin needs the chain's
// JWKs to verify, which this server does not have, so it is refused as not modelled.
import {GrpcTypes} from '@mysten/sui/grpc'
import {toBase64} from '@mysten/sui/utils'
import {verifyTransactionSignature} from '@mysten/sui/verify'
import {normalizeAddress} from '../src/sui/identifiers.ts'
import {notModelled, rejectedSignature} from './refusal.ts'

/** zkLogin's flag byte in a serialized signature (flag || signature || public key). */
const ZKLOGIN_FLAG = 0x05

/** Throws a Refusal unless `signatures` are valid and come from exactly `requiredSigners`. */
export async function checkSignatures(txBytes: Uint8Array, signatures: readonly GrpcTypes.UserSignature[], requiredSigners: readonly string[]): Promise<void> {
  const required = [...new Set(requiredSigners.map(normalizeAddress))]
  if (signatures.length !== required.length) {
    throw rejectedSignature(`Expect ${required.length} signer signatures but got ${signatures.length}`)
  }
  const signers = await Promise.all(signatures.map((signature, index) => signerOf(txBytes, signature, index)))
  for (const address of required) {
    if (!signers.includes(address)) throw rejectedSignature(`Signer signature absent: expected a signature from ${address}, got signatures from ${signers.join(', ')}`)
  }
}

async function signerOf(txBytes: Uint8Array, signature: GrpcTypes.UserSignature, index: number): Promise<string> {
  const bytes = signature.bcs?.value
  if (!bytes?.length) throw notModelled(`signatures[${index}] has no bcs; only serialized signatures (flag || signature || public key) are checked`)
  if (bytes[0] === ZKLOGIN_FLAG) throw notModelled(`signatures[${index}] is a zkLogin signature, which needs the chain's JWKs to verify`)
  try {
    const publicKey = await verifyTransactionSignature(txBytes, toBase64(bytes))
    return normalizeAddress(publicKey.toSuiAddress())
  } catch (error) {
    throw rejectedSignature(`signatures[${index}]: ${error instanceof Error ? error.message : String(error)}`)
  }
}
