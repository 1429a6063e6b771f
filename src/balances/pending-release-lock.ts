// The lock that orders recording a pending amount for a digest against the worker releasing the
// pending amounts of that digest: a transaction-level advisory lock per digest, in the two-key
// space (checkpoint-committer.ts uses another first key there). The worker takes it, for each
// digest it processes, before it deletes that digest's pending rows, and holds it until it commits
// processed_at; addPending takes it before it looks at processed_at. So a pending amount recorded
// for a digest is either seen and released by the worker that processes it, or recorded after that
// worker committed, when addPending sees processed_at set and records nothing: never left pending
// until it expires.

/** SQL calling the lock for the digest that the SQL expression `digest` yields. */
export function pendingReleaseLock(digest: string): string {
  return `pg_advisory_xact_lock(hashtext('pending_balance_changes'), hashtext(${digest}))`
}
