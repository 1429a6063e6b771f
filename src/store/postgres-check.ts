// Connecting to PostgreSQL once, within PG_CONNECT_TIMEOUT, before a pool is built on it. A
// DATABASE_URL that points at nothing, at another service, or at a server that refuses the user
// or has no such database then gets one line saying which, within the deadline, where knex said
// "Timeout acquiring a connection. The pool is probably full" half a minute later.
//
// pg's own errors do not tell these apart (a silent server and one speaking HTTP both end in its
// timeout), so the check watches the socket under the attempt: whether anything accepted the
// connection, and whether its first answer reads as PostgreSQL's.
import {Socket} from 'node:net'
import pg from 'pg'
import {messageOf, RuntimeFailure} from '../errors.ts'
import {redactUrl} from '../secrets.ts'
import {formatDuration} from '../support/durations.ts'
import {databaseNameOf} from './database-creation.ts'
import {connectionConfig, type DatabaseOptions} from './database.ts'

/** PostgreSQL's SQLSTATE for connecting to a database that does not exist. */
const INVALID_CATALOG_NAME = '3D000'
/** SQLSTATE class 28: invalid authorization (no such role, wrong password, no pg_hba.conf entry). */
const AUTHORIZATION_CLASS = '28'

const NOT_RUNNING = 'check that PostgreSQL is running and DATABASE_URL (or --database-url) names its host and port'
const WRONG_PORT = 'check the host and port in DATABASE_URL (or --database-url): PostgreSQL listens on 5432 unless configured otherwise'

/** Connects once as the pool will, then closes; throws a RuntimeFailure that says what is wrong. */
export async function checkPostgres(options: DatabaseOptions & {connectTimeoutMs: number}): Promise<void> {
  const watch = new SocketWatch()
  // The deadline is kept here, not by pg: when it passes, what the socket saw is still to be read.
  const client = new pg.Client({...connectionConfig(options), connectionTimeoutMillis: 0, stream: () => watch.socket()})
  // A failed connect rejects connect(); the client emits the same error besides.
  client.on('error', () => undefined)
  const connecting = client.connect()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), options.connectTimeoutMs)))
  let outcome: 'connected' | 'expired'
  try {
    outcome = await Promise.race([connecting.then(() => 'connected' as const), deadline])
  } catch (error) {
    watch.destroy()
    throw failure(error, watch, client, options)
  } finally {
    clearTimeout(timer)
  }
  if (outcome === 'connected') return client.end()
  connecting.catch(() => undefined)
  watch.destroy()
  throw failure(undefined, watch, client, options)
}

