// The OpenAPI document: docs/openapi.json is what the route schemas make (npm run openapi rewrites
// it), and it names every route the app serves, each with its method, and no other.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {buildApiApp, openApiDocument} from '../../src/api/api-app.ts'
import type {ApiServices} from '../../src/api/api-services.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {buildOpenApi, OPENAPI_PATH} from '../../scripts/openapi.ts'

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete']

/** `METHOD /path/{param}` for every operation of the document. */
function documented(document: {paths: Record<string, Record<string, unknown>>}): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, operations]) => Object.keys(operations).filter((m) => HTTP_METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`))
    .sort()
}

describe('the OpenAPI document', () => {
  it('docs/openapi.json is up to date (npm run openapi rewrites it)', async () => {
    assert.equal(readFileSync(OPENAPI_PATH, 'utf8'), await buildOpenApi())
  })

  it('names exactly the routes the app serves', async () => {
    const routes: string[] = []
    const unused = async (): Promise<never> => assert.fail('not called')
    const services: ApiServices = {
      balances: {getBalance: unused, getAllBalances: unused, addPending: unused, releasePending: unused},
      accounts: {find: unused},
      history: {page: unused},
      tokens: new TokenRegistry([]),
      readiness: unused,
    }
    const onRoute = (method: string, url: string) => {
      if (method !== 'HEAD' && url !== '/v1/openapi.json') routes.push(`${method} ${url.replace(/:(\w+)/g, '{$1}')}`)
    }
    const app = await buildApiApp({services, logger: createLogger({level: 'silent', scrubber: new SecretScrubber()}), token: undefined, version: '0', onRoute})
    await app.close()
    const document = (await openApiDocument('0')) as {paths: Record<string, Record<string, unknown>>}
    assert.deepEqual(documented(document), routes.sort())
    assert.deepEqual(routes.sort(), [
      'DELETE /v1/pending/{digest}',
      'GET /healthz',
      'GET /readyz',
      'GET /v1/accounts/{account}/transactions',
      'GET /v1/balances/{account}',
      'GET /v1/balances/{account}/{token}',
      'POST /v1/pending',
    ])
  })
})
