// `npm run bench -- [--quick] [--only poll,worker,...]`: runs the benchmarks (bench/bench-plan.ts)
// one after the other, each in its own process, and writes bench/results/latest.json: every figure
// each reported ({bench, name, unit, measured, floor, ratio, goal, met, command}), and the machine
// it ran on (CPUs, load before and after). `--quick` runs them at small sizes that still compute
// every ratio and goal. docs/benchmarks.md's table is generated from that file
// (`npm run bench:docs`). A benchmark that fails is named in the file and makes this exit 1;
// the others still run.
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {BENCHES, type BenchResults, LATEST, envWords} from '../bench/bench-plan.ts'
import type {Figure} from '../bench/bench-support.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

const {values} = parseArgs({options: {quick: {type: 'boolean', default: false}, only: {type: 'string'}}})
const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean)
const unknown = only?.filter((name) => !BENCHES.some((b) => b.name === name)) ?? []
if (unknown.length > 0) {
  console.error(`bench: no benchmark named ${unknown.join(', ')} (there are ${BENCHES.map((b) => b.name).join(', ')})`)
  process.exit(2)
}
const chosen = BENCHES.filter((b) => !only || only.includes(b.name))

const round2 = (n: number) => Math.round(n * 100) / 100
const work = mkdtempSync(join(tmpdir(), 'confio-bench-'))
const startedAt = new Date().toISOString()
const loadBefore = loadavg().map(round2)
const figures: Figure[] = []
const failed: BenchResults['failed'] = []
const took: Record<string, number> = {}
try {
  for (const bench of chosen) {
    const sizes = values.quick ? bench.quick : {}
    const file = join(work, `${bench.name}.jsonl`)
    writeFileSync(file, '')
    const command = `${envWords(sizes)} npm run bench:${bench.name}`.trim()
    console.log(`\n==== ${command}`)
    const started = performance.now()
    const exitCode = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'bench', bench.file)], {
        cwd: ROOT,
        env: {...process.env, ...sizes, BENCH_RESULTS: file, BENCH_COMMAND: command},
        stdio: 'inherit',
      })
      child.on('close', resolve)
    })
    const seconds = round2((performance.now() - started) / 1000)
    took[bench.name] = seconds
    if (exitCode !== 0) failed.push({bench: bench.name, exitCode, seconds})
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
    figures.push(...lines.map((line) => JSON.parse(line) as Figure))
  }
} finally {
  rmSync(work, {recursive: true, force: true})
}

const results: BenchResults = {
  startedAt,
  finishedAt: new Date().toISOString(),
  quick: values.quick,
  machine: {cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadBefore, loadAfter: loadavg().map(round2)},
  figures,
  failed,
  seconds: took,
}
mkdirSync(join(ROOT, 'bench/results'), {recursive: true})
writeFileSync(LATEST, `${JSON.stringify(results, null, 2)}\n`)
const met = figures.filter((f) => f.met === true).length
const judged = figures.filter((f) => f.met !== null).length
console.log(`\nbench: ${figures.length} figures from ${chosen.length - failed.length} of ${chosen.length} benchmarks, ${met} of ${judged} goals met, in ${Object.values(took).reduce((a, b) => a + b, 0).toFixed(0)} s; written to bench/results/latest.json`)
for (const f of failed) console.log(`bench: ${f.bench} failed (exit ${f.exitCode})`)
process.exitCode = failed.length > 0 ? 1 : 0
