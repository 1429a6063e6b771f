// A TCP port on 127.0.0.1 that nothing listens on: the system hands one out and it is given back at
// once. A port picked at random can be another process's (parallel test files, ephemeral ports).
import {createServer} from 'node:net'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}
