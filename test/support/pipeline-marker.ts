// Stands in for a running poller whose pipeline is caught up, for tests of the balance cache that
// run no poller (or only `poll --once` now and then): writes the pipeline marker
// (src/balances/pipeline-marker.ts) every second, as a caught-up poller's heartbeat does, until
// stopped. Without it every cached balance is served as stale (pipeline_behind), rightly: nothing
// would be following the chain. test/balances/pipeline-behind.test.ts runs the real poller instead.
import {Redis} from 'ioredis'
import {markerFor, pipelineMarkerKey} from '../../src/balances/pipeline-marker.ts'
import {PIPELINE_LAG_THRESHOLD_DEFAULT_MS} from '../../src/config/settings.ts'

export interface CaughtUpPipeline {
  stop(): Promise<void>
}

export async function keepPipelineCaughtUp(redisUrl: string, prefix: string): Promise<CaughtUpPipeline> {
  // A connection of its own, which reconnects: tests that restart a private Redis get the marker back within a second.
  const redis = new Redis(redisUrl, {maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true})
  redis.on('error', () => undefined)
  await redis.connect()
  const write = async () => {
    const {value, ttlMs} = markerFor({lagMs: 0, waitingAgeMs: null}, PIPELINE_LAG_THRESHOLD_DEFAULT_MS)
    await redis.set(pipelineMarkerKey(prefix), value, 'PX', ttlMs).catch(() => undefined)
  }
  await write()
  const timer = setInterval(() => void write(), 1_000)
  return {
    async stop() {
      clearInterval(timer)
      await redis.del(pipelineMarkerKey(prefix)).catch(() => undefined)
      redis.disconnect()
    },
  }
}
