// Every command is a fresh process: bin/run.js turns on Node's on-disk compile cache.
import assert from 'node:assert/strict'
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {emptyDir, runCli} from '../support/cli.ts'

function filesUnder(dir: string): number {
  return readdirSync(dir, {recursive: true}).filter((entry) => statSync(join(dir, String(entry))).isFile()).length
}

describe('compile cache', function () {
  this.timeout(30_000)

  it('keeps compiled code in the temporary directory, and a second start reads it', async () => {
    // Node's default folder for it is <tmpdir>/node-compile-cache; NODE_COMPILE_CACHE alone would turn it on without confio's help.
    const tmp = emptyDir()
    const env = {TMPDIR: tmp, NODE_COMPILE_CACHE: undefined}
    const first = await runCli(['poll', '--help'], {env})
    assert.equal(first.code, 0, first.stderr)
    assert.ok(filesUnder(join(tmp, 'node-compile-cache')) > 0, 'the first start wrote compiled code')
    const second = await runCli(['poll', '--help'], {env})
    assert.equal(second.code, 0, second.stderr)
    assert.equal(second.stdout, first.stdout)
  })
})
