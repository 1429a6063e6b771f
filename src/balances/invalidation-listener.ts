// Lets a process that keeps balances in memory drop them when a worker elsewhere invalidates them.
// Redis pub/sub delivers only to subscribers connected at the time, so a listener that was
// disconnected must treat everything it holds as suspect: onReconnect says when that happened.
import {Redis} from 'ioredis'
import {type BalanceInvalidation, balanceInvalidationChannel, decodeInvalidation} from './balance-keys.ts'

export interface InvalidationListenerOptions {
  readonly redisUrl: string
  readonly prefix: string
  readonly onInvalidation: (message: BalanceInvalidation) => void
  /** The connection was lost and is back: messages in between are gone. */
  readonly onReconnect?: () => void
}

export class InvalidationListener {
  private readonly redis: Redis
  private readonly options: InvalidationListenerOptions

  private constructor(options: InvalidationListenerOptions) {
    this.options = options
    // A subscribed connection can only subscribe; it is never the command connection.
    this.redis = new Redis(options.redisUrl, {lazyConnect: true, maxRetriesPerRequest: null})
    this.redis.on('error', () => undefined)
  }

  static async start(options: InvalidationListenerOptions): Promise<InvalidationListener> {
    const listener = new InvalidationListener(options)
    await listener.subscribe()
    return listener
  }

  private async subscribe(): Promise<void> {
    const channel = balanceInvalidationChannel(this.options.prefix)
    let connectedOnce = false
    this.redis.on('ready', () => {
      if (connectedOnce) this.options.onReconnect?.()
      connectedOnce = true
    })
    this.redis.on('message', (from: string, payload: string) => {
      if (from !== channel) return
      const message = decodeInvalidation(payload)
      if (message) this.options.onInvalidation(message)
    })
    await this.redis.connect()
    await this.redis.subscribe(channel)
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect())
  }
}
