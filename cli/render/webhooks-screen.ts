// What `confio webhooks list` prints: the events not delivered yet (or the failed ones), oldest
// first, with when each is tried next and why the last attempt failed.
import type {DeliveryListing} from '../../src/webhooks/webhook-deliveries.ts'
import {formatTable} from '../table.ts'

export function renderDeliveries(deliveries: readonly DeliveryListing[], failedOnly: boolean): string {
  if (deliveries.length === 0) return failedOnly ? 'No failed webhook events.' : 'No webhook events waiting: every one was delivered.'
  const rows = deliveries.map((d) => [d.id, d.type, d.status, String(d.attempts), d.createdAt, d.nextAttemptAt ?? '-', d.lastError ?? '', d.subject])
  return formatTable(['ID', 'TYPE', 'STATUS', 'ATTEMPTS', 'QUEUED', 'NEXT ATTEMPT', 'LAST ERROR', 'SUBJECT'], rows)
}
