// GET /v1/balances/{account} and /v1/balances/{account}/{token}: BalanceService's reads over HTTP.
// - no option: the nearest trusted level (memory, Redis, PostgreSQL, the chain), isStale saying
//   when the value may miss something;
// - ?refresh=1: the chain even on a cache hit, the last value (stale) if it does not answer;
// - ?verify=critical: the chain and nothing else; unconfirmed is 503 BALANCE_UNVERIFIED, never a
//   cached value. For sends, escrow, large withdrawals and conversions.
import type {FastifyInstance} from 'fastify'
import type {Balance, GetBalanceOptions} from '../../balances/balance-service.ts'
import type {ApiServices} from '../api-services.ts'
import {balanceJson} from '../balance-json.ts'
import {registeredToken, resolveAccount} from '../route-params.ts'
import {ACCOUNT_REF, BALANCES_RESPONSE, errorResponses, TOKEN_SYMBOL} from '../schemas.ts'

interface ReadQuery {
  verify?: 'critical'
  refresh?: '1' | 'true' | '0' | 'false'
}

const READ_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    verify: {type: 'string', enum: ['critical'], description: 'critical: read the chain, no cache; 503 BALANCE_UNVERIFIED when it cannot'},
    refresh: {type: 'string', enum: ['1', 'true', '0', 'false'], description: '1 or true: read the chain even on a cache hit (the last value, stale, if it does not answer)'},
  },
} as const

function readOptions(query: ReadQuery): GetBalanceOptions {
  if (query.verify === 'critical') return {verifyCritical: true}
  return query.refresh === '1' || query.refresh === 'true' ? {forceRefresh: true} : {}
}

export function balanceRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get<{Params: {account: string}; Querystring: ReadQuery}>(
    '/v1/balances/:account',
    {
      schema: {
        summary: "An account's balance of every registered token",
        tags: ['balances'],
        params: {type: 'object', required: ['account'], properties: {account: ACCOUNT_REF}},
        querystring: READ_QUERY,
        response: {200: {...BALANCES_RESPONSE, description: 'one balance per registered token, in the registry order'}, ...errorResponses(400, 401, 404, 503)},
      },
    },
    async (request) => {
      const account = await resolveAccount(services, request.params.account)
      const options = readOptions(request.query)
      // A refresh asks the chain once for every token (one ListBalances); the others read each token.
      const balances: Balance[] = options.forceRefresh
        ? await services.balances.getAllBalances(account.id)
        : await Promise.all(services.tokens.list().map((token) => services.balances.getBalance(account.id, token.symbol, options)))
      return {balances: balances.map((balance) => balanceJson(balance, services.tokens))}
    },
  )

  app.get<{Params: {account: string; token: string}; Querystring: ReadQuery}>(
    '/v1/balances/:account/:token',
    {
      schema: {
        summary: "An account's balance of one token",
        tags: ['balances'],
        params: {type: 'object', required: ['account', 'token'], properties: {account: ACCOUNT_REF, token: TOKEN_SYMBOL}},
        querystring: READ_QUERY,
        response: {200: {...BALANCES_RESPONSE, description: 'the balance, alone in the list'}, ...errorResponses(400, 401, 404, 503)},
      },
    },
    async (request) => {
      const token = registeredToken(services, request.params.token)
      const account = await resolveAccount(services, request.params.account)
      const balance = await services.balances.getBalance(account.id, token.symbol, readOptions(request.query))
      return {balances: [balanceJson(balance, services.tokens)]}
    },
  )
}
