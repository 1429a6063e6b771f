// The probes, on the API's own port and without the bearer token: /healthz says the process
// answers (liveness: restart it when this fails), /readyz that it can serve, PostgreSQL and Redis
// answering and not stopping (readiness: route traffic elsewhere meanwhile). The chain is not
// checked: a chain outage still leaves cached reads to serve, and critical reads answer 503 alone.
import type {FastifyInstance} from 'fastify'
import type {ApiServices} from '../api-services.ts'

const HEALTH = {type: 'object', required: ['status'], properties: {status: {type: 'string', enum: ['ok']}}} as const
const READY = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {status: {type: 'string', enum: ['ready', 'not_ready']}, checks: {type: 'object', additionalProperties: {type: 'string', enum: ['ok', 'failing', 'stopping']}}},
} as const

export function healthRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get('/healthz', {schema: {summary: 'Liveness', tags: ['probes'], security: [], response: {200: {...HEALTH, description: 'the process answers'}}}}, async () => ({status: 'ok' as const}))
  app.get('/readyz', {schema: {summary: 'Readiness: PostgreSQL and Redis answer', tags: ['probes'], security: [], response: {200: {...READY, description: 'ready to serve'}, 503: {...READY, description: 'a dependency is failing, or the process is stopping'}}}}, async (_request, reply) => {
    const readiness = await services.readiness()
    return reply.code(readiness.ready ? 200 : 503).send({status: readiness.ready ? 'ready' : 'not_ready', checks: readiness.checks})
  })
}
