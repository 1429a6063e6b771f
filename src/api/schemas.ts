// The JSON schemas of the routes: Fastify validates requests against them, serializes responses by
// them, and @fastify/swagger builds /v1/openapi.json (and docs/openapi.json) from them, so what is
// documented is what is enforced. Amounts are strings of base units (u64: up to 20 digits).

export const BASE_UNITS = {type: 'string', pattern: '^[0-9]{1,20}$', description: 'base units (an integer, as a string)'} as const
export const TOKEN_SYMBOL = {type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,15}$', description: 'a registered token symbol, e.g. CUSD'} as const
export const DIGEST = {type: 'string', pattern: '^[1-9A-HJ-NP-Za-km-z]{32,44}$', description: 'a Sui transaction digest (base58)'} as const
export const ACCOUNT_REF = {type: 'string', minLength: 1, maxLength: 320, description: 'an account id, email or Sui address'} as const

const NULLABLE_STRING = {type: ['string', 'null']} as const

export const ERROR_RESPONSE = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'remedy'],
      properties: {code: {type: 'string'}, message: {type: 'string'}, remedy: {type: 'string'}},
    },
  },
} as const

export const BALANCE = {
  type: 'object',
  required: ['token', 'amount', 'pending', 'available', 'decimals', 'checkpoint', 'lastSynced', 'isStale', 'staleReason', 'source'],
  properties: {
    token: {type: 'string'},
    amount: {...BASE_UNITS, description: 'on chain: coin objects plus address balance'},
    pending: {...BASE_UNITS, description: 'committed to by in-flight sends (POST /v1/pending), not yet seen on chain'},
    available: {type: 'string', pattern: '^-?[0-9]{1,20}$', description: 'amount - pending: what the wallet may spend'},
    decimals: {type: 'integer'},
    checkpoint: {...NULLABLE_STRING, description: 'the checkpoint the amount is anchored to'},
    lastSynced: {...NULLABLE_STRING, format: 'date-time', description: 'when the amount was last read from the chain'},
    isStale: {type: 'boolean'},
    staleReason: {type: ['string', 'null'], enum: ['pipeline_behind', 'marked_stale', 'no_base', 'chain_unavailable', 'chain_behind', 'height_window', null]},
    source: {type: 'string', enum: ['memory', 'redis', 'postgres', 'chain']},
  },
} as const

export const BALANCES_RESPONSE = {type: 'object', required: ['balances'], properties: {balances: {type: 'array', items: BALANCE}}} as const

/** The error responses a route may give, by status, for the OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<number, typeof ERROR_RESPONSE & {description: string}> {
  const descriptions: Record<number, string> = {
    400: 'bad input (the code names it)',
    401: 'no valid bearer token',
    404: 'unknown account',
    409: 'the digest is pending with another amount (PENDING_CONFLICT)',
    503: 'the chain or the database did not answer; for a critical read, BALANCE_UNVERIFIED',
  }
  return Object.fromEntries(statuses.map((status) => [status, {...ERROR_RESPONSE, description: descriptions[status] ?? 'error'}]))
}
