// A redis-server of a test's own, on a free port, for tests that stop Redis: never the shared one.
import {type ChildProcess, spawn} from 'node:child_process'
import {Redis} from 'ioredis'
import {freePort} from './free-port.ts'

export class PrivateRedis {
  readonly port: number
  private child: ChildProcess | undefined

  private constructor(port: number) {
    this.port = port
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort())
    await redis.up()
    return redis
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`
  }

  /** Starts it (again, on the same port, empty) and waits until it answers, for at most 10 s. */
  async up(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {stdio: 'ignore'})
    const deadline = Date.now() + 10_000
    for (;;) {
      const probe = new Redis(this.url, {lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null})
      probe.on('error', () => undefined)
      try {
        await probe.connect()
        if ((await probe.ping()) === 'PONG') return
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer within 10 s`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      } finally {
        probe.disconnect()
      }
    }
  }

  /** Freezes it (SIGSTOP): connections stay open, commands wait unanswered, until resume(). */
  pause(): void {
    this.child?.kill('SIGSTOP')
  }

  resume(): void {
    this.child?.kill('SIGCONT')
  }

  /** Kills it (SIGKILL: nothing kept) and waits until it is gone. */
  async down(): Promise<void> {
    const child = this.child
    this.child = undefined
    if (!child || child.exitCode !== null) return
    const gone = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await gone
  }
}

/** Where PostgreSQL listens (DATABASE_URL's host and port) as a Redis URL: something that answers, but not as Redis. */
export function postgresPortAsRedis(): string {
  const {hostname, port} = new URL(process.env.DATABASE_URL as string)
  return `redis://${hostname}:${port || '5432'}`
}
