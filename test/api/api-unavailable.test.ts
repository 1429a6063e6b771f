// The API with PostgreSQL or Redis away: a request that needs the database is 503 in the one error
// shape (never a 500, never a hang), and /readyz names what fails. And a failure confio does not
// expect: 500, its cause logged without the values the client sent.
import assert from 'node:assert/strict'
import {Redis} from 'ioredis'
import {AccountHistory} from '../../src/accounts/account-history.ts'
import {AccountRepository} from '../../src/accounts/account-repository.ts'
import {buildApiApp} from '../../src/api/api-app.ts'
import type {ApiServices} from '../../src/api/api-services.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {dependencyReadiness} from '../../src/processes/api-process.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {TOKENS} from '../balances/trusted-balances.ts'
import {freePort} from '../support/free-port.ts'

describe('the API with its database or Redis away', () => {
  let deadDb: Database
  let db: Database
  let deadRedis: Redis
  let redis: Redis

  before(async () => {
    deadDb = createDatabase({url: `postgres://root@127.0.0.1:${await freePort()}/confio`})
    db = createDatabase({url: process.env.DATABASE_URL as string})
    deadRedis = new Redis(`redis://127.0.0.1:${await freePort()}`, {lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false})
    deadRedis.on('error', () => undefined)
    redis = new Redis(process.env.REDIS_URL as string)
  })

  after(async () => {
    await deadDb.destroy()
    await db.destroy()
    deadRedis.disconnect()
    redis.disconnect()
  })

  it('a request that needs PostgreSQL is 503 DATABASE_UNAVAILABLE', async () => {
    const unused = async (): Promise<never> => assert.fail('not reached')
    const services: ApiServices = {
      balances: {getBalance: unused, getAllBalances: unused, addPending: unused, releasePending: unused},
      accounts: new AccountRepository(deadDb),
      history: new AccountHistory(deadDb),
      tokens: TOKENS,
      readiness: () => dependencyReadiness(deadDb, redis),
    }
    const app = await buildApiApp({services, logger: createLogger({level: 'silent', scrubber: new SecretScrubber()}), token: undefined, version: '0'})
    try {
      for (const url of ['/v1/balances/alice@api.test', '/v1/balances/1/CUSD?verify=critical', '/v1/accounts/1/transactions']) {
        const reply = await app.inject({method: 'GET', url})
        assert.equal(reply.statusCode, 503, `${url}: ${reply.body}`)
        assert.equal(reply.json<{error: {code: string}}>().error.code, 'DATABASE_UNAVAILABLE')
      }
      const ready = await app.inject({method: 'GET', url: '/readyz'})
      assert.deepEqual([ready.statusCode, ready.json()], [503, {status: 'not_ready', checks: {database: 'failing', redis: 'ok'}}])
    } finally {
      await app.close()
    }
  })

  it('/readyz names Redis when it does not answer', async () => {
    assert.deepEqual(await dependencyReadiness(db, deadRedis), {ready: false, checks: {database: 'ok', redis: 'failing'}})
    assert.deepEqual(await dependencyReadiness(db, redis), {ready: true, checks: {database: 'ok', redis: 'ok'}})
  })

  it('a failure confio does not expect is 500, its cause in the log without what the client sent', async () => {
    const lines: string[] = []
    const logger = createLogger({level: 'debug', scrubber: new SecretScrubber(), pretty: false, write: (line) => lines.push(line)})
    const unused = async (): Promise<never> => assert.fail('not reached')
    const refused = Object.assign(new Error(`select * from "accounts" where "email" = 'carol@api.test' - column "x" does not exist`), {code: '42703', severity: 'ERROR'})
    const services: ApiServices = {
      balances: {getBalance: unused, getAllBalances: unused, addPending: unused, releasePending: unused},
      accounts: {find: async () => Promise.reject(refused)},
      history: {page: unused},
      tokens: TOKENS,
      readiness: unused,
    }
    const app = await buildApiApp({services, logger, token: undefined, version: '0'})
    try {
      const reply = await app.inject({method: 'GET', url: '/v1/balances/carol@api.test'})
      assert.equal(reply.statusCode, 500)
      assert.equal(reply.json<{error: {code: string}}>().error.code, 'INTERNAL')
      assert.ok(!reply.body.includes('carol'))
    } finally {
      await app.close()
    }
    const text = lines.join('')
    assert.match(text, /"msg":"request failed"/)
    assert.match(text, /column \\"x\\" does not exist/)
    assert.ok(!text.includes('carol'), text)
  })
})
