// What `confio test-balance --benchmark` prints: what was read, then a row per cache level (min,
// p50, p95, p99, reads per second, the speedup over the chain, the reads another level served) and
// the bare Redis GET beneath them, then which levels served reads they should not have.
import type {BalanceBenchmarkResult, LatencyFigures} from '../../src/balances/balance-benchmark.ts'
import {formatTable} from '../table.ts'
import {formatLatency as ms} from './latency.ts'

export function renderBalanceBenchmark(r: BalanceBenchmarkResult): string {
  const lines = [
    `${r.accounts} accounts x ${r.tokens.length} tokens (${r.tokens.join(', ')}) = ${r.balances} balances; ${r.iterations} reads per level, one at a time ` +
      `(chain: ${r.chainIterations}, each after a markStale); ${r.primingChainReads} chain reads to prime, ${r.chainReads} in all.`,
  ]
  const row = (name: string, f: LatencyFigures, speedup: string, mismatches: string) => [name, String(f.reads), ms(f.minMs), ms(f.p50Ms), ms(f.p95Ms), ms(f.p99Ms), Math.round(f.perSecond).toLocaleString('en-US'), speedup, mismatches]
  const x = (n: number) => `${n >= 10 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)}x`
  lines.push(
    formatTable(
      ['LEVEL', 'READS', 'MIN', 'P50', 'P95', 'P99', 'READS/S', 'VS CHAIN', 'MISMATCHES'],
      [
        row('memory', r.levels.memory, x(r.speedups.memory), String(r.levels.memory.mismatches)),
        row('redis', r.levels.redis, x(r.speedups.redis), String(r.levels.redis.mismatches)),
        row('postgres', r.levels.postgres, x(r.speedups.postgres), String(r.levels.postgres.mismatches)),
        row('chain', r.levels.chain, '1x', String(r.levels.chain.mismatches)),
        row('redis GET (floor)', r.floor.redisGet, '', ''),
      ],
    ),
  )
  if (r.mismatches > 0) {
    const by = Object.entries(r.levels)
      .filter(([, f]) => f.mismatches > 0)
      .map(([level, f]) => `${level} (${Object.entries(f.sources).map(([source, n]) => `${n} from ${source}`).join(', ')})`)
    lines.push(`${r.mismatches} timed reads were not served by the level measured: ${by.join('; ')}.`)
  }
  return lines.join('\n')
}
