// The pipeline's part of the status: what waits to be processed, when a worker last made progress,
// and what balance readers see in the pipeline marker (src/balances/pipeline-marker.ts). Redis not
// answering is a reading (the marker unknown, no progress known), never a failure of the command.
import type {Redis} from 'ioredis'
import {decodePipelineMarker, pipelineMarkerKey, WORKER_PROGRESS_LIFETIME_MS, workerProgressKey} from '../balances/pipeline-marker.ts'
import {decodeNodeOutage, nodeOutageKey} from '../ingest/node-outage.ts'
import {waitingBacklog} from '../ingest/raw-event-repository.ts'
import type {Database} from '../store/database.ts'
import type {MarkerView, PipelineStatus} from './status-report.ts'
import {messageOf} from '../errors.ts'

export async function readPipelineStatus(db: Database, redis: () => Promise<Redis>, redisPrefix: string): Promise<PipelineStatus> {
  const [waiting, fromRedis] = await Promise.all([waitingBacklog(db), readRedis(redis, redisPrefix)])
  return {waiting, ...fromRedis}
}

async function readRedis(redis: () => Promise<Redis>, prefix: string): Promise<Pick<PipelineStatus, 'marker' | 'workerProgressAgeMs' | 'nodeOutage'>> {
  try {
    const client = await redis()
    const [marker, progressTtl, outage] = await Promise.all([client.get(pipelineMarkerKey(prefix)), client.pttl(workerProgressKey(prefix)), client.get(nodeOutageKey(prefix))])
    // A missing key's PTTL is -2; the key is always written with a lifetime.
    return {
      marker: markerView(marker),
      workerProgressAgeMs: progressTtl >= 0 ? Math.max(0, WORKER_PROGRESS_LIFETIME_MS - progressTtl) : null,
      nodeOutage: outage === null ? null : (decodeNodeOutage(outage) ?? null),
    }
  } catch (error) {
    return {marker: {state: 'unknown', error: messageOf(error)}, workerProgressAgeMs: null, nodeOutage: null}
  }
}

function markerView(value: string | null): MarkerView {
  const marker = decodePipelineMarker(value)
  if (!marker) return {state: 'missing'}
  return {state: marker.caughtUp ? 'caught-up' : 'behind', lagMs: marker.lagMs, waitingAgeMs: marker.waitingAgeMs}
}
