// A transaction the local Sui server will not execute: nothing is written, no gas is paid, and the
// caller gets a gRPC status instead of effects. Two kinds, so a test can tell a mistake a real node
// would reject too from a gap in this server's model:
//
//   rejected     INVALID_ARGUMENT, worded as sui-rpc-api words a validator's refusal ("Invalid user
//                signature: ...", "Transaction execution failed due to issues with transaction
//                inputs, please review the errors and try again: ...").
//   notModelled  UNIMPLEMENTED, naming what the server cannot execute (a command, a Move call, an
//                input kind). It never answers with a success it did not compute.
import {rpcError} from './grpc-server.ts'

export class Refusal extends Error {
  override name = 'Refusal'
  readonly status: 'INVALID_ARGUMENT' | 'UNIMPLEMENTED'

  constructor(status: 'INVALID_ARGUMENT' | 'UNIMPLEMENTED', message: string) {
    super(message)
    this.status = status
  }

  /** The gRPC error the service answers with. */
  toRpcError(): Error {
    return rpcError(this.status, this.message)
  }
}

/** A user input error a validator refuses to sign (sui-rpc-api's NonRecoverableTransactionError). */
export function rejectedInput(error: string): Refusal {
  return new Refusal('INVALID_ARGUMENT', `Transaction execution failed due to issues with transaction inputs, please review the errors and try again: ${error}.`)
}

/** A signature the validators refuse (sui-rpc-api's InvalidUserSignature). */
export function rejectedSignature(error: string): Refusal {
  return new Refusal('INVALID_ARGUMENT', `Invalid user signature: ${error}`)
}

/** Any other request a node answers INVALID_ARGUMENT (malformed fields, resolution failures). */
export function rejected(message: string): Refusal {
  return new Refusal('INVALID_ARGUMENT', message)
}

export function notModelled(what: string): Refusal {
  return new Refusal('UNIMPLEMENTED', `the confio test server cannot execute this transaction: ${what}`)
}
