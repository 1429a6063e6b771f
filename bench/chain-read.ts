// How many checkpoints per second confio's chain layer reads, against the bare SDK doing the same
// GetCheckpoint calls with the same read mask in the same run. The server is the local Sui test
// server in its own process (spawnSuiServer), serving 60-transaction checkpoints it has encoded
// in advance for this read mask, so what is measured is the client side: transport, protobuf
// decoding, and for the layer its policy (limits, deadline, metrics) and record decoding.
//
//   node bench/chain-read.ts [checkpoints=1000] [rounds=5]
//
// A measurement, not a test: it prints figures and ratios and exits 0.
import {ChannelCredentials} from '@grpc/grpc-js'
import {SuiGrpcClient} from '@mysten/sui/grpc'
import {GrpcTransport} from '@protobuf-ts/grpc-transport'

import {ChainMetrics} from '../src/chain/chain-metrics.ts'
import type {ChainOptions} from '../src/chain/chain-options.ts'
import {GrpcChainReader} from '../src/chain/grpc-chain-reader.ts'
import {TokenBucket} from '../src/chain/rate-limiter.ts'
import {CHECKPOINT_READ_MASK, fieldMask} from '../src/chain/read-masks.ts'
import {spawnSuiServer} from '../test/support/sui-server/index.ts'

const CHECKPOINTS = Number(process.argv[2] ?? 1000)
const ROUNDS = Number(process.argv[3] ?? 5)
const TX_PER_CHECKPOINT = 60

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
    for (const s of [server, fallbackServer]) await s.warmReadMask([...CHECKPOINT_READ_MASK])
    const [traffic] = await Promise.all(
      [server, fallbackServer].map((s) => s.generateTraffic({checkpoints: CHECKPOINTS, txPerCheckpoint: [TX_PER_CHECKPOINT, TX_PER_CHECKPOINT], relevantShare: 0.05, seed: 1})),
    )
    if (!traffic) throw new Error('no traffic')
    const from = traffic.firstCheckpoint
    const to = traffic.lastCheckpoint
    console.log(`chain-read: ${CHECKPOINTS} checkpoints of ${TX_PER_CHECKPOINT} transactions (${traffic.transactions} in all), ${ROUNDS} rounds, server pid ${server.pid}; setup ${Math.round(performance.now() - setupStarted)} ms`)

    const host = new URL(server.url).host
    const bare = new SuiGrpcClient({network: 'localnet', transport: new GrpcTransport({host, channelCredentials: ChannelCredentials.createInsecure()})})
    const options = (url: string): ChainOptions => ({
      url,
      transport: 'grpc',
      network: 'localnet',
      deadlineMs: 10_000,
      maxAttempts: 3,
      backoffBaseMs: 100,
      backoffMaxMs: 1_000,
      // The question is the layer's own cost, so its rate limit is set out of the way.
      requestsPerSecond: 1_000_000,
      maxConcurrency: 16,
    })
    const deps = {rateLimiter: new TokenBucket({requestsPerSecond: 1_000_000}), metrics: new ChainMetrics()}
    const layer = new GrpcChainReader(options(server.url), deps)
    const fallback = new GrpcChainReader(options(fallbackServer.url), deps)
    const mask = fieldMask(CHECKPOINT_READ_MASK)

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
      'layer checkpoints() range, ListCheckpoints': async () => {
        let transactions = 0
        let checkpoints = 0
        const started = performance.now()
        for await (const cp of layer.checkpoints(from, to)) {
          checkpoints++
          transactions += cp.transactions.length
        }
        return {checkpoints, transactions, ms: performance.now() - started}
      },
      'layer checkpoints() range, GetCheckpoint fallback (16 in flight)': async () => {
        let transactions = 0
        let checkpoints = 0
        const started = performance.now()
        for await (const cp of fallback.checkpoints(from, to)) {
          checkpoints++
          transactions += cp.transactions.length
        }
        return {checkpoints, transactions, ms: performance.now() - started}
      },
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
    console.log(`${'checkpoints/s'.padEnd(66)}  median      min      max   tx/s (median)   vs bare  client CPU`)
    for (const r of results) {
      console.log(
        `${r.name.padEnd(66)} ${r.cps.toFixed(0).padStart(7)} ${r.min.toFixed(0).padStart(8)} ${r.max.toFixed(0).padStart(8)} ${(r.cps * TX_PER_CHECKPOINT).toFixed(0).padStart(15)} ${((r.cps / bareRate) * 100).toFixed(1).padStart(8)}% ${((r.cpu) * 100).toFixed(0).padStart(9)}%`,
      )
    }
    const counts = new Set(transactionsSeen.values())
    console.log('')
    console.log(`transactions read per pass: ${[...counts].join(', ')}${counts.size === 1 ? ' (all runs agree)' : ' (RUNS DISAGREE)'}`)
    const sequential = results[1]?.cps ?? 0
    const ranged = results[2]?.cps ?? 0
    console.log(`goal layer ≥ 90% of bare: ${((sequential / bareRate) * 100).toFixed(1)}% ${sequential >= 0.9 * bareRate ? 'met' : 'NOT met'}`)
    console.log(`goal range reader ≥ 1,000 checkpoints/s: ${ranged.toFixed(0)} ${ranged >= 1000 ? 'met' : 'NOT met'}`)
    layer.close()
    fallback.close()
  } finally {
    await Promise.all([server.close(), fallbackServer.close()])
  }
}

await main()
