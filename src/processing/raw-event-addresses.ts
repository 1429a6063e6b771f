// Which addresses a stored transaction (a raw_blockchain_events row) names: its balance changes,
// sender and gas owner, and every address written anywhere in its events and Move calls (all that
// can be read of a transaction the poller could not decode). One definition for every reader: the
// worker looks the accounts its handlers may meet up by it, and a transaction that fails for good
// marks the balances of those accounts stale by it (processing-log.ts).

/** SQL rows of one column, the addresses the raw event row aliased `e` names (repeats possible). */
export function namedAddresses(e: string): string {
  return `SELECT c->>'address' FROM jsonb_array_elements(${e}.balance_changes) c
          UNION ALL SELECT ${e}.sender UNION ALL SELECT ${e}.gas_owner
          UNION ALL SELECT m[1] FROM regexp_matches(${e}.events::text || ' ' || ${e}.move_calls::text, '0x[0-9a-f]{64}', 'g') m`
}
