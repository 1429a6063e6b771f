// poll and run re-execute themselves with a capped heap (bin/heap-limit.js); other commands do not.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {emptyDir, runCli} from '../support/cli.ts'

/** Each process confio runs as prints its pid and heap limit (MB) before anything else. */
function reporter(): string {
  const file = join(emptyDir(), 'heap-report.cjs')
  writeFileSync(file, "process.stderr.write(`heap ${process.pid} ${Math.round(require('node:v8').getHeapStatistics().heap_size_limit / 1048576)}\\n`)\n")
  return file
}

function heaps(stderr: string): Array<{pid: number; mb: number}> {
  return [...stderr.matchAll(/^heap (\d+) (\d+)$/gm)].map((m) => ({pid: Number(m[1]), mb: Number(m[2])}))
}

describe('heap limit of the pipeline commands', function () {
  this.timeout(30_000)

  it('poll runs with the old generation capped at 192 MB, in the same process', async () => {
    const result = await runCli(['poll', '--help'], {env: {NODE_OPTIONS: `--require ${reporter()}`}})
    assert.equal(result.code, 0, result.stderr)
    const seen = heaps(result.stderr)
    assert.equal(seen.length, 2, result.stderr)
    assert.equal(seen[0]?.pid, seen[1]?.pid, 're-executed in place: systemd sees one process')
    assert.ok((seen[0]?.mb ?? 0) > 1_000, `V8's own default first (${seen[0]?.mb} MB)`)
    // 192 MB of old generation and 3 × 8 MB of young: V8 reports about 220.
    assert.ok((seen[1]?.mb ?? Infinity) < 260, `then the cap (${seen[1]?.mb} MB)`)
  })

  it('CONFIO_HEAP_MB=0 turns it off, and other commands never have it', async () => {
    for (const [args, env] of [[['poll', '--help'], {CONFIO_HEAP_MB: '0'}], [['accounts', 'list', '--help'], {}]] as const) {
      const result = await runCli([...args], {env: {...env, NODE_OPTIONS: `--require ${reporter()}`}})
      assert.equal(result.code, 0, result.stderr)
      assert.equal(heaps(result.stderr).length, 1, `${args.join(' ')}: ${result.stderr}`)
    }
  })

  it('refuses a CONFIO_HEAP_MB that is not a number, in one line, exit 2', async () => {
    const result = await runCli(['poll', '--once'], {env: {CONFIO_HEAP_MB: 'lots'}})
    assert.equal(result.code, 2)
    assert.equal(result.stderr.trim(), 'CONFIO_HEAP_MB=lots is not a whole number of megabytes: set it to e.g. 192, or 0 for no cap')
  })
})
