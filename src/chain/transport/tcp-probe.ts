// Whether anything accepts TCP connections at an endpoint's host and port. grpc-js reports a port
// where nothing listens and a port whose server hung up on the HTTP/2 preface (PostgreSQL, SSH,
// an HTTP/1.1-only proxy) alike, as UNAVAILABLE "No connection established", and grpc-web as
// "fetch failed"; a plain connect tells the two apart. The connection check asks only after a
// call failed that way, so a working endpoint never sees the extra connection.
import {connect} from 'node:net'

export type TcpProbeResult = {accepts: true} | {accepts: false; reason: string}

export async function probeTcp(url: string, timeoutMs: number): Promise<TcpProbeResult> {
  const parsed = new URL(url)
  // URL keeps an IPv6 literal's brackets; net.connect wants the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80))
  return new Promise((resolve) => {
    const socket = connect({host, port})
    const done = (result: TcpProbeResult): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => done({accepts: false, reason: `no TCP answer within ${timeoutMs / 1000}s`}), timeoutMs)
    socket.once('connect', () => done({accepts: true}))
    socket.once('error', (error: NodeJS.ErrnoException) => done({accepts: false, reason: error.message || String(error.code)}))
  })
}
