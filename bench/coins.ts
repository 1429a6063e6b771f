// bench/coins: an address holding COINS (10,000) cUSD coins on the local Sui server (its own
// process), then
//   1. CoinManager.coins(): every coin, paged (ListOwnedObjects, 1,000 a page), READS times;
//   2. the real `confio coins inspect --address A --token CUSD --json` (a child process, process
//      start included), CLI_RUNS times;
//   3. selectCoins over those 10,000 coins, ITERATIONS times for each kind of payment: one coin
//      covers it, it takes a few hundred coins, it takes as many as one transaction can (1,627),
//      and one the coins cannot pay (the error); plus sorting the holding (holdingOf) and planning
//      the consolidation, which a CoinManager.select or planConsolidation call also does.
// Goals: every coin read, in 10 pages; `coins inspect` reports all 10,000; select p99 under 5 ms
// for each kind of payment. A measurement, not a test: it prints figures and met / NOT met, and
// fails only when a run is broken (a child failed).
//
//   npm run bench:coins
//   COINS=2000 ITERATIONS=500 npm run bench:coins     (a quick run)
//
// Environment: COINS (10000), READS (5), CLI_RUNS (3), ITERATIONS (2000).
import {spawn} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {openChainReader} from '../src/chain/index.ts'
import {type CoinHolding, holdingOf} from '../src/coins/coin-holding.ts'
import type {CoinInspection} from '../src/coins/coin-inspection.ts'
import {CoinManager} from '../src/coins/coin-manager.ts'
import {selectCoins} from '../src/coins/coin-selection.ts'
import {paymentCapacity, planConsolidation} from '../src/coins/consolidation-plan.ts'
import {MAINNET_LIMITS} from '../src/coins/protocol-limits.ts'
import {nearestRank} from '../src/support/percentiles.ts'
import {TokenRegistry} from '../src/tokens/token-registry.ts'
import {type SpawnedSuiServer, spawnSuiServer} from '../sui-server/index.ts'
import {formatLatency} from '../cli/render/latency.ts'
import {fmt, reportFigures} from './bench-support.ts'
import {localChainOptions, unlimitedDeps} from './local-chain.ts'

