// The Confio-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed
// with WEBHOOK_SECRET. The time is signed with the body so a captured request cannot be replayed
// later: receivers reject a `t` older than SIGNATURE_TOLERANCE_S (docs/webhooks.md shows how, in
// Python and Node). Each attempt is signed anew, with its own `t`; the body and its id stay the same.
import {createHmac, timingSafeEqual} from 'node:crypto'

export const SIGNATURE_HEADER = 'Confio-Signature'
/** Five minutes: how old a signature's `t` may be when a receiver checks it. */
export const SIGNATURE_TOLERANCE_S = 300

function hmacHex(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')
}

/** The header's value for `body` signed at `t` (unix seconds). */
export function signatureHeader(secret: string, body: string, t: number): string {
  return `t=${t},v1=${hmacHex(secret, t, body)}`
}

/**
 * Whether `header` is a valid signature of `body` no older than `toleranceS` at `nowS` (and not
 * from further than that in the future): what a receiver checks. Compared in constant time.
 */
export function verifySignature(secret: string, header: string, body: string, nowS: number, toleranceS = SIGNATURE_TOLERANCE_S): boolean {
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]))
  const t = Number(parts.get('t'))
  const v1 = parts.get('v1')
  if (!Number.isInteger(t) || v1 === undefined || !/^[0-9a-f]{64}$/.test(v1)) return false
  if (Math.abs(nowS - t) > toleranceS) return false
  return timingSafeEqual(Buffer.from(v1, 'hex'), Buffer.from(hmacHex(secret, t, body), 'hex'))
}