/** What went wrong, from pg's error (undefined: the deadline passed) and what the socket saw. */
function failure(error: unknown, watch: SocketWatch, client: pg.Client, options: DatabaseOptions & {connectTimeoutMs: number}): RuntimeFailure {
  const url = redactUrl(options.url)
  const address = client.host.startsWith('/') ? `${client.host}/.s.PGSQL.${client.port}` : `${client.host}:${client.port}`
  const within = `within ${formatDuration(options.connectTimeoutMs)} (PG_CONNECT_TIMEOUT)`
  const fail = (what: string, code: string, remedy: string) => new RuntimeFailure(`cannot use PostgreSQL at ${url}: ${what}`, {code, remedy, cause: error})
  const {code, severity} = (error ?? {}) as {code?: unknown; severity?: unknown}
  if (typeof severity === 'string' && typeof code === 'string') {
    // PostgreSQL itself refused the connection, and said why.
    if (code === INVALID_CATALOG_NAME) {
      return new RuntimeFailure(`the database ${databaseNameOf(options.url)} does not exist at ${url}`, {
        code: 'DATABASE_MISSING',
        remedy: 'create it and its tables with confio migrate --create, or fix DATABASE_URL (or --database-url)',
        cause: error,
      })
    }
    if (code.startsWith(AUTHORIZATION_CLASS)) return authFailed(fail, client, `${messageOf(error)} (${code})`)
    return fail(`PostgreSQL refused the connection: ${messageOf(error)} (${code})`, 'DATABASE_UNAVAILABLE', 'check the server and its log')
  }
  if (!watch.connected) {
    const why = error === undefined ? within : connectErrorText(error, client.host)
    return fail(`nothing answers at ${address} ${why}`, 'DATABASE_UNAVAILABLE', NOT_RUNNING)
  }
  if (watch.answer === undefined) {
    // PostgreSQL answers a connection at once: silence, or a close without a word, is something else.
    const what = error === undefined ? `it accepted the connection but said nothing ${within}` : 'it closed the connection without a word (a proxy with no PostgreSQL behind it does that too)'
    return fail(`the server at ${address} is not PostgreSQL: ${what}`, 'DATABASE_NOT_POSTGRES', WRONG_PORT)
  }
  if (!looksLikePostgres(watch.answer)) {
    return fail(`the server at ${address} is not PostgreSQL: it answered ${quoted(watch.answer)}`, 'DATABASE_NOT_POSTGRES', WRONG_PORT)
  }
  // PostgreSQL answered; the client gave up: no password for a server that asks one, TLS, or a server too slow to finish.
  if (error === undefined) return fail(`PostgreSQL at ${address} did not complete the connection ${within}`, 'DATABASE_UNAVAILABLE', 'the server is overloaded or stalled: check it, or raise PG_CONNECT_TIMEOUT')
  if (/password|SASL|SCRAM/i.test(messageOf(error))) return authFailed(fail, client, messageOf(error))
  return fail(firstLine(messageOf(error)), 'DATABASE_UNAVAILABLE', NOT_RUNNING)
}

function authFailed(fail: (what: string, code: string, remedy: string) => RuntimeFailure, client: pg.Client, why: string): RuntimeFailure {
  return fail(`authentication failed for user ${client.user ?? '(none)'}: ${why}`, 'DATABASE_AUTH_FAILED', 'check the user name and password in DATABASE_URL (or --database-url), and pg_hba.conf on the server')
}

/** A failed TCP connect in words: refused, no such host, or the system's error code. */
function connectErrorText(error: unknown, host: string): string {
  const code = (error as {code?: unknown}).code
  if (code === 'ECONNREFUSED') return '(connection refused: ECONNREFUSED)'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `(the host ${host} is not found: ${code})`
  return `(${firstLine(messageOf(error))})`
}

/**
 * Whether a first answer reads as PostgreSQL's: the one-byte answer to an SSL request (S or N), or
 * a message (R authentication, E error, v protocol version) with a plausible length after its type.
 */
function looksLikePostgres(answer: Buffer): boolean {
  const type = String.fromCharCode(answer[0] ?? 0)
  if (answer.length === 1) return 'SNREv'.includes(type)
  if (!'REv'.includes(type)) return false
  if (answer.length < 5) return true
  const length = answer.readUInt32BE(1)
  return length >= 4 && length < 65_536
}

/** The first line of an answer as text, e.g. "HTTP/1.1 400 Bad Request"; bytes as hex when it is not text. */
function quoted(answer: Buffer): string {
  const line = answer.subarray(0, 60).toString('latin1').split(/[\r\n]/)[0] ?? ''
  if (/^[\x20-\x7e]{3,}$/.test(line)) return JSON.stringify(line)
  return `bytes ${[...answer.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text
}

/** The socket of one connection attempt, and what it saw. */
class SocketWatch {
  connected = false
  /** The first bytes the other end sent. */
  answer: Buffer | undefined
  #socket: Socket | undefined

  socket(): Socket {
    const socket = (this.#socket = new Socket())
    socket.once('connect', () => (this.connected = true))
    socket.once('data', (chunk: Buffer) => {
      this.answer = chunk
      // pg would wait for the rest of a "message" that never comes: no need to wait for the deadline.
      if (!looksLikePostgres(chunk)) socket.destroy()
    })
    return socket
  }

  destroy(): void {
    this.#socket?.destroy()
  }
}
