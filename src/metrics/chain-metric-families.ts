// The chain layer's counters (src/chain/chain-metrics.ts) as Prometheus families, read from its
// snapshot at scrape time: calls by method and status, their latency, the rate limiter's waits and
// what the wire reader met and did not know. Every process that reads the chain registers them.
import type {ChainMetricsSnapshot} from '../chain/index.ts'
import {type MetricsRegistry, registerCounter, registerHistogram} from '../support/metric-families.ts'

/** The status of a call that succeeded (failed ones carry their gRPC status name). */
const CALL_OK = 'OK'

export function registerChainMetrics(registry: MetricsRegistry, snapshot: () => ChainMetricsSnapshot): void {
  registerCounter(registry, {
    name: 'confio_chain_calls_total',
    help: 'gRPC attempts at the node (retries included), by method and status (OK or the gRPC status name)',
    read: () =>
      Object.entries(snapshot().methods).flatMap(([method, m]) => {
        const failed = Object.values(m.errors).reduce((sum, n) => sum + n, 0)
        return [{labels: {method, status: CALL_OK}, value: m.calls - failed}, ...Object.entries(m.errors).map(([status, value]) => ({labels: {method, status}, value}))]
      }),
  })
  registerCounter(registry, {
    name: 'confio_chain_retries_total',
    help: 'gRPC attempts that were retries, by method',
    read: () => Object.entries(snapshot().methods).map(([method, m]) => ({labels: {method}, value: m.retries})),
  })
  registerHistogram(registry, {
    name: 'confio_chain_call_duration_seconds',
    help: 'Latency of gRPC attempts, by method',
    read: () =>
      Object.entries(snapshot().methods).map(([method, m]) => ({
        labels: {method},
        histogram: {buckets: m.latencyMs.buckets.map((b) => ({le: b.le / 1000, count: b.count})), count: m.latencyMs.count, sum: m.latencyMs.sum / 1000},
      })),
  })
  registerCounter(registry, {
    name: 'confio_chain_rate_limit_wait_seconds_total',
    help: 'Time calls waited for the client-side rate limit (SUI_RPC_RPS)',
    read: () => [{value: snapshot().rateLimitWaitMs / 1000}],
  })
  registerCounter(registry, {
    name: 'confio_chain_unknown_content_total',
    help: 'Transactions carrying a kind or command this confio does not know (a node newer than confio), by what',
    read: () => Object.entries(snapshot().unknownContent).map(([what, value]) => ({labels: {what}, value})),
  })
}
