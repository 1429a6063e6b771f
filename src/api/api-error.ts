// What the HTTP API answers when a request fails: one JSON shape, {"error": {code, message, remedy}},
// with the status the failure calls for. Failures of the core arrive as ConfioErrors (src/errors.ts,
// lower layers' errors translated by src/error-translation.ts); this file is the one place that
// decides their status:
//   400 the request is wrong (a malformed address, amount, token, digest or cursor: each its code);
//   401 no valid bearer token; 404 no such account or route; 409 a digest recorded pending with
//       another amount;
//   503 a dependency did not answer (the chain, PostgreSQL, Redis), a critical balance unverified:
//       the client may retry, and never gets a cached value in its place;
//   500 anything else, with a generic message (the cause goes to the log, not to the client).
import {HistoryCursorError} from '../accounts/account-history.ts'
import {PendingConflictError} from '../balances/postgres-balance-store.ts'
import {translateError} from '../error-translation.ts'
import {ConfioError, UsageError} from '../errors.ts'
import {AmountError} from '../tokens/amounts.ts'

export interface ErrorBody {
  readonly error: {readonly code: string; readonly message: string; readonly remedy: string}
}

/** A failure the API itself decides (bad input, auth, an unknown account), with its status. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly remedy: string

  constructor(status: number, code: string, message: string, remedy: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.remedy = remedy
  }
}

/** What the client gets for `thrown`; `internal` when the cause must go to the log. */
export interface ErrorReply {
  readonly status: number
  readonly body: ErrorBody
  readonly internal: boolean
}

// Codes of the core whose failure is a dependency not answering: 503, retry later.
// A DATABASE_ERROR is not among them: PostgreSQL answered, and refused (a schema older than this
// confio, a bug): 500, logged.
const UNAVAILABLE = [/^BALANCE_UNVERIFIED$/, /^BALANCE_UNAVAILABLE$/, /^CHAIN_/, /^CONNECTION_/, /^DATABASE_\w+_TIMEOUT$/, /^REDIS_/, /^NODE_/]

/** Codes for a schema violation, by the field it concerns. */
const FIELD_CODES: Readonly<Record<string, string>> = {
  account: 'INVALID_ACCOUNT',
  amount: 'INVALID_AMOUNT',
  token: 'INVALID_TOKEN',
  digest: 'INVALID_DIGEST',
  limit: 'INVALID_LIMIT',
  cursor: 'INVALID_CURSOR',
  verify: 'INVALID_REQUEST',
  refresh: 'INVALID_REQUEST',
}

export function errorReply(thrown: unknown): ErrorReply {
  if (thrown instanceof ApiError) return reply(thrown.status, thrown.code, thrown.message, thrown.remedy)
  const validation = validationReply(thrown)
  if (validation) return validation
  const fastify = fastifyClientError(thrown)
  if (fastify) return fastify
  if (isConnectionFailure(thrown)) return reply(503, 'DATABASE_UNAVAILABLE', 'PostgreSQL did not answer', 'retry later; the operator checks the database')
  const error = translateError(thrown)
  if (error instanceof PendingConflictError) return reply(409, 'PENDING_CONFLICT', error.message, error.remedy)
  if (error instanceof HistoryCursorError) return reply(400, 'INVALID_CURSOR', error.message, error.remedy)
  if (error instanceof AmountError) return reply(400, 'INVALID_AMOUNT', error.message, error.remedy)
  if (error instanceof UsageError) return reply(400, 'INVALID_REQUEST', error.message, error.remedy)
  if (error instanceof ConfioError && UNAVAILABLE.some((pattern) => pattern.test(error.code))) return reply(503, error.code, error.message, error.remedy ?? 'retry later')
  return {...reply(500, 'INTERNAL', 'the request failed inside confio', 'retry later; the operator finds the cause in the log'), internal: true}
}

function reply(status: number, code: string, message: string, remedy: string | undefined): ErrorReply {
  return {status, body: {error: {code, message, remedy: remedy ?? 'correct the request'}}, internal: false}
}

interface SchemaIssue {
  readonly instancePath: string
  readonly keyword: string
  readonly params: Record<string, unknown>
  readonly message?: string
}

/** A request that failed its route's schema: 400, the code naming the field (the first issue). */
function validationReply(thrown: unknown): ErrorReply | undefined {
  const issues = (thrown as {validation?: unknown})?.validation
  if (!Array.isArray(issues) || issues.length === 0) return undefined
  const issue = issues[0] as SchemaIssue
  const context = (thrown as {validationContext?: string}).validationContext ?? 'request'
  const field = issue.keyword === 'required' ? String(issue.params.missingProperty) : issue.instancePath.split('/').filter(Boolean).at(-1)
  const code = (field && FIELD_CODES[field]) ?? 'INVALID_REQUEST'
  const where = field ? `${field} (${context})` : context
  const message = issue.keyword === 'required' ? `${where} is missing` : `${where} ${issue.message ?? 'is not valid'}`
  return reply(400, code, message, 'see the route in /v1/openapi.json (docs/api.md)')
}

/** Fastify's own 4xx errors (a body that is not JSON, too large, the wrong media type). */
function fastifyClientError(thrown: unknown): ErrorReply | undefined {
  const {statusCode, code, message} = (thrown ?? {}) as {statusCode?: unknown; code?: unknown; message?: unknown}
  if (typeof code !== 'string' || !code.startsWith('FST_') || typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined
  return reply(statusCode, 'INVALID_REQUEST', String(message), 'send a JSON body (Content-Type: application/json) as docs/api.md shows')
}

/** Network errors on the way to PostgreSQL (and Redis, for what reaches here). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE'])

/**
 * PostgreSQL cannot be reached or is going away: a network error, the pool's acquire deadline, a
 * connection ended under a query, a server shutting down or starting (57P01-57P03) or an SQLSTATE
 * class 08 (connection exception).
 */
function isConnectionFailure(thrown: unknown): boolean {
  const {code, name, message} = (thrown ?? {}) as {code?: unknown; name?: unknown; message?: unknown}
  if (name === 'KnexTimeoutError' || (typeof message === 'string' && /^Connection terminated/.test(message))) return true
  return typeof code === 'string' && (CONNECTION_CODES.has(code) || /^57P0[123]$/.test(code) || /^08[0-9A-Z]{3}$/.test(code))
}