const num = (name: string, fallback: number, min = 1): number => {
  const raw = process.env[name]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} is not a whole number >= ${min}`)
  return value
}
const COINS = num('COINS', 10_000, 2_000)
const READS = num('READS', 5)
const CLI_RUNS = num('CLI_RUNS', 3)
const ITERATIONS = num('ITERATIONS', 2_000)

const GOAL_SELECT_P99_MS = 5
const PAGE_SIZE = 1_000
const CUSD_PACKAGE = `0x${'c05d'.padStart(64, '0')}`
const CUSD = {symbol: 'CUSD', coinType: `${CUSD_PACKAGE}::cusd::CUSD`, decimals: 6}
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const CWD = mkdtempSync(join(tmpdir(), 'confio-bench-coins-'))


interface Figures {
  runs: number
  p50: number
  p99: number
  max: number
}

function figures(samples: number[]): Figures {
  const sorted = [...samples].sort((a, b) => a - b)
  return {runs: samples.length, p50: nearestRank(sorted, 50), p99: nearestRank(sorted, 99), max: sorted.at(-1) ?? 0}
}

function row(name: string, f: Figures, extra = ''): string {
  return `  ${name.padEnd(50)} ${String(f.runs).padStart(6)}  ${formatLatency(f.p50).padStart(10)}  ${formatLatency(f.p99).padStart(10)}  ${formatLatency(f.max).padStart(10)}  ${extra}`
}

function goal(name: string, measured: string, met: boolean): string {
  return `  ${name.padEnd(60)} ${measured.padEnd(36)} ${met ? 'met' : 'NOT met'}`
}

/** Times each run; as many runs again beforehand, untimed, let the JIT settle first. */
function time(run: () => unknown, iterations: number): number[] {
  for (let i = 0; i < iterations; i++) run()
  const samples: number[] = []
  for (let i = 0; i < iterations; i++) {
    const started = performance.now()
    run()
    samples.push(performance.now() - started)
  }
  return samples
}

/** COINS coins of 1 to 5,000 micro-cUSD (dust, all different), minted 500 at a time over IPC. */
async function fund(server: SpawnedSuiServer): Promise<string> {
  const owner = await server.createAddress('bench-coins')
  for (let i = 0; i < COINS; i += 500) {
    await Promise.all(Array.from({length: Math.min(500, COINS - i)}, (_, j) => server.mint(owner, CUSD.coinType, BigInt(((i + j) * 7_919) % 5_000) + 1n)))
  }
  await server.produceCheckpoint()
  return owner
}

function confio(args: string[], env: Record<string, string>): Promise<{stdout: string; ms: number}> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {cwd: CWD, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve({stdout, ms: performance.now() - started}) : reject(new Error(`confio ${args.join(' ')} exited with ${code}:\n${stderr}`))))
  })
}

async function readAll(server: SpawnedSuiServer, owner: string): Promise<{samples: number[]; pages: number[]; holding: CoinHolding}> {
  const chain = openChainReader(localChainOptions(server.url), unlimitedDeps())
  const manager = new CoinManager({chain, tokens: new TokenRegistry([CUSD])})
  const samples: number[] = []
  const pages: number[] = []
  let holding: CoinHolding | undefined
  try {
    for (let i = 0; i < READS; i++) {
      const calls = (await server.callCounts()).ListOwnedObjects ?? 0
      const started = performance.now()
      holding = await manager.coins(owner, 'CUSD')
      samples.push(performance.now() - started)
      pages.push(((await server.callCounts()).ListOwnedObjects ?? 0) - calls)
    }
  } finally {
    chain.close()
  }
  if (!holding) throw new Error('no read made')
  return {samples, pages, holding}
}

async function main(): Promise<void> {
  // The load says how far the figures are from an idle machine's.
  const load = loadavg().map((l) => l.toFixed(1)).join(', ')
  console.log(`bench:coins — an address holding ${fmt(COINS)} cUSD coins; ${READS} paged reads, ${CLI_RUNS} coins inspect runs, ${fmt(ITERATIONS)} selections per kind (node ${process.version}, ${cpus().length} CPUs, load ${load})`)
  const server = await spawnSuiServer()
  try {
    const t = performance.now()
    const owner = await fund(server)
    console.log(`setup: ${fmt(COINS)} coins minted to ${owner} in ${((performance.now() - t) / 1000).toFixed(1)} s`)

    const read = await readAll(server, owner)
    const pagesExpected = Math.ceil(COINS / PAGE_SIZE)
    const env = {SUI_GRPC_URL: server.url, SUI_NETWORK: 'localnet', CUSD_ADDRESS: CUSD_PACKAGE, SUI_RPC_RPS: '100000', CONFIO_CONFIG: '', LOG_LEVEL: 'warn'}
    const cli: number[] = []
    let reported = 0
    for (let i = 0; i < CLI_RUNS; i++) {
      const run = await confio(['coins', 'inspect', '--address', owner, '--token', 'CUSD', '--json'], env)
      cli.push(run.ms)
      reported = (JSON.parse(run.stdout) as CoinInspection).tokens[0]?.coins ?? 0
    }

    const h = read.holding
    const capacity = paymentCapacity(CUSD, MAINNET_LIMITS)
    const largest = h.coins.at(-1)?.balance ?? 0n
    const kinds: [string, bigint][] = [
      ['one coin covers it', largest - 1n],
      ['300 coins, largest first', h.coins.slice(-300).reduce((s, c) => s + c.balance, 0n)],
      [`${fmt(capacity)} coins (one transaction's most)`, h.coins.slice(-capacity).reduce((s, c) => s + c.balance, 0n)],
      ['more than the coins hold (the error)', h.total + 1n],
    ]
    const selections = kinds.map(([name, amount]) => {
      const samples = time(() => {
        try {
          selectCoins(h, amount, capacity)
        } catch {
          // The insufficient case: building the error is part of what is timed.
        }
      }, ITERATIONS)
      return {name, f: figures(samples)}
    })
    const sorting = figures(time(() => holdingOf(owner, CUSD, h.coins, h.addressBalance), Math.max(10, Math.floor(ITERATIONS / 20))))
    const planning = figures(time(() => planConsolidation(h, MAINNET_LIMITS), Math.max(10, Math.floor(ITERATIONS / 20))))
    const plan = planConsolidation(h, MAINNET_LIMITS)

    console.log(`\n  ${'what'.padEnd(50)} ${'runs'.padStart(6)}  ${'p50'.padStart(10)}  ${'p99'.padStart(10)}  ${'max'.padStart(10)}`)
    console.log(row(`CoinManager.coins (${fmt(COINS)} coins, paged)`, figures(read.samples), `${read.pages.join(', ')} pages`))
    console.log(row('confio coins inspect --json (process incl.)', figures(cli), `${fmt(reported)} coins reported`))
    for (const s of selections) console.log(row(`select: ${s.name}`, s.f))
    console.log(row(`holdingOf: sort ${fmt(COINS)} coins`, sorting))
    console.log(row('planConsolidation (address balance)', planning, `${plan.transactions.length} transactions`))

    console.log('\ngoals:')
    console.log(goal(`every coin read, in ${pagesExpected} pages of ${fmt(PAGE_SIZE)}`, `${fmt(h.coins.length)} coins, ${read.pages.join('/')} pages`, h.coins.length === COINS && read.pages.every((p) => p === pagesExpected)))
    console.log(goal(`coins inspect reports all ${fmt(COINS)} coins`, `${fmt(reported)}`, reported === COINS))
    for (const s of selections) console.log(goal(`select p99 < ${GOAL_SELECT_P99_MS} ms: ${s.name}`, formatLatency(s.f.p99), s.f.p99 < GOAL_SELECT_P99_MS))
    // Correctness: a read that missed coins makes every figure after it worthless.
    if (h.coins.length !== COINS || reported !== COINS) throw new Error(`read ${h.coins.length} coins and inspect reported ${reported}, the server holds ${COINS}`)
    reportFigures('coins', [
      {name: `CoinManager.coins, ${COINS} coins paged, p50`, unit: 'ms', measured: figures(read.samples).p50, higher: false},
      ...selections.map((sel) => ({name: `select p99: ${sel.name}`, unit: 'ms', measured: sel.f.p99, higher: false, goal: {on: 'measured' as const, value: GOAL_SELECT_P99_MS}})),
    ])
  } finally {
    await server.close().catch(() => undefined)
  }
}

await main()
