// poll and run re-execute themselves with a capped heap and external memory counted in V8's global
// limit (bin/heap-limit.js); other commands do not.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {externalMemoryFlags} from '../../bin/heap-limit.js'
import {emptyDir, runCli} from '../support/cli.ts'

const EXTERNAL = '--external-memory-accounted-in-global-limit'

/** Each process confio runs as prints its pid, heap limit (MB) and V8 flags before anything else. */
function reporter(): string {
  const file = join(emptyDir(), 'heap-report.cjs')
  writeFileSync(file, "process.stderr.write(`heap ${process.pid} ${Math.round(require('node:v8').getHeapStatistics().heap_size_limit / 1048576)} ${process.execArgv.join(' ')}\\n`)\n")
  return file
}

function heaps(stderr: string): Array<{pid: number; mb: number; flags: string[]}> {
  return [...stderr.matchAll(/^heap (\d+) (\d+) ?(.*)$/gm)].map((m) => ({pid: Number(m[1]), mb: Number(m[2]), flags: (m[3] ?? '').split(' ').filter(Boolean)}))
}

describe('heap settings of the pipeline commands', function () {
  this.timeout(30_000)

  it('poll runs with the old generation capped at 192 MB and starting at 64, external memory in the global limit, in the same process', async () => {
    const result = await runCli(['poll', '--help'], {env: {NODE_OPTIONS: `--require ${reporter()}`}})
    assert.equal(result.code, 0, result.stderr)
    const seen = heaps(result.stderr)
    assert.equal(seen.length, 2, result.stderr)
    assert.equal(seen[0]?.pid, seen[1]?.pid, 're-executed in place: systemd sees one process')
    assert.ok((seen[0]?.mb ?? 0) > 1_000, `V8's own default first (${seen[0]?.mb} MB)`)
    // 192 MB of old generation and 3 × 8 MB of young: V8 reports about 220.
    assert.ok((seen[1]?.mb ?? Infinity) < 260, `then the cap (${seen[1]?.mb} MB)`)
    // This Node is the one npm ci installs (Node 24 LTS, V8 13.6), where the flag exists and is off by default.
    assert.deepEqual(externalMemoryFlags(), [EXTERNAL], `this test's Node runs V8 ${process.versions.v8}`)
    assert.ok(!seen[0]?.flags.includes(EXTERNAL) && seen[1]?.flags.includes(EXTERNAL), `external memory in the global limit after the re-execution: ${result.stderr}`)
    assert.ok(seen[1]?.flags.includes('--initial-old-space-size=64'), `the old generation starts with room: ${result.stderr}`)
  })

  it('counts external memory in the global limit only where V8 has the flag off by default (13.6)', () => {
    assert.deepEqual(externalMemoryFlags('13.6.233.17-node.63'), [EXTERNAL])
    // Older V8s are not known to have it, newer ones made it the default and removed it: an unknown flag stops Node.
    for (const version of ['12.4.254.21-node.33', '13.0.245.25-node.9', '14.1.146.11-node.14']) assert.deepEqual(externalMemoryFlags(version), [], version)
  })

  it('leaves the flag out when the command line turns it off', async () => {
    const {stderr} = await runCli(['poll', '--help'], {nodeArgs: [`--no-${EXTERNAL.slice(2)}`, '--require', reporter()]})
    const seen = heaps(stderr)
    assert.equal(seen.length, 2, stderr)
    assert.ok(!seen[1]?.flags.includes(EXTERNAL), `not given after the user's --no-: ${stderr}`)
    assert.ok((seen[1]?.mb ?? Infinity) < 260, `the heap is still capped (${seen[1]?.mb} MB)`)
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
