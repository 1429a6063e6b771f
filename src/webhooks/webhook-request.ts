// One POST of a webhook body, over node:http(s) with a keep-alive agent per sender: the receiver's
// status code, or an error. node:http rather than fetch: at a thousand events a second fetch's
// streams and promises cost the worker's one core about twice as much per request.
//
// The deadline covers the whole exchange (connecting, sending, the answer's head); a receiver that
// answers slower, or never, ends in a WebhookTimeout. The answer's body is read and dropped, so
// the connection goes back to the agent for the next event.
import http from 'node:http'
import https from 'node:https'

export class WebhookTimeout extends Error {
  override readonly name = 'WebhookTimeout'
}

/** Keeps connections to the receiver open between events, at most `sockets` at once. */
export function webhookAgent(url: string, sockets: number): http.Agent {
  const options = {keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets}
  return new URL(url).protocol === 'https:' ? new https.Agent(options) : new http.Agent(options)
}

/** POSTs `body`; resolves to the status code. `signal` cuts the request off (a stopping sender). */
export function postWebhook(url: URL, agent: http.Agent, headers: Record<string, string>, body: string, timeoutMs: number, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request
    const request = send(url, {method: 'POST', agent, headers: {...headers, 'content-length': String(Buffer.byteLength(body))}, signal}, (response) => {
      clearTimeout(timer)
      response.resume()
      response.on('error', () => undefined)
      resolve(response.statusCode ?? 0)
    })
    const timer = setTimeout(() => request.destroy(new WebhookTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs)
    request.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    request.end(body)
  })
}
