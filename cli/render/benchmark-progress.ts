// `confio test-balance --benchmark`'s progress on stderr: the priming reads, then each level's
// reads as they go and its p50 and p99 once it is done.
import type {BenchmarkProgress} from '../../src/balances/balance-benchmark.ts'
import type {ProgressLine} from '../progress-line.ts'
import {formatLatency as ms} from './latency.ts'

export function showBenchmarkProgress(line: ProgressLine, p: BenchmarkProgress): void {
  if (p.stage === 'priming') {
    if (p.done === p.total) line.done(`priming: ${p.total} reads done`)
    else line.update(`priming: ${p.done}/${p.total}`)
  } else if (p.figures) {
    line.done(`${p.stage}: ${p.figures.reads} reads, p50 ${ms(p.figures.p50Ms)}, p99 ${ms(p.figures.p99Ms)}`)
  } else {
    line.update(`${p.stage}: ${p.done}/${p.total} reads`)
  }
}
