// How many checkpoints per second confio's chain layer reads, against the bare SDK doing the same
// calls (GetCheckpoint, ListCheckpoints) with the same read mask in the same run. The mask is
// CHECKPOINT_READ_MASK: what deciding relevance takes, events by type only (no JSON). The server is
// the local Sui test server in its own process (spawnSuiServer), serving 60-transaction
// checkpoints it has encoded in advance for the masks read here, so what is measured is the
// client side: transport, protobuf decoding, and for the layer its policy (limits, deadline,
// metrics) and record decoding.
//
// Also measured: the bare client with the previous, wide mask (events with their JSON), for
// scale; and the poller's two tiers together: the range read plus one eventContents call
// per 250 checkpoints (the poller's batch) for the ~1% of transactions that are relevant.
//
//   npm run bench:chain                        (CHECKPOINTS=1000 ROUNDS=5)
//   CHECKPOINTS=200 ROUNDS=3 npm run bench:chain
//
// A measurement, not a test: it prints figures and ratios (the layer's against the bare client
// doing the same calls: its floor), and fails only when the runs disagree on what they read.
import {ChannelCredentials} from '@grpc/grpc-js'
import {SuiGrpcClient} from '@mysten/sui/grpc'
import {GrpcTransport} from '@protobuf-ts/grpc-transport'

import {GrpcChainReader} from '../src/chain/index.ts'
import type {CheckpointRecord} from '../src/chain/index.ts'
import {CHECKPOINT_READ_MASK, fieldMask} from '../src/chain/wire/read-masks.ts'
import {spawnSuiServer} from '../sui-server/index.ts'
import {num, reportFigures} from './bench-support.ts'
import {localChainOptions, unlimitedDeps} from './local-chain.ts'

const CHECKPOINTS = num('CHECKPOINTS', 1_000)
const ROUNDS = Math.max(1, num('ROUNDS', 5))
const TX_PER_CHECKPOINT = 60
/** Share of transactions the poller finds relevant (sui.md / the issue: about 1%). */
const RELEVANT_SHARE = 0.01
const RELEVANT_PACKAGE = '0x' + 'c0'.repeat(32)
/** The poller's commit batch (PollerOptions.maxBatch default). */
const COMMIT_BATCH = 250
/** The checkpoint mask before it was narrowed: events with their JSON. For scale only. */
const WIDE_MASK = [...CHECKPOINT_READ_MASK, 'transactions.events.events.json']

interface Sample {
  checkpoints: number
  transactions: number
  ms: number
  /** This process's CPU time over the run: near `ms` means the client is the bottleneck. */
  cpuMs?: number
}

const rate = (s: Sample): number => (s.checkpoints / s.ms) * 1000

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

