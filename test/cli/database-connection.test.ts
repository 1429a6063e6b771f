// A DATABASE_URL that does not lead to a usable PostgreSQL (issue 25): one line that says what is
// there (nothing, another service, a server that refuses the user or lacks the database), exit 1,
// within PG_CONNECT_TIMEOUT rather than knex's 30 s "Timeout acquiring a connection". Real
// endpoints only: a closed port, the Redis server, small TCP servers that answer like other
// services, and the test PostgreSQL with a user or a database it does not have.
import assert from 'node:assert/strict'
import {createServer, type Socket} from 'node:net'
import {type CliResult, jsonOf, runCli} from '../support/cli.ts'

interface Case {
  readonly url: () => string
  readonly env?: Record<string, string>
  readonly code: string
  readonly line: RegExp
}

interface TcpServer {
  readonly port: number
  close(): Promise<void>
}

/** A TCP server on a free port of 127.0.0.1 that does `greet` with each connection it accepts. */
async function tcpServer(greet: (socket: Socket) => void): Promise<TcpServer> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket.on('close', () => sockets.delete(socket)).on('error', () => undefined))
    greet(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as {port: number}).port,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** A port nothing listens on (one just freed). */
async function closedPort(): Promise<number> {
  const server = await tcpServer(() => undefined)
  await server.close()
  return server.port
}

describe('a DATABASE_URL that does not lead to a usable PostgreSQL', function () {
  this.timeout(60_000)
  // The test run's database (set by the global setup, after this body runs), changed in one part.
  const withUrl = (changes: Partial<Pick<URL, 'username' | 'pathname'>>) => Object.assign(new URL(process.env.DATABASE_URL as string), changes).toString()
  let closed: number
  let http: TcpServer
  let hangUp: TcpServer

  before(async () => {
    closed = await closedPort()
    http = await tcpServer((socket) => socket.once('data', () => socket.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')))
    hangUp = await tcpServer((socket) => socket.destroy())
  })

  after(async () => {
    await Promise.all([http?.close(), hangUp?.close()])
  })

  const cases: Record<string, Case> = {
    'a closed port: nothing answers': {
      url: () => `postgres://root@127.0.0.1:${closed}/confio`,
      code: 'DATABASE_UNAVAILABLE',
      line: /^cannot use PostgreSQL at postgres:\/\/root@127\.0\.0\.1:\d+\/confio: nothing answers at 127\.0\.0\.1:\d+ \(connection refused: ECONNREFUSED\); check that PostgreSQL is running and DATABASE_URL \(or --database-url\) names its host and port$/,
    },
    // Redis waits for the end of a line that PostgreSQL's startup message never sends: silence, for PG_CONNECT_TIMEOUT (5 s).
    'the Redis port, at the default deadline: not PostgreSQL, silent': {
      url: () => `postgres://root@127.0.0.1:${new URL(process.env.REDIS_URL as string).port || 6379}/confio`,
      code: 'DATABASE_NOT_POSTGRES',
      line: /: the server at 127\.0\.0\.1:\d+ is not PostgreSQL: it accepted the connection but said nothing within 5s \(PG_CONNECT_TIMEOUT\); check the host and port in DATABASE_URL \(or --database-url\): PostgreSQL listens on 5432 unless configured otherwise$/,
    },
    'an HTTP server: not PostgreSQL, in its own words': {
      url: () => `postgres://root@127.0.0.1:${http.port}/confio`,
      code: 'DATABASE_NOT_POSTGRES',
      line: /: the server at 127\.0\.0\.1:\d+ is not PostgreSQL: it answered "HTTP\/1\.1 400 Bad Request"; check the host and port/,
    },
    'a server that hangs up: not PostgreSQL': {
      url: () => `postgres://root@127.0.0.1:${hangUp.port}/confio`,
      code: 'DATABASE_NOT_POSTGRES',
      line: /: the server at 127\.0\.0\.1:\d+ is not PostgreSQL: it closed the connection without a word \(a proxy with no PostgreSQL behind it does that too\); check the host and port/,
    },
    'a user the server does not know: authentication failed': {
      url: () => withUrl({username: 'confio_no_such_role'}),
      code: 'DATABASE_AUTH_FAILED',
      line: /: authentication failed for user confio_no_such_role: role "confio_no_such_role" does not exist \(28000\); check the user name and password in DATABASE_URL \(or --database-url\), and pg_hba\.conf on the server$/,
    },
    'a database that does not exist': {
      url: () => withUrl({pathname: `${new URL(process.env.DATABASE_URL as string).pathname}_missing`}),
      code: 'DATABASE_MISSING',
      line: /^the database confio_test_\w+_missing does not exist at postgres:\/\/[^ ]+; create it and its tables with confio migrate --create, or fix DATABASE_URL \(or --database-url\)$/,
    },
  }

  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: one line, exit 1`, async () => {
      const started = Date.now()
      const [text, json] = await Promise.all([cli(['accounts', 'list'], c.url()), cli(['accounts', 'list', '--json'], c.url())])
      // Well within knex's 30 s, whatever the machine's load.
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`)
      assert.equal(text.code, 1, text.stderr)
      assert.equal(text.stdout, '')
      const lines = text.stderr.trim().split('\n')
      assert.equal(lines.length, 1, text.stderr)
      assert.match(lines[0]?.replace(/^Error: /, '') ?? '', c.line)
      assert.equal(json.code, 1, json.stderr)
      const {error} = jsonOf<{error: {code: string; message: string; exitCode: number}}>(json)
      assert.deepEqual([error.code, error.exitCode], [c.code, 1])
      assert.doesNotMatch(text.stderr + json.stdout, /Timeout acquiring a connection|pool is probably full/)
    })
  }

  it('PG_CONNECT_TIMEOUT sets the deadline; a number without a unit is refused (exit 2)', async () => {
    const silent = await tcpServer(() => undefined)
    try {
      const [short, unitless] = await Promise.all([
        cli(['accounts', 'list'], `postgres://root@127.0.0.1:${silent.port}/confio`, {PG_CONNECT_TIMEOUT: '300ms'}),
        cli(['accounts', 'list'], process.env.DATABASE_URL as string, {PG_CONNECT_TIMEOUT: '5'}),
      ])
      assert.equal(short.code, 1, short.stderr)
      assert.match(short.stderr, /is not PostgreSQL: it accepted the connection but said nothing within 300ms \(PG_CONNECT_TIMEOUT\)/)
      assert.equal(unitless.code, 2, unitless.stderr)
      assert.equal(unitless.stderr.trim(), 'Error: PG_CONNECT_TIMEOUT (from environment): "5" is not valid; expected a duration with its unit from 100ms to 60s, e.g. 30s, 500ms or 5m')
    } finally {
      await silent.close()
    }
  })

  function cli(args: string[], url: string, env: Record<string, string> = {}): Promise<CliResult> {
    return runCli(args, {env: {DATABASE_URL: url, ...env}})
  }
})
