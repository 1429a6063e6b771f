// sui.rpc.v2.SubscriptionService.SubscribeCheckpoints: every checkpoint sealed after the call
// starts, in order, each frame {cursor, checkpoint} under the read mask. Like a node it cannot
// resume from a cursor; a follower fills gaps with GetCheckpoint/ListCheckpoints. Filters and
// SubscribeTransactions/SubscribeEvents are not modelled (UNIMPLEMENTED).
import {GrpcTypes} from '@mysten/sui/grpc'
import type {CheckpointRecord} from '../chain-builder.ts'
import type {CheckpointCache} from '../checkpoint-cache.ts'
import {type FrameSink, type ServiceParts, rpcError} from '../grpc-server.ts'
import type {Ledger} from '../ledger.ts'
import {uint64Field} from '../wire.ts'
import {encode} from './ledger-service.ts'

export function subscriptionService(ledger: Ledger, cache: CheckpointCache): ServiceParts {
  return {
    info: GrpcTypes.SubscriptionService,
    streaming: {
      subscribeCheckpoints: (request: GrpcTypes.SubscribeCheckpointsRequest, sink) => subscribe(ledger, cache, request, sink),
    },
  }
}

async function subscribe(ledger: Ledger, cache: CheckpointCache, request: GrpcTypes.SubscribeCheckpointsRequest, sink: FrameSink): Promise<void> {
  if (request.filter?.terms.length) throw rpcError('UNIMPLEMENTED', 'SubscribeCheckpoints filters are not modelled by the confio test server')
  const paths = request.readMask?.paths
  encode(cache, ledger.latestCheckpoint(), paths) // an invalid mask fails the call before it waits
  const queue: CheckpointRecord[] = []
  let wake: (() => void) | undefined
  const unsubscribe = ledger.onCheckpoint((cp) => {
    queue.push(cp)
    wake?.()
  })
  sink.onClose(() => {
    unsubscribe()
    wake?.()
  })
  sink.open() // headers out: from here on, every sealed checkpoint reaches this subscriber
  // Frames go out one at a time, in order, waiting for the client when it is slow.
  while (!sink.closed) {
    const cp = queue.shift()
    if (!cp) {
      await new Promise<void>((resolve) => (wake = resolve))
      continue
    }
    // SubscribeCheckpointsResponse: cursor = 1 (always set), checkpoint = 2. The cache holds the
    // checkpoint as field 1 (tag 0x0a); as field 2 only the tag byte differs (0x12).
    const asField1 = encode(cache, cp, paths)
    const frame = Buffer.concat([uint64Field(1, cp.sequenceNumber), Buffer.from([0x12]), asField1.subarray(1)])
    if (!(await sink.send(frame))) break
  }
  unsubscribe()
}
