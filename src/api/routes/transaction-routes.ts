// GET /v1/accounts/{account}/transactions: the account's history as the worker wrote it
// (src/accounts/account-history.ts), newest first, in pages joined by an opaque cursor.
import type {FastifyInstance} from 'fastify'
import {HISTORY_PAGE_MAX} from '../../accounts/account-history.ts'
import {ApiError} from '../api-error.ts'
import type {ApiServices} from '../api-services.ts'
import {resolveAccount} from '../route-params.ts'
import {ACCOUNT_REF, BASE_UNITS, errorResponses} from '../schemas.ts'

const TRANSACTION = {
  type: 'object',
  required: ['digest', 'token', 'direction', 'amount', 'decimals', 'counterparty', 'checkpoint', 'timestamp'],
  properties: {
    digest: {type: 'string'},
    token: {type: 'string'},
    direction: {type: 'string', enum: ['sent', 'received', 'fee']},
    amount: BASE_UNITS,
    decimals: {type: ['integer', 'null'], description: "the token's decimals; null for a token no longer registered"},
    counterparty: {type: ['string', 'null']},
    checkpoint: {type: 'string'},
    timestamp: {type: ['string', 'null'], format: 'date-time'},
  },
} as const

export function transactionRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get<{Params: {account: string}; Querystring: {limit: string; cursor?: string}}>(
    '/v1/accounts/:account/transactions',
    {
      schema: {
        summary: "An account's transactions, newest first",
        tags: ['accounts'],
        params: {type: 'object', required: ['account'], properties: {account: ACCOUNT_REF}},
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: {type: 'string', pattern: '^[0-9]{1,4}$', default: '50', description: `entries per page, 1 to ${HISTORY_PAGE_MAX}`},
            cursor: {type: 'string', minLength: 1, maxLength: 64, description: 'nextCursor of the previous page'},
          },
        },
        response: {
          200: {description: 'a page of entries (one per transaction, token and direction) and the cursor of the next', type: 'object', required: ['transactions', 'nextCursor'], properties: {transactions: {type: 'array', items: TRANSACTION}, nextCursor: {type: ['string', 'null']}}},
          ...errorResponses(400, 401, 404, 503),
        },
      },
    },
    async (request) => {
      const limit = Number(request.query.limit)
      if (limit < 1 || limit > HISTORY_PAGE_MAX) throw new ApiError(400, 'INVALID_LIMIT', `limit ${limit} is out of range`, `ask for 1 to ${HISTORY_PAGE_MAX} entries`)
      const account = await resolveAccount(services, request.params.account)
      const page = await services.history.page(account.id, {limit, cursor: request.query.cursor})
      return {
        transactions: page.transactions.map((entry) => ({
          digest: entry.digest,
          token: entry.token,
          direction: entry.direction,
          amount: entry.amount.toString(),
          decimals: services.tokens.bySymbol(entry.token)?.decimals ?? null,
          counterparty: entry.counterparty,
          checkpoint: entry.checkpoint.toString(),
          timestamp: entry.timestamp === null ? null : entry.timestamp.toISOString(),
        })),
        nextCursor: page.nextCursor,
      }
    },
  )
}