async function main(): Promise<void> {
  const server = await spawnSuiServer({listCheckpoints: true})
  const fallbackServer = await spawnSuiServer({listCheckpoints: false})
  try {
    const setupStarted = performance.now()
    // Warm masks are encoded as each checkpoint is sealed, so every read below is served from cache.
    for (const s of [server, fallbackServer]) await s.warmReadMask([...CHECKPOINT_READ_MASK])
    await server.warmReadMask(WIDE_MASK)
    const [traffic] = await Promise.all(
      [server, fallbackServer].map((s) => s.generateTraffic({checkpoints: CHECKPOINTS, txPerCheckpoint: [TX_PER_CHECKPOINT, TX_PER_CHECKPOINT], relevantShare: RELEVANT_SHARE, relevantPackages: [RELEVANT_PACKAGE], seed: 1})),
    )
    if (!traffic) throw new Error('no traffic')
    const from = traffic.firstCheckpoint
    const to = traffic.lastCheckpoint
    console.log(`chain-read: ${CHECKPOINTS} checkpoints of ${TX_PER_CHECKPOINT} transactions (${traffic.transactions} in all), ${ROUNDS} rounds, server pid ${server.pid}; setup ${Math.round(performance.now() - setupStarted)} ms`)

    const host = new URL(server.url).host
    const bare = new SuiGrpcClient({network: 'localnet', transport: new GrpcTransport({host, channelCredentials: ChannelCredentials.createInsecure()})})
    const options = localChainOptions
    const deps = unlimitedDeps()
    const layer = new GrpcChainReader(options(server.url), deps)
    const fallback = new GrpcChainReader(options(fallbackServer.url), deps)
    const mask = fieldMask(CHECKPOINT_READ_MASK)
    const relevant = new Set(traffic.relevantDigests)
    let detailsFetched = 0
    const bareRange = async (paths: {paths: string[]}): Promise<Sample> => {
      let transactions = 0
      let checkpoints = 0
      const started = performance.now()
      // The node's item limit ends a stream early; go on from the last checkpoint, as the layer does.
      for (let next = from; next <= to; ) {
        const call = bare.ledgerService.listCheckpoints({readMask: paths, startCheckpoint: next, endCheckpoint: to + 1n, options: {limit: 1000}})
        for await (const frame of call.responses) {
          if (!frame.checkpoint) continue
          checkpoints++
          transactions += frame.checkpoint.transactions.length
          next = (frame.checkpoint.sequenceNumber ?? next) + 1n
        }
      }
      return {checkpoints, transactions, ms: performance.now() - started}
    }

    const runs: Record<string, () => Promise<Sample>> = {
      'bare SuiGrpcClient.getCheckpoint, sequential': async () => {
        let transactions = 0
        const started = performance.now()
        for (let seq = from; seq <= to; seq++) {
          const {response} = await bare.ledgerService.getCheckpoint({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: seq}, readMask: mask})
          transactions += response.checkpoint?.transactions.length ?? 0
        }
        return {checkpoints: Number(to - from + 1n), transactions, ms: performance.now() - started}
      },
      'layer checkpoint(), sequential': async () => {
        let transactions = 0
        const started = performance.now()
        for (let seq = from; seq <= to; seq++) transactions += (await layer.checkpoint(seq)).transactions.length
        return {checkpoints: Number(to - from + 1n), transactions, ms: performance.now() - started}
      },
      'bare SuiGrpcClient.listCheckpoints stream': () => bareRange(mask),
      'layer checkpoints() range, ListCheckpoints': () => timeRange(layer.checkpoints(from, to)),
      'layer checkpoints() range, GetCheckpoint fallback (16 in flight)': () => timeRange(fallback.checkpoints(from, to)),
      [`layer range + eventContents per ${COMMIT_BATCH} (${RELEVANT_SHARE * 100}% relevant)`]: async () => {
        let transactions = 0
        let checkpoints = 0
        let batch: CheckpointRecord[] = []
        const details = async (): Promise<void> => {
          const digests = batch.flatMap((cp) => cp.transactions.filter((t) => relevant.has(t.digest)).map((t) => t.digest))
          detailsFetched = (await layer.eventContents(digests)).length
          batch = []
        }
        const started = performance.now()
        for await (const cp of layer.checkpoints(from, to)) {
          checkpoints++
          transactions += cp.transactions.length
          batch.push(cp)
          if (batch.length === COMMIT_BATCH) await details()
        }
        await details()
        return {checkpoints, transactions, ms: performance.now() - started}
      },
      'bare SuiGrpcClient.listCheckpoints, wide mask (event JSON; before)': () => bareRange(fieldMask(WIDE_MASK)),
    }

    // One warm-up pass of each (JIT, connections), then rounds interleaved so drift hits all alike.
    for (const run of Object.values(runs)) await run()
    const rates = new Map<string, number[]>(Object.keys(runs).map((name) => [name, []]))
    const transactionsSeen = new Map<string, number>()
    const cpuShare = new Map<string, number[]>(Object.keys(runs).map((name) => [name, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of Object.entries(runs)) {
        const cpu = process.cpuUsage()
        const sample = await run()
        const used = process.cpuUsage(cpu)
        sample.cpuMs = (used.user + used.system) / 1000
        rates.get(name)?.push(rate(sample))
        cpuShare.get(name)?.push(sample.cpuMs / sample.ms)
        transactionsSeen.set(name, sample.transactions)
      }
    }

    const results = [...rates].map(([name, values]) => ({name, cps: median(values), min: Math.min(...values), max: Math.max(...values), cpu: median(cpuShare.get(name) ?? [])}))
    const bareRate = results[0]?.cps ?? 1
    console.log('')
    console.log(`${'checkpoints/s'.padEnd(70)}  median      min      max   tx/s (median)   vs bare  client CPU  per CPU-s`)
    for (const r of results) {
      console.log(
        `${r.name.padEnd(70)} ${r.cps.toFixed(0).padStart(7)} ${r.min.toFixed(0).padStart(8)} ${r.max.toFixed(0).padStart(8)} ${(r.cps * TX_PER_CHECKPOINT).toFixed(0).padStart(15)} ${((r.cps / bareRate) * 100).toFixed(1).padStart(8)}% ${((r.cpu) * 100).toFixed(0).padStart(9)}% ${(r.cps / Math.max(r.cpu, 0.01)).toFixed(0).padStart(10)}`,
      )
    }
    const counts = new Set(transactionsSeen.values())
    // "per CPU-s": checkpoints per second of this process's CPU, the client's cost alone; it holds
    // when other processes share the machine, which the wall-clock rates do not.
    console.log('')
    console.log('per CPU-s = checkpoints per second of client CPU (the client\'s own cost; steadier than wall-clock rates on a busy machine)')
    console.log(`transactions read per pass: ${[...counts].join(', ')}${counts.size === 1 ? ' (all runs agree)' : ' (RUNS DISAGREE)'}; relevant: ${relevant.size}, last details call returned ${detailsFetched}`)
    const byName = new Map(results.map((r) => [r.name, r.cps]))
    const sequential = byName.get('layer checkpoint(), sequential') ?? 0
    const bareRangeRate = byName.get('bare SuiGrpcClient.listCheckpoints stream') ?? 1
    const ranged = byName.get('layer checkpoints() range, ListCheckpoints') ?? 0
    const twoTier = results[5]?.cps ?? 0
    console.log(`range reader vs bare listCheckpoints (same mask): ${((ranged / bareRangeRate) * 100).toFixed(1)}%`)
    console.log(`goal layer ≥ 90% of bare (checkpoint() vs getCheckpoint): ${((sequential / bareRate) * 100).toFixed(1)}% ${sequential >= 0.9 * bareRate ? 'met' : 'NOT met'}`)
    console.log(`goal layer ≥ 90% of bare (checkpoints() vs listCheckpoints): ${((ranged / bareRangeRate) * 100).toFixed(1)}% ${ranged >= 0.9 * bareRangeRate ? 'met' : 'NOT met'}`)
    console.log(`goal range reader ≥ 1,000 checkpoints/s: ${ranged.toFixed(0)} ${ranged >= 1000 ? 'met' : 'NOT met'} (with details of the relevant transactions: ${twoTier.toFixed(0)})`)
    if (counts.size !== 1) throw new Error(`the runs read different numbers of transactions (${[...counts].join(', ')}): the figures mean nothing`)
    reportFigures('chain', [
      {name: 'layer checkpoint(), sequential, against the bare getCheckpoint', unit: 'checkpoints/s', measured: sequential, floor: bareRate, goal: {on: 'ratio', value: 0.9}},
      {name: 'layer checkpoints() range, against the bare listCheckpoints stream', unit: 'checkpoints/s', measured: ranged, floor: bareRangeRate, goal: {on: 'ratio', value: 0.9}},
      {name: 'layer checkpoints() range', unit: 'checkpoints/s', measured: ranged, goal: {on: 'measured', value: 1_000}},
    ])
    layer.close()
    fallback.close()
  } finally {
    await Promise.all([server.close(), fallbackServer.close()])
  }
}

await main()

/** Reads a range to the end: how many checkpoints and transactions, and how long it took. */
async function timeRange(range: AsyncIterable<CheckpointRecord>): Promise<{checkpoints: number; transactions: number; ms: number}> {
  let transactions = 0
  let checkpoints = 0
  const started = performance.now()
  for await (const cp of range) {
    checkpoints++
    transactions += cp.transactions.length
  }
  return {checkpoints, transactions, ms: performance.now() - started}
}
