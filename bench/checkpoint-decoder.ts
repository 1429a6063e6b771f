// What the hand-written checkpoint reader (src/chain/wire/checkpoint-wire.ts) saves over the SDK's own
// generated decoder (GrpcTypes.*.fromBinary), on the bytes a node sends for CHECKPOINT_READ_MASK:
// mainnet-shaped checkpoints of 60 transactions from the local test server's traffic generator,
// at 1% and 10% relevant share. Each decoder turns a ListCheckpointsResponse frame (and a
// GetCheckpointResponse) into a CheckpointRecord with the same decodeCheckpoint, so the difference
// is the message decoding alone; both must give the same relevance result for every transaction.
//
// Then, unless RANGE=0, the same range read over a socket from the test server in its own
// process: ListCheckpoints frames taken off the transport undecoded (what the range reader
// receives), decoded by each decoder in turn, beside the bare SDK client's listCheckpoints; so
// the decoder's cost shows as a share of a range read.
//
// Figures are medians over rounds, wall clock and this process's CPU time. On a shared machine
// the CPU time per checkpoint is the one to trust (the ratios use it): wall clock also counts the
// time other processes took the core.
//
//   npm run bench:decoder
//   CHECKPOINTS=1000 ROUNDS=9 RANGE=0 npm run bench:decoder
//
// Environment: CHECKPOINTS (500 per share), ROUNDS (7), SHARES (0.01,0.10), RANGE (1).
// A measurement, not a test: it prints figures, and fails if the decoders disagree.
import {ChannelCredentials} from '@grpc/grpc-js'
import {GrpcTypes, SuiGrpcClient} from '@mysten/sui/grpc'
import {GrpcTransport} from '@protobuf-ts/grpc-transport'

import {decodeCheckpoint, decodeScreenedCheckpoint} from '../src/chain/wire/checkpoint-decoder.ts'
import {CheckpointMethods} from '../src/chain/wire/checkpoint-methods.ts'
import {DEFAULT_WIRE_OBSERVER} from '../src/chain/wire/wire-observer.ts'
import {readGetCheckpointResponse, readListCheckpointsResponse} from '../src/chain/wire/checkpoint-wire.ts'
import {CHECKPOINT_READ_MASK, fieldMask} from '../src/chain/wire/read-masks.ts'
import type {CheckpointRecord, ScreenedCheckpointRecord, TransactionRecord} from '../src/chain/records.ts'
import {AddressSet} from '../src/ingest/address-set.ts'
import {RelevanceFilter} from '../src/ingest/relevance-filter.ts'
import {RelevanceScreen} from '../src/ingest/relevance-screen.ts'
import {SUI_COIN_TYPE, normalizeCoinType} from '../src/sui/identifiers.ts'
import {TokenRegistry} from '../src/tokens/token-registry.ts'
import {idOf} from '../sui-server/chain-builder.ts'
import {CheckpointCache} from '../sui-server/checkpoint-cache.ts'
import {Ledger, spawnSuiServer} from '../sui-server/index.ts'
import {type FigureInput, num, reportFigures} from './bench-support.ts'

const CHECKPOINTS = num('CHECKPOINTS', 500)
const ROUNDS = Math.max(1, num('ROUNDS', 7))
const SHARES = (process.env.SHARES ?? '0.01,0.10').split(',').map(Number)
const RANGE = process.env.RANGE !== '0'
const TX_PER_CHECKPOINT = 60
const RELEVANT_PACKAGE = idOf('bench-decoder', 'package')
const USDC = normalizeCoinType('0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC')
const MASK = [...CHECKPOINT_READ_MASK]
/** Field 1, length-delimited: ListCheckpointsResponse.checkpoint (the test server writes it first). */
const CHECKPOINT_TAG = (1 << 3) | 2

/** One decoder: bytes of one reply → a record. */
type Decode = (bytes: Uint8Array) => CheckpointRecord

