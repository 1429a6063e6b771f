// The HTTP API of `confio serve` as a Fastify app: what the wallet's web app (Python or anything
// else) calls where an in-process service would call BalanceService. Routes, one file per resource,
// are in routes/; their schemas validate every request and make the OpenAPI document
// (/v1/openapi.json, docs/openapi.json). The app opens nothing: the process hands it its services.
//
// - Auth: a bearer token on every /v1 route (bearer-auth.ts) unless `auth` is undefined (--no-auth,
//   allowed on a loopback address only; the process decides).
// - Errors: one JSON shape, the status by api-error.ts.
// - Logs: one line per request with the route's pattern (`/v1/balances/:account`), never the URL
//   or headers: what the client sent (an email, an address, the token) stays out of the log.
import swagger from '@fastify/swagger'
import Fastify, {type FastifyInstance} from 'fastify'
import {createLogger, type Logger} from '../logging/logger.ts'
import {SecretScrubber} from '../secrets.ts'
import type {MetricsRegistry} from '../support/metric-families.ts'
import {TokenRegistry} from '../tokens/token-registry.ts'
import {translateError} from '../error-translation.ts'
import {errorReply} from './api-error.ts'
import {ApiMetrics} from './api-metrics.ts'
import type {ApiServices} from './api-services.ts'
import {bearerCheck} from './bearer-auth.ts'
import {balanceRoutes} from './routes/balance-routes.ts'
import {healthRoutes} from './routes/health-routes.ts'
import {pendingRoutes} from './routes/pending-routes.ts'
import {transactionRoutes} from './routes/transaction-routes.ts'

export interface ApiAppOptions {
  readonly services: ApiServices
  readonly logger: Logger
  /** CONFIO_API_TOKEN; undefined: no auth (the process allows it on a loopback address only). */
  readonly token: string | undefined
  /** The version the OpenAPI document names (package.json's). */
  readonly version: string
  /** Told of each route as it is added (the test that the document names them all). */
  readonly onRoute?: (method: string, url: string) => void
  /** Where requests are counted (--metrics-port). */
  readonly registry?: MetricsRegistry | undefined
}

/** A request body is a few hundred bytes; anything far larger is not one of ours. */
const BODY_LIMIT_BYTES = 16 * 1024

export async function buildApiApp(options: ApiAppOptions): Promise<FastifyInstance> {
  const {services, logger} = options
  // No type coercion: an amount sent as a JSON number (which loses digits past 2^53 before any
  // check could see it) is refused, not turned into a string. The query is text, read as such.
  const app = Fastify({logger: false, bodyLimit: BODY_LIMIT_BYTES, return503OnClosing: true, ajv: {customOptions: {coerceTypes: false}}})
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {title: 'confio API', version: options.version, description: 'Balances, pending amounts and history of the accounts confio monitors. See docs/api.md.'},
      components: {securitySchemes: {bearer: {type: 'http', scheme: 'bearer', description: 'CONFIO_API_TOKEN'}}},
      security: [{bearer: []}],
      tags: [{name: 'balances'}, {name: 'pending'}, {name: 'accounts'}, {name: 'probes'}],
    },
  })

  const {onRoute} = options
  if (onRoute) {
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) onRoute(method, route.url)
    })
  }

  if (options.token !== undefined) {
    const check = bearerCheck(options.token)
    app.addHook('onRequest', async (request) => {
      // A route open to all says so in its schema (`security: []`, as the OpenAPI document shows it).
      const security = (request.routeOptions.schema as {security?: unknown[]} | undefined)?.security
      if (security?.length !== 0) check(request.headers.authorization)
    })
  }

  app.setErrorHandler(async (error, request, reply) => {
    const answer = errorReply(error)
    const route = request.routeOptions.url ?? 'unknown'
    if (answer.internal) logger.error({route, method: request.method, err: loggedCause(error)}, 'request failed')
    else if (answer.status >= 500) logger.warn({route, method: request.method, code: answer.body.error.code, err: answer.body.error.message}, 'request answered 503')
    return reply.code(answer.status).send(answer.body)
  })
  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(404).send({error: {code: 'NOT_FOUND', message: 'no such route', remedy: 'see /v1/openapi.json or docs/api.md for the routes'}}),
  )
  // Stop: Fastify answers new requests 503 and waits for those in flight; their connections are
  // kept alive by the client (fetch, requests' sessions) and would hold close() open, so each
  // answer given while closing asks the client to close its connection.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
  const metrics = options.registry ? new ApiMetrics() : undefined
  if (options.registry && metrics) metrics.register(options.registry)
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown'
    metrics?.answered(route, request.method, reply.statusCode, reply.elapsedTime)
    logger.debug({method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime)}, 'request')
  })

  healthRoutes(app, services)
  balanceRoutes(app, services)
  pendingRoutes(app, services)
  transactionRoutes(app, services)
  app.get('/v1/openapi.json', {schema: {hide: true}}, async () => app.swagger())
  await app.ready()
  return app
}

/**
 * What the log keeps of a request's unexpected failure. An error confio knows (translateError) is
 * its code and its own message, never its cause: knex puts the whole statement, values bound from
 * the request included, in a pg error's message. Anything else (a bug) keeps its stack.
 */
function loggedCause(error: unknown): Record<string, unknown> {
  const known = translateError(error)
  if (known) return {type: known.name, code: known.code, message: known.message}
  return error instanceof Error ? {type: error.name, message: error.message, stack: error.stack} : {message: String(error)}
}

/** The OpenAPI document of the routes, as /v1/openapi.json serves it, built without serving (docs/openapi.json). */
export async function openApiDocument(version: string): Promise<Record<string, unknown>> {
  const app = await buildApiApp({services: DOCUMENT_ONLY, logger: silentLogger(), token: undefined, version})
  try {
    return app.swagger() as unknown as Record<string, unknown>
  } finally {
    await app.close()
  }
}

/** Services for building the document alone: no route is called. */
const notServing = async (): Promise<never> => {
  throw new Error('the document is built without services')
}
const DOCUMENT_ONLY: ApiServices = {
  balances: {getBalance: notServing, getAllBalances: notServing, addPending: notServing, releasePending: notServing},
  accounts: {find: notServing},
  history: {page: notServing},
  tokens: new TokenRegistry([]),
  readiness: notServing,
}

function silentLogger(): Logger {
  return createLogger({level: 'silent', scrubber: new SecretScrubber()})
}
