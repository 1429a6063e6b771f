// What /readyz asks of every process (src/metrics/metrics-server.ts): that PostgreSQL and Redis
// answer, through the process's own connections (a pool of its own would say nothing of them).
import type {Redis} from 'ioredis'
import type {Database} from '../store/database.ts'

/** PostgreSQL answers a statement through `db` (the process's pool, opened on first use). */
export function postgresAnswers(db: () => Promise<Database>): () => Promise<void> {
  return async () => {
    await (await db()).raw('SELECT 1')
  }
}

/** Redis answers a PING through `redis` (the process's client, whose commands have REDIS_COMMAND_TIMEOUT). */
export function redisAnswers(redis: () => Promise<Redis>): () => Promise<void> {
  return async () => {
    await (await redis()).ping()
  }
}
