// The beat's lease: one beat schedules at a time (src/store/lease.ts). The beat has no fenced
// commit: it stops scheduling once its lease is not renewed within the lease's expiry.
import {Lease} from '../store/lease.ts'

export const BEAT_LEASE = 'beat'

export function beatLease(databaseUrl: string): Lease {
  return new Lease({databaseUrl, name: BEAT_LEASE})
}
