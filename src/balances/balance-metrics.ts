// A BalanceService's reads as Prometheus families, read from its counts at scrape time: balances
// served by level (memory, Redis, PostgreSQL, the chain) and chain reads that fell back to the
// last value. Registered by the service itself when given a registry, so a wallet service that
// imports BalanceService exposes the same metrics as confio's own processes.
import {type MetricsRegistry, registerCounter} from '../support/metric-families.ts'
import type {BalanceService} from './balance-service.ts'

export function registerBalanceMetrics(registry: MetricsRegistry, service: Pick<BalanceService, 'served' | 'chainFallbacks'>): void {
  registerCounter(registry, {
    name: 'confio_balance_reads_total',
    help: 'Balances served, by the level that served them (memory, redis, postgres, chain)',
    read: () => Object.entries(service.served).map(([level, value]) => ({labels: {level}, value})),
  })
  registerCounter(registry, {
    name: 'confio_balance_chain_fallbacks_total',
    help: 'Chain balance reads that failed or timed out and were answered with the last known value, stale',
    read: () => [{value: service.chainFallbacks}],
  })
}
