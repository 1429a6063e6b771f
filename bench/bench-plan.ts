// The benchmarks `npm run bench` runs, in this order, and the sizes each runs at: its defaults
// (the figures of record), `quick` (every figure, ratio and goal still computed, all of them
// together in under 5 minutes on 2 CPUs), and `smoke` (the smallest run that still goes through
// every phase and its correctness checks: the test that keeps benchmarks from rotting,
// test/bench/benchmarks.test.ts, runs each at this size). Sizes are the benchmarks' own
// environment variables, so a figure's command can be run alone.
import {fileURLToPath} from 'node:url'
import type {Figure} from './bench-support.ts'

/** What `npm run bench` writes, and docs/benchmarks.md's table is generated from. */
export const LATEST = fileURLToPath(new URL('./results/latest.json', import.meta.url))

export interface BenchResults {
  readonly startedAt: string
  readonly finishedAt: string
  readonly quick: boolean
  readonly machine: {readonly cpus: number; readonly cpuModel: string; readonly node: string; readonly loadBefore: number[]; readonly loadAfter: number[]}
  readonly figures: Figure[]
  /** Benchmarks that exited non-zero: their figures, if any, are worthless. */
  readonly failed: {readonly bench: string; readonly exitCode: number | null; readonly seconds: number}[]
  /** Wall time of each benchmark's process, process start and set-up included. */
  readonly seconds: Record<string, number>
}

export interface BenchPlan {
  /** The name in `--only` and in bench/results/latest.json. */
  readonly name: string
  /** Its file in bench/, and its `npm run bench:<name>` script. */
  readonly file: string
  readonly quick: Readonly<Record<string, string>>
  readonly smoke: Readonly<Record<string, string>>
}

export const BENCHES: readonly BenchPlan[] = [
  {
    name: 'poll',
    file: 'poll.ts',
    quick: {CHECKPOINTS: '500', ACCOUNTS: '20000', LIVE_SECONDS: '5', RSS_ACCOUNTS: '100000', RSS_SECONDS: '2', BARE_REPEATS: '1'},
    smoke: {CHECKPOINTS: '20', TX_PER_CHECKPOINT: '20', RELEVANT_SHARES: '0.1', ACCOUNTS: '300', RELEVANT_ADDRESSES: '30', LIVE_SECONDS: '1', RSS_ACCOUNTS: '600', RSS_SECONDS: '0.5', BARE_REPEATS: '1', CHUNK: '20'},
  },
  {
    name: 'worker',
    file: 'worker.ts',
    quick: {JOBS: '4000'},
    smoke: {JOBS: '200', ACCOUNTS: '50'},
  },
  {
    name: 'queue',
    file: 'queue.ts',
    quick: {JOBS: '4000', ROUNDS: '3'},
    smoke: {JOBS: '200', ROUNDS: '1'},
  },
  {
    name: 'reconcile',
    file: 'reconcile.ts',
    quick: {ACCOUNTS: '600', RPS_ACCOUNTS: '60'},
    smoke: {ACCOUNTS: '40', RPS_ACCOUNTS: '8'},
  },
  {
    name: 'balances',
    file: 'balances.ts',
    quick: {ACCOUNTS: '100', TRANSFERS: '2000', BENCH_ACCOUNTS: '50', ITERATIONS: '1000'},
    smoke: {ACCOUNTS: '20', TRANSFERS: '200', BENCH_ACCOUNTS: '10', ITERATIONS: '200'},
  },
  {
    name: 'decoder',
    file: 'checkpoint-decoder.ts',
    quick: {CHECKPOINTS: '100', ROUNDS: '3'},
    smoke: {CHECKPOINTS: '10', ROUNDS: '1', SHARES: '0.1'},
  },
  {
    name: 'chain',
    file: 'chain-read.ts',
    quick: {CHECKPOINTS: '200', ROUNDS: '2'},
    smoke: {CHECKPOINTS: '20', ROUNDS: '1'},
  },
  {
    name: 'backfill',
    file: 'backfill.ts',
    quick: {CHECKPOINTS: '800'},
    smoke: {CHECKPOINTS: '100', CHUNK: '100'},
  },
  {
    name: 'coins',
    file: 'coins.ts',
    quick: {COINS: '3000', READS: '2', CLI_RUNS: '1', ITERATIONS: '300'},
    smoke: {COINS: '2000', READS: '1', CLI_RUNS: '1', ITERATIONS: '20'},
  },
  {
    name: 'api',
    file: 'api.ts',
    quick: {ACCOUNTS: '50', ITERATIONS: '1000', SECONDS: '4'},
    smoke: {ACCOUNTS: '5', ITERATIONS: '40', SECONDS: '1', RATE: '100', CONNECTIONS: '4'},
  },
  {
    name: 'webhooks',
    file: 'webhooks.ts',
    quick: {EVENTS: '5000'},
    smoke: {EVENTS: '200'},
  },
  {
    name: 'accounts',
    file: 'accounts-import.ts',
    quick: {},
    smoke: {ROWS: '500'},
  },
]

/** `A=1 B=2` in a command line. */
export function envWords(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
}
