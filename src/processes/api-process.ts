// `confio serve` as it runs: the HTTP API (src/api/) over a BalanceService of its own, kept in step
// with the workers and other services by the invalidation channel (memory level) and the cache
// generation (read at start, every 5 s, and at once when `confio cache reset` announces one).
//
// Stop: on the signal, /readyz turns 503 at once, the listener stops taking connections, requests
// in flight finish (Fastify's close waits for them; idle keep-alive connections are closed), then
// the listener and the generation watch end. The command closes PostgreSQL, Redis and the chain.
import type {AddressInfo} from 'node:net'
import type {Redis} from 'ioredis'
import {AccountHistory} from '../accounts/account-history.ts'
import {AccountRepository} from '../accounts/account-repository.ts'
import {AccountCache} from '../api/account-cache.ts'
import {buildApiApp} from '../api/api-app.ts'
import type {ApiServices, Readiness} from '../api/api-services.ts'
import {startBalanceService} from '../balances/open-balance-service.ts'
import type {ChainReader} from '../chain/index.ts'
import type {ApiSettings} from '../config/config.ts'
import {ConfigError, messageOf, RuntimeFailure, UsageError} from '../errors.ts'
import type {Database} from '../store/database.ts'
import {postgresAnswers, redisAnswers} from '../metrics/readiness-checks.ts'
import {aborted} from '../support/aborted.ts'
import {withTimeout} from '../support/with-timeout.ts'
import type {ProcessParts} from './process-parts.ts'

/** PostgreSQL's connections for the API: requests wait for one beyond this, within the pool's acquire deadline. */
export const API_CONNECTIONS = 10
/** How long /readyz waits for PostgreSQL and for Redis. */
const READINESS_TIMEOUT_MS = 1_000

export interface ApiListenOptions {
  readonly host: string
  readonly port: number
  /** The bearer token required (apiToken); undefined: none (--no-auth on a loopback host). */
  readonly token: string | undefined
  /** The version the OpenAPI document names. */
  readonly version: string
}

export interface ApiProcessResult {
  /** Where it listened: http://host:port. */
  readonly url: string
  readonly stoppedBy: string
}

/**
 * The bearer token the API requires, or undefined with --no-auth. Without a token it must be told
 * so (--no-auth), and then only on a loopback address: anything reachable from elsewhere is never
 * served unauthenticated.
 */
export function apiToken(settings: ApiSettings, options: {host: string; noAuth: boolean}): string | undefined {
  if (options.noAuth) {
    if (!isLoopback(options.host)) throw new UsageError(`--no-auth is refused on ${options.host}: only a loopback address (127.0.0.1, ::1, localhost) may be served without a token`, {remedy: 'set CONFIO_API_TOKEN, or listen on 127.0.0.1'})
    return undefined
  }
  if (settings.token === undefined) throw new ConfigError('CONFIO_API_TOKEN', 'is not set; every request must carry it as a bearer token', {remedy: 'set CONFIO_API_TOKEN (e.g. openssl rand -hex 32), or pass --no-auth on 127.0.0.1 for a local test'})
  return settings.token
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

export class ApiProcess {
  private readonly parts: ProcessParts & {redis: Redis; chain: ChainReader}
  private readonly options: ApiListenOptions
  private stopping = false
  private listening: ((url: string) => void) | undefined
  /** Resolves with the URL once the API listens (tests read the port from it). */
  readonly ready: Promise<string>

  constructor(parts: ProcessParts & {redis: Redis; chain: ChainReader}, options: ApiListenOptions) {
    this.parts = parts
    this.options = options
    this.ready = new Promise((resolve) => (this.listening = resolve))
  }

  /** Serves until the signal; then finishes the requests in flight and returns. */
  async run(signal: AbortSignal): Promise<ApiProcessResult> {
    const {settings, db, logger} = this.parts
    // Its memory level kept in step with the workers' by the invalidation channel, the cache
    // generation read at start and watched.
    const balances = await startBalanceService({
      db,
      redis: this.parts.redis,
      redisUrl: settings.redisUrl,
      redisPrefix: settings.redisPrefix,
      redisCommandTimeoutMs: settings.redisCommandTimeoutMs,
      chain: this.parts.chain,
      tokens: settings.tokens,
      logger: logger.child({stage: 'balances'}),
      verifyTimeoutMs: settings.balanceVerifyTimeoutMs,
      memoryMaxAgeMs: settings.balanceMemoryMaxAgeMs,
      listen: true,
      ...(this.parts.metrics ? {metrics: this.parts.metrics.registry} : {}),
    })
    const repository = new AccountRepository(db)
    const services: ApiServices = {
      balances: balances.service,
      // Each account found in PostgreSQL at most every 2 s (account-cache.ts).
      accounts: new AccountCache((ref) => repository.find(ref)),
      history: new AccountHistory(db),
      tokens: settings.tokens,
      readiness: () => this.readiness(),
    }
    try {
      const app = await buildApiApp({services, logger, token: this.options.token, version: this.options.version, registry: this.parts.metrics?.registry})
      try {
        await app.listen({host: this.options.host, port: this.options.port}).catch((error: unknown) => {
          throw listenFailure(error, this.options)
        })
        const {address, port} = app.server.address() as AddressInfo
        const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`
        logger.info({url, auth: this.options.token !== undefined}, 'serving the API')
        this.listening?.(url)
        const stoppedBy = messageOf(await aborted(signal))
        this.stopping = true
        return {url, stoppedBy}
      } finally {
        await app.close()
      }
    } finally {
      await balances.close()
    }
  }

  private async readiness(): Promise<Readiness> {
    if (this.stopping) return {ready: false, checks: {process: 'stopping'}}
    return dependencyReadiness(this.parts.db, this.parts.redis)
  }
}

/** Whether PostgreSQL and Redis each answer within READINESS_TIMEOUT_MS (the probes every process's /readyz runs). */
export async function dependencyReadiness(db: Database, redis: Redis): Promise<Readiness> {
  const check = async (probe: () => Promise<unknown>) => withTimeout(probe(), READINESS_TIMEOUT_MS, 'no answer').then(() => 'ok' as const, () => 'failing' as const)
  const [database, cache] = await Promise.all([check(postgresAnswers(async () => db)), check(redisAnswers(async () => redis))])
  return {ready: database === 'ok' && cache === 'ok', checks: {database, redis: cache}}
}

/** The port taken, or an address this machine does not have: one line naming the setting. */
function listenFailure(error: unknown, options: ApiListenOptions): RuntimeFailure {
  const code = (error as {code?: unknown}).code
  const where = `${options.host}:${options.port}`
  if (code === 'EADDRINUSE') return new RuntimeFailure(`cannot listen on ${where}: the port is in use`, {code: 'API_PORT_IN_USE', remedy: 'stop what listens there, or choose another port (--port, CONFIO_API_PORT)', cause: error})
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new RuntimeFailure(`cannot listen on ${where}: no such address on this machine`, {code: 'API_ADDRESS_INVALID', remedy: 'use an address of this machine (--host, CONFIO_API_HOST), e.g. 127.0.0.1 or 0.0.0.0', cause: error})
  return new RuntimeFailure(`cannot listen on ${where}: ${messageOf(error)}`, {code: 'API_LISTEN_FAILED', remedy: 'check --host and --port (CONFIO_API_HOST, CONFIO_API_PORT)', cause: error})
}