const WIRE = 'ListCheckpointsResponse, checkpoint-wire.ts + decodeCheckpoint'
const SDK = 'ListCheckpointsResponse, SDK fromBinary + decodeCheckpoint'
const DECODERS: Record<string, Decode> = {
  'ListCheckpointsResponse, checkpoint-wire.ts + decodeCheckpoint': (bytes) => {
    const frame = readListCheckpointsResponse(bytes).checkpoint
    if (frame === undefined) throw new Error('frame without a checkpoint')
    return decodeCheckpoint(frame.checkpoint, undefined, frame.transactionErrors)
  },
  'ListCheckpointsResponse, SDK fromBinary + decodeCheckpoint': (bytes) => {
    const checkpoint = GrpcTypes.ListCheckpointsResponse.fromBinary(bytes).checkpoint
    if (checkpoint === undefined) throw new Error('frame without a checkpoint')
    return decodeCheckpoint(checkpoint)
  },
}

/**
 * What the poller does: each transaction screened on the wire (its monitored accounts and
 * packages), only those that pass decoded. Returns how many passed.
 */
const SCREENED = 'ListCheckpointsResponse, screened, what passes decoded'
function screened(screen: RelevanceScreen): (bytes: Uint8Array) => ScreenedCheckpointRecord {
  return (bytes) => {
    const frame = readListCheckpointsResponse(bytes, DEFAULT_WIRE_OBSERVER, screen).checkpoint
    if (frame === undefined) throw new Error('frame without a checkpoint')
    return decodeScreenedCheckpoint(frame)
  }
}

/** The message decoding alone, without decodeCheckpoint: how much of the above is the decoder's. */
const MESSAGE_DECODERS: Record<string, (bytes: Uint8Array) => number> = {
  'ListCheckpointsResponse, checkpoint-wire.ts, message only': (bytes) => readListCheckpointsResponse(bytes).checkpoint?.checkpoint.transactions.length ?? 0,
  'ListCheckpointsResponse, SDK fromBinary, message only': (bytes) => GrpcTypes.ListCheckpointsResponse.fromBinary(bytes).checkpoint?.transactions.length ?? 0,
}

/** GetCheckpointResponse is the same checkpoint without the watermark; measured for completeness. */
const GET_DECODERS: Record<string, (bytes: Uint8Array) => number> = {
  'GetCheckpointResponse, checkpoint-wire.ts + decodeCheckpoint': (bytes) => {
    const wire = readGetCheckpointResponse(bytes).checkpoint
    if (wire === undefined) throw new Error('reply without a checkpoint')
    return decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors).transactions.length
  },
  'GetCheckpointResponse, SDK fromBinary + decodeCheckpoint': (bytes) => {
    const checkpoint = GrpcTypes.GetCheckpointResponse.fromBinary(bytes).checkpoint
    if (checkpoint === undefined) throw new Error('reply without a checkpoint')
    return decodeCheckpoint(checkpoint).transactions.length
  },
}

interface Corpus {
  share: number
  list: Uint8Array[]
  get: Uint8Array[]
  transactions: number
  relevant: number
  filter: RelevanceFilter
  screen: RelevanceScreen
  traffic: {relevantShare: number; relevantAddresses: string[]; relevantPackages: string[]; seed: number}
}

