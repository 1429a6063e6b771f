// Every /v1 request carries `Authorization: Bearer <CONFIO_API_TOKEN>` (Stripe's and Blnk's
// scheme), compared in constant time (hashes of equal length, so the token's length leaks neither).
// The probes (/healthz, /readyz) answer without it, their schemas saying `security: []`: an
// orchestrator has no secret.
import {createHash, timingSafeEqual} from 'node:crypto'
import {ApiError} from './api-error.ts'

export function bearerCheck(token: string): (authorization: string | undefined) => void {
  const expected = digest(token)
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    if (!match || !timingSafeEqual(digest(match[1] as string), expected)) {
      throw new ApiError(401, 'UNAUTHORIZED', authorization ? 'the bearer token is not valid' : 'the request has no bearer token', 'send Authorization: Bearer <CONFIO_API_TOKEN>')
    }
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
