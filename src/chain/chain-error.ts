// The one error type the chain layer throws for a failed call. Callers branch on `status` (a gRPC
// status name) and on `transient`; the message names the method and the status so a log line
// alone says what failed. Its text has been through the Redactor: it never carries a secret.

/** gRPC status names, as @protobuf-ts reports them in `RpcError.code`. */
export type GrpcStatusName =
  | 'OK' | 'CANCELLED' | 'UNKNOWN' | 'INVALID_ARGUMENT' | 'DEADLINE_EXCEEDED' | 'NOT_FOUND'
  | 'ALREADY_EXISTS' | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'FAILED_PRECONDITION'
  | 'ABORTED' | 'OUT_OF_RANGE' | 'UNIMPLEMENTED' | 'INTERNAL' | 'UNAVAILABLE' | 'DATA_LOSS'
  | 'UNAUTHENTICATED'

const STATUS_NAMES: ReadonlySet<string> = new Set<GrpcStatusName>([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND',
  'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED',
  'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
])

export function isGrpcStatusName(value: unknown): value is GrpcStatusName {
  return typeof value === 'string' && STATUS_NAMES.has(value)
}

export interface ChainErrorInit {
  method: string
  status: GrpcStatusName
  attempts: number
  /** Already redacted. */
  details: string
  transient: boolean
}

export class ChainError extends Error {
  override readonly name = 'ChainError'
  /** RPC method name, e.g. `GetCheckpoint`. */
  readonly method: string
  readonly status: GrpcStatusName
  /** Attempts made, including the first. */
  readonly attempts: number
  /** The server's (or transport's) status text, redacted. */
  readonly details: string
  /** Whether the failure was of a kind worth retrying later (the retries here are spent). */
  readonly transient: boolean

  constructor(init: ChainErrorInit) {
    const tries = init.attempts === 1 ? '1 attempt' : `${init.attempts} attempts`
    const details = init.details ? `: ${init.details}` : ''
    super(`${init.method} failed with ${init.status} after ${tries}${details}`)
    this.method = init.method
    this.status = init.status
    this.attempts = init.attempts
    this.details = init.details
    this.transient = init.transient
  }
}

// The statuses a well-behaved client retries: the node is down or restarting (UNAVAILABLE), slow
// (DEADLINE_EXCEEDED) or shedding load (RESOURCE_EXHAUSTED, which is also how providers answer a
// rate limit). Everything else is an answer: retrying it gives the same answer.
const TRANSIENT_STATUSES: ReadonlySet<GrpcStatusName> = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED'])

// A connection reset mid-call surfaces as INTERNAL or UNKNOWN with the socket error in its text
// (grpc-js: "Received RST_STREAM", "read ECONNRESET"; fetch: "fetch failed", "terminated").
const RESET_PATTERN = /RST_STREAM|ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|fetch failed|terminated|other side closed|GOAWAY/i

// grpc-js raises RESOURCE_EXHAUSTED itself when a reply exceeds its size limit (or when a
// non-gRPC server's bytes are read as a length prefix). That is no load shedding: asking again
// gets the same bytes.
const LOCAL_SIZE_LIMIT = /larger than max/i

export function isTransientFailure(status: GrpcStatusName, details: string): boolean {
  if (status === 'RESOURCE_EXHAUSTED' && LOCAL_SIZE_LIMIT.test(details)) return false
  if (TRANSIENT_STATUSES.has(status)) return true
  return (status === 'INTERNAL' || status === 'UNKNOWN') && RESET_PATTERN.test(details)
}

/** A reply that does not hold what was asked: DATA_LOSS, never retried (asking again gets the same). */
export function malformedResponse(method: string, details: string): ChainError {
  return new ChainError({method, status: 'DATA_LOSS', attempts: 1, transient: false, details: `malformed response: ${details}`})
}
