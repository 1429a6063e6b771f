// What the poller exposes on --metrics-port, in Prometheus text format: where it is (cursor, tip,
// lag), how fast it goes, and what failed (enqueue failures, RPC errors by method and status).
import {createServer, type Server} from 'node:http'
import {Counter, Gauge, Registry} from 'prom-client'
import type {ChainMetricsSnapshot} from '../chain/index.ts'
import {messageOf} from '../errors.ts'

export class PollerMetrics {
  readonly registry = new Registry()
  readonly cursor = this.gauge('confio_poll_cursor', 'Last committed checkpoint')
  readonly tip = this.gauge('confio_poll_tip', 'Latest checkpoint the node reported')
  readonly lagCheckpoints = this.gauge('confio_poll_lag_checkpoints', 'Tip minus cursor')
  // Measured at each scrape, not at each commit: while nothing is committed (a node outage) it grows.
  readonly lagSeconds = new Gauge({
    name: 'confio_poll_lag_seconds',
    help: 'Age of the last committed checkpoint',
    registers: [this.registry],
    collect: () => {
      if (this.lastCommittedTimestampMs !== undefined) this.lagSeconds.set(Math.max(0, (Date.now() - this.lastCommittedTimestampMs) / 1000))
    },
  })
  readonly checkpointsPerSecond = this.gauge('confio_poll_checkpoints_per_second', 'Checkpoints committed per second, over the last 10 s')
  readonly relevantPerSecond = this.gauge('confio_poll_relevant_transactions_per_second', 'Relevant transactions stored per second, over the last 10 s')
  readonly checkpoints = new Counter({name: 'confio_poll_checkpoints_total', help: 'Checkpoints committed', registers: [this.registry]})
  readonly relevant = new Counter({name: 'confio_poll_relevant_transactions_total', help: 'Relevant transactions committed', registers: [this.registry]})
  readonly enqueueFailures = new Counter({name: 'confio_poll_enqueue_failures_total', help: 'Jobs that could not be queued (left to the outbox)', registers: [this.registry]})
  private readonly window: {at: number; checkpoints: number; relevant: number}[] = []
  private lastTip: bigint | undefined
  private lastCursor: bigint | undefined
  /** The chain's timestamp of the last committed checkpoint. */
  private lastCommittedTimestampMs: number | undefined

  constructor(chainMetrics: () => ChainMetricsSnapshot) {
    // Read from the chain layer's own counters at scrape time, not copied on every call.
    new Gauge({
      name: 'confio_rpc_errors_total',
      help: 'Failed gRPC attempts by method and status',
      labelNames: ['method', 'status'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [method, m] of Object.entries(chainMetrics().methods)) {
          for (const [status, count] of Object.entries(m.errors)) this.set({method, status}, count)
        }
      },
    })
  }

  /** Records a committed batch. */
  committed(last: bigint, lastTimestampMs: number, checkpoints: number, relevant: number): void {
    this.cursor.set(Number(last))
    this.lastCursor = last
    this.lastCommittedTimestampMs = lastTimestampMs
    this.checkpoints.inc(checkpoints)
    this.relevant.inc(relevant)
    this.updateRates(checkpoints, relevant)
    this.updateLag()
  }

  tipSeen(tip: bigint): void {
    this.tip.set(Number(tip))
    this.lastTip = tip
    this.updateLag()
  }

  /** Serves /metrics on 127.0.0.1 unless told otherwise; resolves once listening. */
  async serve(port: number, host = '127.0.0.1'): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end()
        return
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, {'content-type': this.registry.contentType}).end(text),
        (error: unknown) => res.writeHead(500).end(messageOf(error)),
      )
    })
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve))
    return server
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({name, help, registers: [this.registry]})
  }

  private updateLag(): void {
    if (this.lastTip !== undefined && this.lastCursor !== undefined && this.lastTip >= this.lastCursor) {
      this.lagCheckpoints.set(Number(this.lastTip - this.lastCursor))
    }
  }

  private updateRates(checkpoints: number, relevant: number): void {
    const now = Date.now()
    this.window.push({at: now, checkpoints, relevant})
    while (this.window.length > 0 && this.window[0]!.at < now - 10_000) this.window.shift()
    const seconds = Math.max(1, (now - (this.window[0]?.at ?? now)) / 1000)
    this.checkpointsPerSecond.set(this.window.reduce((n, w) => n + w.checkpoints, 0) / seconds)
    this.relevantPerSecond.set(this.window.reduce((n, w) => n + w.relevant, 0) / seconds)
  }
}
