// A real webhook receiver for tests: node:http on a free port that, for each request, by a seeded
// draw, drops the connection, hangs (never answers), answers 500, or verifies the signature and
// acknowledges with 204. It keeps what it acknowledged (per id, how many times) and every
// signature it could not verify, so a test checks delivery as a receiver would see it.
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {Socket} from 'node:net'
import {verifySignature} from '../../src/webhooks/webhook-signature.ts'
import {freePort} from '../support/free-port.ts'

export interface FaultShares {
  /** Share of requests whose connection is destroyed without an answer. */
  readonly drop?: number
  /** Share left without an answer (the sender's deadline ends them). */
  readonly hang?: number
  /** Share answered 500. */
  readonly error?: number
}

export interface ReceivedEvent {
  readonly id: string
  readonly type: string
  readonly createdAt: string
  readonly data: Record<string, unknown>
}

export class FlakyReceiver {
  readonly url: string
  /** id -> times acknowledged (2xx answered). */
  readonly acknowledged = new Map<string, number>()
  /** The first body acknowledged per id. */
  readonly events = new Map<string, ReceivedEvent>()
  readonly badSignatures: string[] = []
  requests = 0
  faults: FaultShares
  /** Delay before answering an acknowledged request, ms. */
  ackDelayMs = 0
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private seed: number

  private constructor(server: Server, port: number, secret: string, faults: FaultShares, seed: number) {
    this.server = server
    this.url = `http://127.0.0.1:${port}/hooks`
    this.faults = faults
    this.seed = seed
    server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => this.answer(secret, Buffer.concat(chunks).toString('utf8'), request, response))
    })
  }

  static async start(secret: string, faults: FaultShares = {}, seed = 1): Promise<FlakyReceiver> {
    const server = createServer({keepAliveTimeout: 5_000})
    const port = await freePort()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    return new FlakyReceiver(server, port, secret, faults, seed)
  }

  /** Ids acknowledged at least once. */
  get ids(): Set<string> {
    return new Set(this.acknowledged.keys())
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** A deterministic draw in [0, 1) (mulberry32): a failing run fails the same way again. */
  private draw(): number {
    this.seed = (this.seed + 0x6d2b79f5) | 0
    let t = this.seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  private answer(secret: string, body: string, request: IncomingMessage, response: ServerResponse): void {
    this.requests += 1
    const {drop = 0, hang = 0, error = 0} = this.faults
    const roll = this.draw()
    if (roll < drop) {
      request.socket.destroy()
      return
    }
    if (roll < drop + hang) return
    if (roll < drop + hang + error) {
      response.writeHead(500).end('try later')
      return
    }
    const header = String(request.headers['confio-signature'] ?? '')
    if (!verifySignature(secret, header, body, Math.floor(Date.now() / 1000))) {
      this.badSignatures.push(header)
      response.writeHead(400).end('bad signature')
      return
    }
    const event = JSON.parse(body) as ReceivedEvent
    const acknowledge = () => {
      this.acknowledged.set(event.id, (this.acknowledged.get(event.id) ?? 0) + 1)
      if (!this.events.has(event.id)) this.events.set(event.id, event)
      response.writeHead(204).end()
    }
    if (this.ackDelayMs > 0) setTimeout(acknowledge, this.ackDelayMs)
    else acknowledge()
  }
}
