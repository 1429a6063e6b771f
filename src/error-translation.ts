// Errors from the layers below (the chain layer, pg, knex) carry their own shapes. This turns the
// ones confio knows into ConfioErrors, so the base command prints them with a stable code and a
// remedy like any other; anything else stays a plain runtime failure.
import {ChainError} from './chain/chain-error.ts'
import {ConnectionCheckError} from './chain/connection-check.ts'
import {ConfioError, RuntimeFailure} from './errors.ts'

export function translateError(error: unknown): ConfioError | undefined {
  if (error instanceof ConfioError) return error
  if (error instanceof ConnectionCheckError) {
    return new RuntimeFailure(error.message, {code: `CONNECTION_${error.kind.toUpperCase().replaceAll('-', '_')}`, cause: error})
  }
  if (error instanceof ChainError) {
    return new RuntimeFailure(`Sui node: ${error.message}`, {
      code: `CHAIN_${error.status}`,
      remedy: error.transient ? 'the node is down or overloaded; check SUI_GRPC_URL and the provider, or run confio test-connection' : 'run confio test-connection to check the endpoint',
      cause: error,
    })
  }
  if (isPgError(error)) {
    // knex prefixes the whole SQL statement; the server's message is what helps.
    return new RuntimeFailure(`PostgreSQL: ${error.message.split(' - ').pop()} (${error.code})`, {
      code: 'DATABASE_ERROR',
      remedy: error.code === '42P01' || error.code === '42703' ? 'the schema is older than this confio: run confio migrate' : 'check the database and the log',
      cause: error,
    })
  }
  return undefined
}

function isPgError(error: unknown): error is Error & {code: string; severity: string} {
  return error instanceof Error && typeof (error as {severity?: unknown}).severity === 'string' && typeof (error as {code?: unknown}).code === 'string'
}
