// Where the poller's main thread spent a catch-up, from its V8 CPU profile (--cpu-prof): each
// sample goes to the first stage in STAGES that any frame of its stack names (so a reply of the
// details fetch, decoded by the same wire reader as checkpoints, counts as fetching details), or
// to V8's own garbage collection and idle time. What matches no stage (promise and stream
// plumbing between them) is "other".
import {readFileSync} from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: {functionName: string; url: string}
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

// In order of precedence: a stack that names several stages goes to the first.
const STAGES: ReadonlyArray<readonly [string, RegExp]> = [
  ['loading modules', /node:internal\/modules|@oclif/],
  ['loading accounts', /^(addKeys?|load|loadSet|refresh|grow) .*(monitored-accounts|address-set)|account-coverage/],
  ['fetching details', /details-fetcher|batch-preparer|grpc-chain-reader|readBatchGetTransactionsResponse|@protobuf-ts|@scure/],
  ['storing', /raw-event-repository|ingest-cursor|knex|\/pg\/|pg-protocol/],
  ['queueing jobs', /transaction-queue|job-queuer|stored-jobs|outbox|bee-queue|\/redis\//],
  ['deciding relevance', /relevance-filter|decoding-guard|relevance-decider/],
  ['reading and screening checkpoints', /checkpoint-range|checkpoint-source|checkpoint-reader|transaction-screen|checkpoint-wire|wire-reader|checkpoint-decoder|flow-controlled|address-set|grpc-js\/build\/src\/(stream-decoder|subchannel-call|transport|call-stream)|node:internal\/http2/],
]

const V8_ENTRIES: ReadonlyMap<string, string> = new Map([
  ['(garbage collector)', 'garbage collection'],
  ['(idle)', 'idle (waiting)'],
  ['(program)', 'other'],
])

/** Milliseconds per stage, largest first. */
export function pollerStages(path: string): Array<{stage: string; ms: number}> {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parentOf = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
  const stageOf = new Map<number, string>()
  const stage = (id: number): string => {
    let known = stageOf.get(id)
    if (known === undefined) {
      known = V8_ENTRIES.get(byId.get(id)!.callFrame.functionName) ?? firstStage(id, byId, parentOf)
      stageOf.set(id, known)
    }
    return known
  }
  const totals = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const name = stage(id)
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  })
  return [...totals].map(([name, ms]) => ({stage: name, ms})).sort((a, b) => b.ms - a.ms)
}

function firstStage(leaf: number, byId: Map<number, ProfileNode>, parentOf: Map<number, number>): string {
  let best = STAGES.length
  for (let id: number | undefined = leaf; id !== undefined && best > 0; id = parentOf.get(id)) {
    const {functionName, url} = byId.get(id)!.callFrame
    const frame = `${functionName} ${url}`
    const index = STAGES.findIndex(([, pattern]) => pattern.test(frame))
    if (index >= 0 && index < best) best = index
  }
  return STAGES[best]?.[0] ?? 'other'
}
