// POST /v1/pending and DELETE /v1/pending/{digest}: the wallet records what an in-flight send has
// committed to, so `available` drops before the chain shows the send, and releases it when it gives
// the send up. The worker releases it by itself when it processes the digest, the beat's pending
// expiry after --pending-ttl. Both are idempotent by digest: recording a digest again adds nothing
// (with another amount it is 409 PENDING_CONFLICT), releasing one that holds nothing releases
// nothing; each answers with the balances as they stand.
import type {FastifyInstance} from 'fastify'
import {parseBaseUnits} from '../../tokens/amounts.ts'
import {ApiError} from '../api-error.ts'
import type {ApiServices} from '../api-services.ts'
import {balanceJson} from '../balance-json.ts'
import {registeredToken, resolveAccount, transactionDigest} from '../route-params.ts'
import {ACCOUNT_REF, BALANCES_RESPONSE, BASE_UNITS, DIGEST, errorResponses, TOKEN_SYMBOL} from '../schemas.ts'

interface PendingBody {
  account: string
  token: string
  amount: string
  digest: string
}

export function pendingRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{Body: PendingBody}>(
    '/v1/pending',
    {
      schema: {
        summary: 'Record the amount an in-flight send committed to (idempotent by digest)',
        tags: ['pending'],
        body: {
          type: 'object',
          required: ['account', 'token', 'amount', 'digest'],
          additionalProperties: false,
          properties: {account: ACCOUNT_REF, token: TOKEN_SYMBOL, amount: {...BASE_UNITS, description: 'base units, above 0'}, digest: DIGEST},
        },
        response: {200: {...BALANCES_RESPONSE, description: 'the balance with the amount pending (or as it was, when the digest is recorded or processed already)'}, ...errorResponses(400, 401, 404, 409, 503)},
      },
    },
    async (request) => {
      const {body} = request
      const token = registeredToken(services, body.token)
      const amount = parseBaseUnits(body.amount)
      if (amount <= 0n) throw new ApiError(400, 'INVALID_AMOUNT', 'a pending amount must be above 0', 'send the amount in base units, e.g. "1500000" for 1.5 of a 6-decimal token')
      const digest = transactionDigest(body.digest)
      const account = await resolveAccount(services, body.account)
      const balance = await services.balances.addPending(account.id, token.symbol, amount, digest)
      return {balances: [balanceJson(balance, services.tokens)]}
    },
  )

  app.delete<{Params: {digest: string}}>(
    '/v1/pending/:digest',
    {
      schema: {
        summary: 'Release what was recorded for a send the wallet gave up on (idempotent)',
        tags: ['pending'],
        params: {type: 'object', required: ['digest'], properties: {digest: DIGEST}},
        response: {200: {...BALANCES_RESPONSE, description: 'the balances whose pending amount dropped; none when nothing was pending for the digest'}, ...errorResponses(400, 401, 503)},
      },
    },
    async (request) => {
      const released = await services.balances.releasePending(transactionDigest(request.params.digest))
      return {balances: released.map((balance) => balanceJson(balance, services.tokens))}
    },
  )
}
