// Benchmarks do not rot: each one in bench/bench-plan.ts runs at its smallest size (`smoke`), in a
// child process as `npm run bench` runs it, and must pass its own correctness checks (a benchmark
// throws, and exits non-zero, when a run is broken: rows missing or not identical, balances not
// equal to the chain or to base + changes, a read that saw fewer transactions, more than N + 1
// requests in a second) and report every figure it has, with floors and ratios computed. Speed goals
// are not asserted: at these sizes, on a shared machine, they mean nothing.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BENCHES} from '../../bench/bench-plan.ts'
import type {Figure} from '../../bench/bench-support.ts'
import {ROOT} from '../support/cli.ts'

/** Runs one benchmark at its smoke size; its exit code, the end of its output, and its figures. */
function runBench(file: string, sizes: Readonly<Record<string, string>>, timeoutMs: number): Promise<{code: number | null; tail: string; figures: Figure[]}> {
  const dir = mkdtempSync(join(tmpdir(), 'confio-bench-test-'))
  const results = join(dir, 'figures.jsonl')
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', file)], {cwd: ROOT, env: {...process.env, ...sizes, BENCH_RESULTS: results}, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-6_000))
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    // Its own deadline, under mocha's: a benchmark that hangs is killed, and says where it was.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      let figures: Figure[] = []
      try {
        figures = readFileSync(results, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Figure)
      } catch {
        // no figures written: the assertions below say so
      }
      rmSync(dir, {recursive: true, force: true})
      resolve({code, tail: output, figures})
    })
  })
}

describe('benchmarks at their smallest size', function () {
  const DEADLINE_MS = 90_000
  this.timeout(DEADLINE_MS + 10_000)

  for (const bench of BENCHES) {
    it(`bench:${bench.name} passes its correctness checks and reports its figures`, async () => {
      const {code, tail, figures} = await runBench(bench.file, bench.smoke, DEADLINE_MS)
      assert.equal(code, 0, tail)
      assert.ok(figures.length > 0, `no figures reported:\n${tail}`)
      for (const f of figures) {
        assert.equal(f.bench, bench.name)
        assert.ok(Number.isFinite(f.measured), `${f.name}: measured ${f.measured}`)
        if (f.floor !== null) assert.ok(f.ratio !== null && Number.isFinite(f.ratio), `${f.name}: floor ${f.floor}, ratio ${f.ratio}`)
        if (f.goal !== null) assert.equal(typeof f.met, 'boolean', `${f.name}: a goal without a verdict`)
      }
    })
  }
})