/** Generates the checkpoints in this process and encodes them as the test server would send them. */
function corpus(share: number): Corpus {
  const ledger = new Ledger()
  const cache = new CheckpointCache(ledger)
  cache.warm(MASK)
  const relevantAddresses = Array.from({length: 200}, (_, i) => ledger.createAddress(`bench-decoder-${i}`))
  const traffic = {relevantShare: share, relevantAddresses, relevantPackages: [RELEVANT_PACKAGE], seed: 11}
  const summary = ledger.generateTraffic({checkpoints: CHECKPOINTS, txPerCheckpoint: [TX_PER_CHECKPOINT, TX_PER_CHECKPOINT], ...traffic})
  const list: Uint8Array[] = []
  const get: Uint8Array[] = []
  for (let seq = summary.firstCheckpoint; seq <= summary.lastCheckpoint; seq++) {
    const cp = ledger.checkpoint(seq)
    if (cp === undefined) throw new Error(`checkpoint ${seq} missing`)
    list.push(cache.listFrame(cp, MASK))
    get.push(cache.encoded(cp, MASK))
  }
  const accounts = new AddressSet()
  for (const address of relevantAddresses) accounts.add(address)
  const tokens = new TokenRegistry([
    {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
    {symbol: 'USDC', coinType: USDC, decimals: 6},
  ])
  const filter = new RelevanceFilter({packages: [RELEVANT_PACKAGE], tokens, accounts})
  const screen = new RelevanceScreen([RELEVANT_PACKAGE], accounts)
  return {share, list, get, transactions: summary.transactions, relevant: summary.relevantDigests.length, filter, screen, traffic}
}

/** Decodes one reply; returns its transaction count (so the work cannot be optimized away). */
type Count = (bytes: Uint8Array) => number

const counting = (decoders: Record<string, Decode>): Record<string, Count> =>
  Object.fromEntries(Object.entries(decoders).map(([name, decode]) => [name, (bytes: Uint8Array) => decode(bytes).transactions.length]))

/** One pass over every reply; returns wall and CPU time. */
function pass(decode: Count, replies: readonly Uint8Array[]): {ms: number; cpuMs: number; transactions: number} {
  let transactions = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (const bytes of replies) transactions += decode(bytes)
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  return {ms, cpuMs: (used.user + used.system) / 1000, transactions}
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

/** Relevance of every transaction, as one string per checkpoint: both decoders must agree. */
function relevanceOf(decode: Decode, replies: readonly Uint8Array[], filter: RelevanceFilter): {results: string[]; kept: number} {
  let kept = 0
  const results = replies.map((bytes) =>
    decode(bytes)
      .transactions.map((tx) => {
        const reasons = filter.reasons(tx)
        if (reasons.length > 0) kept++
        return `${tx.digest}:${reasons.join('+')}`
      })
      .join(' '),
  )
  return {results, kept}
}

interface Figure {
  name: string
  cps: number
  usPerCheckpoint: number
  cpuUsPerCheckpoint: number
}

function measure(decoders: Record<string, Count>, replies: readonly Uint8Array[]): Figure[] {
  const entries = Object.entries(decoders)
  // A warm-up pass of each (JIT), then rounds interleaved so drift hits all alike.
  for (const [, decode] of entries) pass(decode, replies)
  const samples = new Map<string, {ms: number[]; cpuMs: number[]}>(entries.map(([name]) => [name, {ms: [], cpuMs: []}]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, decode] of entries) {
      const {ms, cpuMs} = pass(decode, replies)
      samples.get(name)?.ms.push(ms)
      samples.get(name)?.cpuMs.push(cpuMs)
    }
  }
  return entries.map(([name]) => {
    const s = samples.get(name) ?? {ms: [], cpuMs: []}
    const ms = median(s.ms)
    return {name, cps: (replies.length / ms) * 1000, usPerCheckpoint: (ms * 1000) / replies.length, cpuUsPerCheckpoint: (median(s.cpuMs) * 1000) / replies.length}
  })
}

function printFigures(title: string, figures: readonly Figure[]): void {
  const base = figures[0]
  console.log(`  ${title.padEnd(62)} checkpoints/s   µs/checkpoint   CPU µs/checkpoint   CPU vs first`)
  for (const f of figures) {
    const ratio = base ? (f.cpuUsPerCheckpoint / base.cpuUsPerCheckpoint).toFixed(2) : '-'
    console.log(`  ${f.name.padEnd(62)} ${f.cps.toFixed(0).padStart(13)} ${f.usPerCheckpoint.toFixed(1).padStart(15)} ${f.cpuUsPerCheckpoint.toFixed(1).padStart(19)} ${`${ratio}x`.padStart(14)}`)
  }
}

/** Frames of one ListCheckpoints range, taken off the socket undecoded and decoded as the range reader would. */
async function rangeRead(methods: CheckpointMethods, from: bigint, to: bigint, decode: Decode | undefined): Promise<number> {
  let checkpoints = 0
  for (let next = from; next <= to; ) {
    const call = methods.listCheckpoints({readMask: fieldMask(MASK), startCheckpoint: next, endCheckpoint: to + 1n, options: {limit: 1000}}, {})
    for await (const frame of call.responses) {
      // The last frame of a stream carries only its end (and watermark); a checkpoint is field 1.
      if (frame.bytes[0] !== CHECKPOINT_TAG) continue
      checkpoints++
      // Undecoded, the frame is taken to be the next checkpoint: the server sends them in order.
      next = decode === undefined ? next + 1n : decode(frame.bytes).sequenceNumber + 1n
    }
  }
  return checkpoints
}

async function rangeFigures(share: Corpus): Promise<Figure[]> {
  const server = await spawnSuiServer({listCheckpoints: true})
  try {
    await server.warmReadMask(MASK)
    const summary = await server.generateTraffic({checkpoints: CHECKPOINTS, txPerCheckpoint: [TX_PER_CHECKPOINT, TX_PER_CHECKPOINT], ...share.traffic})
    const {firstCheckpoint: from, lastCheckpoint: to} = summary
    const count = Number(to - from + 1n)
    const transport = new GrpcTransport({host: new URL(server.url).host, channelCredentials: ChannelCredentials.createInsecure()})
    const sui = new SuiGrpcClient({network: 'localnet', transport})
    const methods = new CheckpointMethods(sui, DEFAULT_WIRE_OBSERVER)
    const runs: Record<string, () => Promise<number>> = {
      'frames off the transport, not decoded': () => rangeRead(methods, from, to, undefined),
      'frames + checkpoint-wire.ts + decodeCheckpoint': () => rangeRead(methods, from, to, DECODERS[WIRE]),
      'frames + SDK fromBinary + decodeCheckpoint': () => rangeRead(methods, from, to, DECODERS[SDK]),
      'bare SuiGrpcClient.listCheckpoints (SDK decode, no records)': async () => {
        let checkpoints = 0
        for (let next = from; next <= to; ) {
          const call = sui.ledgerService.listCheckpoints({readMask: fieldMask(MASK), startCheckpoint: next, endCheckpoint: to + 1n, options: {limit: 1000}})
          for await (const frame of call.responses) {
            if (frame.checkpoint === undefined) continue
            checkpoints++
            next = (frame.checkpoint.sequenceNumber ?? next) + 1n
          }
        }
        return checkpoints
      },
    }
    for (const run of Object.values(runs)) await run()
    const samples = new Map<string, {ms: number[]; cpuMs: number[]}>(Object.keys(runs).map((name) => [name, {ms: [], cpuMs: []}]))
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of Object.entries(runs)) {
        const cpu = process.cpuUsage()
        const started = performance.now()
        const read = await run()
        if (read !== count) throw new Error(`${name}: read ${read} checkpoints of ${count}`)
        const used = process.cpuUsage(cpu)
        samples.get(name)?.ms.push(performance.now() - started)
        samples.get(name)?.cpuMs.push((used.user + used.system) / 1000)
      }
    }
    transport.close()
    return [...samples].map(([name, s]) => {
      const ms = median(s.ms)
      return {name, cps: (count / ms) * 1000, usPerCheckpoint: (ms * 1000) / count, cpuUsPerCheckpoint: (median(s.cpuMs) * 1000) / count}
    })
  } finally {
    await server.close()
  }
}

