// The one HTTP server a long-running process (`poll`, `worker`, `beat`, `run`) exposes with
// --metrics-port (METRICS_PORT), for Prometheus and for container probes:
//   /metrics  Prometheus text: one registry per process, which each of its parts registers its
//             families into (src/support/metric-families.ts), plus Node's own (prom-client's
//             defaults: memory, CPU, event-loop lag, GC; their standard names, unprefixed);
//   /healthz  200 while the process runs (alive: its event loop answers);
//   /readyz   200 when every readiness check passes (PostgreSQL and Redis answer; the poller's:
//             it holds its lease or waits as a standby), else 503 naming what failed.
// prom-client (~50 ms of module loading) is loaded here, only when a port is given.
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {Registry} from 'prom-client'
import {messageOf} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import {READ_TIMEOUT_MS, registerGauge, registerReadFailures} from '../support/metric-families.ts'
import {withTimeout} from '../support/with-timeout.ts'

export interface MetricsServerOptions {
  /** 0: any free port (tests); `port` then says which. */
  readonly port: number
  /** METRICS_HOST: 127.0.0.1 unless a container's probes and Prometheus come from outside. */
  readonly host: string
  /** Which process this is (`poll`, `worker`, `beat`, `run`): the label of confio_process_info. */
  readonly process: string
  readonly logger: Logger
  /** Applied to every failure message /readyz shows (a URL in an error must not carry its password). */
  readonly scrub?: (text: string) => string
}

/** A readiness check: resolves when the thing it checks is fine, throws (or rejects) saying why not. */
export type ReadinessCheck = () => unknown

export interface Readiness {
  readonly ready: boolean
  /** Each check: `ok`, or why it failed. */
  readonly checks: Readonly<Record<string, string>>
}

export class MetricsServer {
  /** prom-client's registry (a MetricsRegistry for the families every part registers). */
  readonly registry: Registry
  readonly #server: Server
  readonly #checks = new Map<string, ReadinessCheck>()
  readonly #options: MetricsServerOptions

  private constructor(registry: Registry, options: MetricsServerOptions) {
    this.registry = registry
    this.#options = options
    this.#server = createServer((req, res) => this.#answer(req, res))
  }

  /** Starts the server; resolves once it listens (rejects when the port is taken). */
  static async open(options: MetricsServerOptions): Promise<MetricsServer> {
    const {Registry, collectDefaultMetrics} = await import('prom-client')
    const registry = new Registry()
    collectDefaultMetrics({register: registry})
    registerReadFailures(registry)
    registerGauge(registry, {name: 'confio_process_info', help: 'Always 1; which confio process this is', read: () => [{labels: {process: options.process}, value: 1}]})
    const server = new MetricsServer(registry, options)
    await new Promise<void>((resolve, reject) => server.#server.once('error', reject).listen(options.port, options.host, resolve))
    options.logger.info({host: options.host, port: server.port}, 'serving /metrics, /healthz and /readyz')
    return server
  }

  /** The port listened on. */
  get port(): number {
    const address = this.#server.address()
    return typeof address === 'object' && address !== null ? address.port : this.#options.port
  }

  /** Adds a check /readyz runs (each within 2 s, all at once); a name given twice replaces the first. */
  ready(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check)
  }

  async readiness(): Promise<Readiness> {
    const scrub = this.#options.scrub ?? ((text: string) => text)
    const outcomes = await Promise.all(
      [...this.#checks].map(async ([name, check]) => {
        try {
          await withTimeout(Promise.resolve().then(check), READ_TIMEOUT_MS, 'no answer')
          return [name, 'ok'] as const
        } catch (error) {
          return [name, scrub(messageOf(error))] as const
        }
      }),
    )
    return {ready: outcomes.every(([, outcome]) => outcome === 'ok'), checks: Object.fromEntries(outcomes)}
  }

  /** Stops listening and ends the connections open (a scrape in progress is cut). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeAllConnections()
    await closed
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {allow: 'GET, HEAD'}).end()
    } else if (path === '/metrics') {
      this.registry.metrics().then(
        (text) => res.writeHead(200, {'content-type': this.registry.contentType}).end(text),
        (error: unknown) => res.writeHead(500, {'content-type': 'text/plain'}).end(messageOf(error)),
      )
    } else if (path === '/healthz') {
      res.writeHead(200, {'content-type': 'text/plain'}).end('ok\n')
    } else if (path === '/readyz') {
      void this.readiness().then((readiness) => res.writeHead(readiness.ready ? 200 : 503, {'content-type': 'application/json'}).end(`${JSON.stringify(readiness)}\n`))
    } else {
      res.writeHead(404, {'content-type': 'text/plain'}).end('not found: try /metrics, /healthz or /readyz\n')
    }
  }
}
