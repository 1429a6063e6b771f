// bee-queue's own Redis client (node-redis 3, bee-queue's dependency), as confio's queues use it.
//
// Errors: bee-queue makes its clients and listens for their errors only once they are ready (and,
// before that, only until the first one, after which it ends the client). confio makes the command
// client itself and hands it to bee-queue (its documented `redis: RedisClient` setting); that
// client, and each one bee-queue duplicates from it (the worker's blocking and subscriber
// connections), has a listener for life, so no 'error' event of theirs can become an uncaught
// exception. (The queue's ready() is handled where the queue is made: queue-base.ts.)
//
// Reconnecting: node-redis reconnects by itself, but gives up for good once its waits add up to
// an hour (its connect_timeout), and the queue is then dead until a restart. With retry_strategy
// it waits at most RECONNECT_MAX_MS between attempts, for as long as Redis is away, and hands a
// failed attempt to the strategy instead of emitting it. The strategy logs one line per attempt for
// the whole process: every client of one Redis fails at the same time, and only the first to reach
// attempt n says so. One line says when Redis answers again. A client that never became ready is
// not bee-queue's yet and its close would leave it reconnecting: the queue's close ends them all.
//
// Scripts: Redis keeps no scripts across a restart, and bee-queue 2.0.0 loads its own (it calls
// them by EVALSHA) only when a queue starts, so after a restart each of its script calls (a beat
// job's save, the stall check) would fail with NOSCRIPT for good. The command client loads them
// again each time it reconnects; a script call queued while Redis was away may still fail once.
import {createRequire} from 'node:module'
import {messageOf} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import {redactUrl} from '../secrets.ts'
import {formatWait} from '../support/format-wait.ts'

/** The part of node-redis 3's RedisClient used here. */
export interface BeeQueueRedisClient {
  on(event: 'error', listener: (error: Error) => void): this
  on(event: 'ready', listener: () => void): this
  duplicate(): BeeQueueRedisClient
  end(flush: boolean): void
  readonly times_connected: number
}

/** A queue's Redis connections: the command client bee-queue is given, and those it duplicates from it. */
export interface BeeQueueConnections {
  readonly client: BeeQueueRedisClient
  /**
   * Ends every one of them. For after bee-queue's close, which ends only the clients it holds: one
   * that never became ready (Redis away since the queue was made) is not bee-queue's yet, and
   * would go on reconnecting, and keep the process alive, for good.
   */
  end(): void
}

interface ReconnectAttempt {
  readonly attempt: number
  readonly error: unknown
}

interface NodeRedis {
  createClient(options: {url: string; retry_strategy: (attempt: ReconnectAttempt) => number; connect_timeout: number}): BeeQueueRedisClient
}

interface BeeQueueScripts {
  buildCache(client: BeeQueueRedisClient): Promise<unknown>
}

// Resolved from bee-queue's own folder, so it is the node-redis bee-queue was installed with.
const fromBeeQueue = createRequire(import.meta.resolve('bee-queue'))
const nodeRedis = fromBeeQueue('redis') as NodeRedis
const beeQueueScripts = fromBeeQueue('./lib/lua') as BeeQueueScripts

const RECONNECT_BASE_MS = 100
/** Short enough that jobs move again within seconds of Redis coming back. */
const RECONNECT_MAX_MS = 5_000
/**
 * node-redis stops reconnecting once its waits add up to connect_timeout (also each connection's
 * own connect deadline): the longest timer Node has, about 24.8 days. A connection that hangs is
 * ended by the system's own connect timeout (about 2 minutes on Linux).
 */
const CONNECT_TIMEOUT_MS = 2 ** 31 - 1

/** Per Redis URL, the last failed attempt this process has logged; 0 while connected. */
const attemptsLogged = new Map<string, number>()

/** The delay before reconnection attempt `attempt` + 1: doubling from 100 ms, at most 5 s. */
function reconnectDelayMs(attempt: number): number {
  return Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.max(0, attempt - 1))
}

/**
 * The connections of a bee-queue on `url`; their failures and recoveries are logged on `logger`
 * (none: they are silent). bee-queue waits for the command client to be ready.
 */
export function beeQueueConnections(url: string, logger?: Logger): BeeQueueConnections {
  const where = redactUrl(url)
  const retry_strategy = ({attempt, error}: ReconnectAttempt): number => {
    const delayMs = reconnectDelayMs(attempt)
    if (logger && attempt > (attemptsLogged.get(url) ?? 0)) {
      attemptsLogged.set(url, attempt)
      const cause = error ? messageOf(error) : 'the connection closed'
      logger.warn({redis: where, attempt, delayMs}, `Redis at ${where} cannot be reached (${cause}); the queue tries again in ${formatWait(delayMs)} (attempt ${attempt})`)
    }
    return delayMs
  }
  const clients: BeeQueueRedisClient[] = []
  const withListeners = (client: BeeQueueRedisClient): BeeQueueRedisClient => {
    clients.push(client)
    // What an error means is said by the call it fails (bee-queue rejects it) or by retry_strategy.
    client.on('error', () => undefined)
    client.on('ready', () => {
      if (!logger || (attemptsLogged.get(url) ?? 0) === 0) return
      attemptsLogged.set(url, 0)
      logger.info({redis: where}, `Redis at ${where} answers again`)
    })
    const duplicate = client.duplicate.bind(client)
    client.duplicate = () => withListeners(duplicate())
    return client
  }
  const client = withListeners(nodeRedis.createClient({url, retry_strategy, connect_timeout: CONNECT_TIMEOUT_MS}))
  client.on('ready', () => {
    if (client.times_connected > 1) beeQueueScripts.buildCache(client).catch(() => undefined)
  })
  return {client, end: () => clients.forEach((c) => c.end(true))}
}
