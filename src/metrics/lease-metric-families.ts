// Which process holds each lease (the poller's, the beat's), from the process's own Lease objects:
// 1 while this process holds it, 0 while it waits as a standby or does not hold it; summed over
// every process, a lease held by none is 0 (the "no active poller" alert). And when this process
// last took or renewed it. No database is read at scrape time: the lease's renewals already do.
import type {Lease} from '../store/lease.ts'
import {type MetricsRegistry, registerGauge} from '../support/metric-families.ts'

/** The leases watched in each registry (`confio run` has the poller's and the beat's). */
const watched = new WeakMap<MetricsRegistry, Array<{role: string; lease: Lease}>>()

/** Exposes `lease` under the role it guards (poller, beat); the families are registered with the first. */
export function watchLease(registry: MetricsRegistry, role: string, lease: Lease): void {
  const known = watched.get(registry)
  if (known) {
    known.push({role, lease})
    return
  }
  const leases = [{role, lease}]
  watched.set(registry, leases)
  registerGauge(registry, {
    name: 'confio_lease_held',
    help: 'Whether this process holds the lease (1) or not (0: a standby, or stopped), by lease (poller, beat)',
    read: () => leases.map(({role, lease}) => ({labels: {lease: role}, value: lease.holds ? 1 : 0})),
  })
  registerGauge(registry, {
    name: 'confio_lease_last_renewal_timestamp_seconds',
    help: 'When this process last took or renewed the lease (Unix time), by lease',
    read: () => leases.flatMap(({role, lease}) => (lease.renewedAtMs === undefined ? [] : [{labels: {lease: role}, value: lease.renewedAtMs / 1000}])),
  })
}
