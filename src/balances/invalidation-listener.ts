// Lets a process that keeps balances in memory drop them when a worker elsewhere invalidates them.
// Redis pub/sub delivers only to subscribers connected at the time, so the listener says when the
// channel is down (onDisconnect: the connection closed, or Redis stopped answering the heartbeat's
// PING within the command timeout, as a paused Redis does with the connection still open) and when
// it is back (onReconnect: subscribed again), and the memory level holds nothing in between.
import {Redis} from 'ioredis'
import {REDIS_COMMAND_TIMEOUT_DEFAULT_MS} from '../config/settings.ts'
import {type BalanceInvalidation, balanceInvalidationChannel, decodeGenerationMessage, decodeInvalidation} from './balance-keys.ts'

export interface InvalidationListenerOptions {
  readonly redisUrl: string
  readonly prefix: string
  readonly onInvalidation: (message: BalanceInvalidation) => void
  /** The channel is down: messages from now on may be lost, until onReconnect. */
  readonly onDisconnect?: () => void
  /** The channel is back (subscribed again): messages in between are gone. */
  readonly onReconnect?: () => void
  /** `confio cache reset` says it moved the cache generation on (to the one given). */
  readonly onGeneration?: (generation: bigint) => void
  /** REDIS_COMMAND_TIMEOUT: how long a PING may go unanswered (default 1 s). */
  readonly commandTimeoutMs?: number
  /** How often to PING (default 1 s). */
  readonly heartbeatMs?: number
}

export class InvalidationListener {
  private readonly redis: Redis
  private readonly options: InvalidationListenerOptions
  private readonly channel: string
  /** Subscribed on the connection open now. */
  private subscribed = false
  /** Subscribed and answering: what the memory level may rely on. */
  private up = false
  private beating = false
  private heartbeat: NodeJS.Timeout | undefined

  private constructor(options: InvalidationListenerOptions) {
    this.options = options
    this.channel = balanceInvalidationChannel(options.prefix)
    // A subscribed connection can only subscribe; it is never the command connection. It
    // subscribes again itself after a reconnect (beat), so the channel counts as back only once it has.
    this.redis = new Redis(options.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      autoResubscribe: false,
      commandTimeout: options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_DEFAULT_MS,
    })
    this.redis.on('error', () => undefined)
  }

  static async start(options: InvalidationListenerOptions): Promise<InvalidationListener> {
    const listener = new InvalidationListener(options)
    await listener.subscribe()
    return listener
  }

  private async subscribe(): Promise<void> {
    this.redis.on('message', (from: string, payload: string) => {
      if (from !== this.channel) return
      const message = decodeInvalidation(payload)
      if (message) return this.options.onInvalidation(message)
      const generation = decodeGenerationMessage(payload)
      if (generation !== undefined) this.options.onGeneration?.(generation)
    })
    await this.redis.connect()
    await this.redis.subscribe(this.channel)
    this.subscribed = true
    this.up = true
    this.redis.on('close', () => {
      this.subscribed = false
      this.down()
    })
    this.redis.on('ready', () => void this.beat())
    this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatMs ?? 1_000).unref()
  }

  /** Subscribes again when the connection is new; a PING answered in time keeps (or brings back) the channel, one that is not takes it down. */
  private async beat(): Promise<void> {
    if (this.beating || this.redis.status !== 'ready') return
    this.beating = true
    try {
      if (!this.subscribed) {
        await this.redis.subscribe(this.channel)
        this.subscribed = true
      }
      await this.redis.ping()
      if (!this.up && this.subscribed) {
        this.up = true
        this.options.onReconnect?.()
      }
    } catch {
      this.down()
    } finally {
      this.beating = false
    }
  }

  private down(): void {
    if (!this.up) return
    this.up = false
    this.options.onDisconnect?.()
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat)
    this.up = false
    await this.redis.quit().catch(() => this.redis.disconnect())
  }
}