async function main(): Promise<void> {
  console.log(`bench:decoder — ${CHECKPOINTS} checkpoints × ${TX_PER_CHECKPOINT} transactions per share, CHECKPOINT_READ_MASK, ${ROUNDS} rounds (median), node ${process.version}`)
  let disagreements = 0
  const figures: FigureInput[] = []
  for (const share of SHARES) {
    const started = performance.now()
    const c = corpus(share)
    const bytes = c.list.reduce((n, b) => n + b.length, 0)
    console.log('')
    console.log(`relevant share ${(share * 100).toFixed(0)}%: ${c.transactions} transactions, ${c.relevant} relevant by construction; ${(bytes / c.list.length / 1024).toFixed(1)} KiB per frame; generated in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    const wire = relevanceOf(DECODERS[WIRE] as Decode, c.list, c.filter)
    const sdk = relevanceOf(DECODERS[SDK] as Decode, c.list, c.filter)
    const differing = wire.results.filter((r, i) => r !== sdk.results[i]).length
    disagreements += differing
    console.log(`  relevance: ${wire.kept} transactions kept by checkpoint-wire.ts, ${sdk.kept} by the SDK decoder; ${differing === 0 ? 'identical for every checkpoint' : `${differing} CHECKPOINTS DIFFER`}`)
    const screen = screened(c.screen)
    // The kept transactions of a checkpoint and why, as one string: the screened read must match the whole one.
    const kept = (transactions: readonly TransactionRecord[]) =>
      transactions.flatMap((tx) => {
        const reasons = c.filter.reasons(tx)
        return reasons.length > 0 ? [`${tx.digest}:${reasons.join('+')}`] : []
      }).join(' ')
    let passed = 0
    const keptThroughScreen = c.list.map((bytes) => {
      const checkpoint = screen(bytes)
      passed += checkpoint.transactions.length
      return kept(checkpoint.transactions)
    })
    const keptWhole = c.list.map((bytes) => kept((DECODERS[WIRE] as Decode)(bytes).transactions))
    const screenDiffers = keptThroughScreen.filter((k, i) => k !== keptWhole[i]).length
    disagreements += screenDiffers
    console.log(`  screened: ${passed} of ${c.transactions} transactions decoded; kept ${screenDiffers === 0 ? 'the same in every checkpoint' : `DIFFERENT in ${screenDiffers} checkpoints`}`)
    const list = measure({...counting(DECODERS), [SCREENED]: (bytes) => screen(bytes).transactions.length, ...MESSAGE_DECODERS}, c.list)
    printFigures('decode only (in process)', list)
    const cpuOf = (name: string) => list.find((f) => f.name === name)?.cpuUsPerCheckpoint ?? Number.NaN
    const at = `at ${(share * 100).toFixed(0)}% relevant`
    figures.push(
      {name: `checkpoint-wire.ts decode ${at}, CPU a checkpoint, against the SDK's generated decoder`, unit: 'µs', measured: cpuOf(WIRE), floor: cpuOf(SDK), higher: false, goal: {on: 'ratio', value: 1}},
      {name: `screened read ${at} (what passes decoded), CPU a checkpoint, against the whole decode`, unit: 'µs', measured: cpuOf(SCREENED), floor: cpuOf(WIRE), higher: false, goal: {on: 'ratio', value: 1}},
    )
    printFigures('', measure(GET_DECODERS, c.get))
    if (!RANGE) continue
    const range = await rangeFigures(c)
    console.log('')
    printFigures('range read from the test server (own process)', range)
    const [, viaWire, viaSdk] = range
    if (viaWire && viaSdk) {
      console.log(`  range read with the SDK decoder: ${((viaSdk.cps / viaWire.cps) * 100).toFixed(0)}% of the rate with checkpoint-wire.ts (wall clock), ${((viaWire.cpuUsPerCheckpoint / viaSdk.cpuUsPerCheckpoint) * 100).toFixed(0)}% by client CPU per checkpoint`)
    }
  }
  if (disagreements > 0) throw new Error(`the decoders disagree on ${disagreements} checkpoints: the figures mean nothing`)
  reportFigures('decoder', figures)
}

await main()
