// `confio test-balance --benchmark`'s progress on stderr. Live: a step per stage (the priming
// reads, each level, the bare Redis GET beneath Redis), the one in hand with its reads so far, their
// rate and the time left, each one done with its p50 and p99. Plain: a line as each stage is done.
import type {BenchmarkProgress, BenchmarkStage} from '../../src/balances/balance-benchmark.ts'
import type {ProgressMode} from '../progress-mode.ts'
import type {StepList} from '../step-list.ts'
import {formatLatency as ms} from './latency.ts'
import {workRate} from './work-rate.ts'

/** In the order the benchmark runs them (src/balances/balance-benchmark.ts). */
const STAGES: readonly {stage: BenchmarkStage; title: string}[] = [
  {stage: 'priming', title: 'Prime every balance (a trusted row for each)'},
  {stage: 'memory', title: 'Reads served from memory'},
  {stage: 'redis', title: 'Reads served from Redis'},
  {stage: 'redis GET', title: 'Bare Redis GETs (the floor)'},
  {stage: 'postgres', title: 'Reads served from PostgreSQL'},
  {stage: 'chain', title: 'Reads served from the chain'},
]

export const BENCHMARK_STEPS = STAGES.map((s) => s.title)

export function benchmarkProgress(mode: ProgressMode, steps: StepList, writeLine: (line: string) => void = (line) => process.stderr.write(`${line}\n`), now: () => number = () => performance.now()): (p: BenchmarkProgress) => void {
  let stageStarted = now()
  let stage: BenchmarkStage | undefined
  return (p) => {
    if (p.stage !== stage) {
      stage = p.stage
      stageStarted = now()
    }
    const done = doneLine(p)
    if (mode === 'plain') {
      if (done !== undefined) writeLine(done)
    } else if (done === undefined) {
      steps.update(workRate(p.done, p.total, now() - stageStarted, 'reads'))
    } else {
      steps.next(done)
    }
  }
}

/** The line of a stage once it is over; undefined while it runs. */
function doneLine(p: BenchmarkProgress): string | undefined {
  if (p.stage === 'priming') return p.done === p.total ? `priming: ${p.total} reads done` : undefined
  return p.figures ? `${p.stage}: ${p.figures.reads} reads, p50 ${ms(p.figures.p50Ms)}, p99 ${ms(p.figures.p99Ms)}` : undefined
}
