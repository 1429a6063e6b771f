// api-error.ts: the one place that turns a failure into a status and a code; a 500 says nothing of
// its cause to the client.
import assert from 'node:assert/strict'
import {HistoryCursorError} from '../../src/accounts/account-history.ts'
import {ApiError, errorReply} from '../../src/api/api-error.ts'
import {BalanceVerificationError} from '../../src/balances/balance-service.ts'
import {PendingConflictError} from '../../src/balances/postgres-balance-store.ts'
import {RuntimeFailure, UsageError} from '../../src/errors.ts'
import {AmountError} from '../../src/tokens/amounts.ts'

/** An error as pg raises it: a message, an SQLSTATE code and a severity. */
function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), {code, severity: 'ERROR'})
}

describe('errorReply', () => {
  const cases: [string, unknown, number, string][] = [
    ['an ApiError', new ApiError(404, 'ACCOUNT_NOT_FOUND', 'no such account', 'check it'), 404, 'ACCOUNT_NOT_FOUND'],
    ['a schema violation, by its field', Object.assign(new Error('body/amount must match pattern'), {validation: [{instancePath: '/amount', keyword: 'pattern', params: {}, message: 'must match pattern'}], validationContext: 'body'}), 400, 'INVALID_AMOUNT'],
    ['a required field missing', Object.assign(new Error('x'), {validation: [{instancePath: '', keyword: 'required', params: {missingProperty: 'digest'}}], validationContext: 'body'}), 400, 'INVALID_DIGEST'],
    ["Fastify's own client error", Object.assign(new Error('Body is not valid JSON'), {code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400}), 400, 'INVALID_REQUEST'],
    ['a body too large', Object.assign(new Error('Request body is too large'), {code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413}), 413, 'INVALID_REQUEST'],
    ['a digest pending with another amount', new PendingConflictError('D', {accountId: '1', token: 'CUSD'}, 1n, 2n), 409, 'PENDING_CONFLICT'],
    ['an amount', new AmountError('amount "x" is not a whole number of base units'), 400, 'INVALID_AMOUNT'],
    ['a cursor', new HistoryCursorError('bad cursor'), 400, 'INVALID_CURSOR'],
    ['another usage error', new UsageError('limit 0 is out of range'), 400, 'INVALID_REQUEST'],
    ['a critical read unverified', new BalanceVerificationError('cannot verify', undefined), 503, 'BALANCE_UNVERIFIED'],
    ['a chain failure', new RuntimeFailure('Sui node: unavailable', {code: 'CHAIN_UNAVAILABLE'}), 503, 'CHAIN_UNAVAILABLE'],
    ['PostgreSQL refusing connections', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {code: 'ECONNREFUSED'}), 503, 'DATABASE_UNAVAILABLE'],
    ['PostgreSQL shutting down', pgError('57P01', 'terminating connection due to administrator command'), 503, 'DATABASE_UNAVAILABLE'],
    ["the pool's acquire deadline", Object.assign(new Error('Knex: Timeout acquiring a connection'), {name: 'KnexTimeoutError'}), 503, 'DATABASE_UNAVAILABLE'],
    ['a statement past its deadline', pgError('57014', 'canceling statement due to statement timeout'), 503, 'DATABASE_STATEMENT_TIMEOUT'],
    ['PostgreSQL refusing a statement', pgError('42703', "select email from accounts where email = 'alice@x.io' - column \"x\" does not exist"), 500, 'INTERNAL'],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'alice@x.io')"), 500, 'INTERNAL'],
  ]
  for (const [what, thrown, status, code] of cases) {
    it(`${what}: ${status} ${code}`, () => {
      const reply = errorReply(thrown)
      assert.deepEqual([reply.status, reply.body.error.code], [status, code])
      assert.ok(reply.body.error.message && reply.body.error.remedy)
      assert.equal(reply.internal, status === 500)
      if (status === 500) assert.ok(!JSON.stringify(reply.body).includes('alice@x.io'), 'the cause stays in the log')
    })
  }
})
