// The poller's lease: one active poller per database, its commits fenced by the lease's token
// (src/store/lease.ts). It goes by the cursor's name, the thing it guards.
import {Lease} from '../store/lease.ts'
import {POLLER_CURSOR} from './poller-cursor.ts'

export const POLLER_LEASE = POLLER_CURSOR

export function pollerLease(databaseUrl: string): Lease {
  return new Lease({databaseUrl, name: POLLER_LEASE})
}
