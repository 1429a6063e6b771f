// Errors from the layers below (the chain layer, pg, knex) carry their own shapes. This turns the
// ones confio knows into ConfioErrors, so the base command prints them with a stable code and a
// remedy like any other; anything else stays a plain runtime failure.
import {ChainError, ConnectionCheckError, readableDetails, TlsError, WrongNetworkError} from './chain/index.ts'
import {ConfioError, RuntimeFailure} from './errors.ts'
import {type SessionTimeoutSetting, sessionTimeoutOf} from './store/session-settings.ts'

export function translateError(error: unknown): ConfioError | undefined {
  if (error instanceof ConfioError) return error
  if (error instanceof ConnectionCheckError) {
    return new RuntimeFailure(error.message, {code: `CONNECTION_${error.kind.toUpperCase().replaceAll('-', '_')}`, remedy: connectionRemedy(error), cause: error})
  }
  if (error instanceof ChainError) {
    // The raw details stay on the cause (and in the log); the line shows the readable part.
    const message = error.details ? error.message.replace(error.details, readableDetails(error.details)) : error.message
    return new RuntimeFailure(`Sui node: ${message}`, {
      code: `CHAIN_${error.status}`,
      remedy: error.transient ? 'the node is down or overloaded; check SUI_GRPC_URL and the provider, or run confio test-connection' : 'run confio test-connection to check the endpoint',
      cause: error,
    })
  }
  if (isPgError(error)) {
    // knex prefixes the whole SQL statement; the server's message is what helps.
    const message = `PostgreSQL: ${error.message.split(' - ').pop()} (${error.code})`
    const timeout = sessionTimeoutOf(error)
    if (timeout) return new RuntimeFailure(message, {code: TIMEOUT_CODES[timeout], remedy: TIMEOUT_REMEDIES[timeout], cause: error})
    return new RuntimeFailure(message, {
      code: 'DATABASE_ERROR',
      remedy: error.code === '42P01' || error.code === '42703' ? 'the schema is older than this confio: run confio migrate' : 'check the database and the log',
      cause: error,
    })
  }
  return undefined
}

const TIMEOUT_CODES: Record<SessionTimeoutSetting, string> = {
  PG_STATEMENT_TIMEOUT: 'DATABASE_STATEMENT_TIMEOUT',
  PG_LOCK_TIMEOUT: 'DATABASE_LOCK_TIMEOUT',
  PG_IDLE_IN_TRANSACTION_TIMEOUT: 'DATABASE_IDLE_TIMEOUT',
}

/** A PostgreSQL deadline this process set was reached: what usually causes it, and the setting behind it. */
const TIMEOUT_REMEDIES: Record<SessionTimeoutSetting, string> = {
  PG_STATEMENT_TIMEOUT:
    'a statement ran past its deadline: look in pg_stat_activity for what slows PostgreSQL or holds locks, or raise PG_STATEMENT_TIMEOUT if the work is expected to take this long',
  PG_LOCK_TIMEOUT:
    'another session holds a lock this statement needs: find it with pg_blocking_pids() in pg_stat_activity (confio names its sessions confio-<kind>), or raise PG_LOCK_TIMEOUT',
  PG_IDLE_IN_TRANSACTION_TIMEOUT:
    'PostgreSQL ended a session left idle in a transaction (the process paused or stalled mid-transaction); run again, or raise PG_IDLE_IN_TRANSACTION_TIMEOUT',
}

/** What to do about each way an endpoint can fail test-connection, in the settings' own names. */
function connectionRemedy(error: ConnectionCheckError): string {
  switch (error.kind) {
    case 'cannot-connect':
      return 'check the host and port in SUI_GRPC_URL (or --grpc-url) and that the node is running'
    case 'rejected-token':
      return 'check SUI_GRPC_TOKEN (sent as the x-token header) and any SUI_GRPC_HEADERS this endpoint needs'
    case 'wrong-network': {
      if (!(error instanceof WrongNetworkError)) return 'check SUI_NETWORK and SUI_GRPC_URL'
      const elsewhere = `or point SUI_GRPC_URL at a ${error.configured} node`
      return error.actual ? `set SUI_NETWORK=${error.actual}, ${elsewhere}` : `for a local or devnet chain set SUI_NETWORK=localnet (or devnet), ${elsewhere}`
    }
    case 'not-grpc':
      return "check that SUI_GRPC_URL is the node's gRPC endpoint (QuickNode serves it on port 9000), not JSON-RPC or another service; use https:// if it uses TLS, SUI_GRPC_TRANSPORT=grpc-web behind a grpc-web proxy"
    case 'tls':
      return error instanceof TlsError && error.certificate
        ? 'check that the certificate names the host in SUI_GRPC_URL and comes from a CA Node trusts (NODE_EXTRA_CA_CERTS=ca.pem adds one, NODE_OPTIONS=--use-system-ca uses the system store)'
        : 'nothing speaks TLS on that port: use http:// for a plaintext endpoint (a local node, npm run sui-server), or check the port'
    case 'failed':
      return 'run again with --log-level debug for the details, and check the provider'
  }
}

function isPgError(error: unknown): error is Error & {code: string; severity: string} {
  return error instanceof Error && typeof (error as {severity?: unknown}).severity === 'string' && typeof (error as {code?: unknown}).code === 'string'
}
