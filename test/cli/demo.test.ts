// `npm run demo -- --seconds N`: the whole pipeline on the local Sui server, unattended.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {join} from 'node:path'
import {ROOT, emptyDir} from '../support/cli.ts'
import {createScratchDatabase, dropDatabase, TEST_DATABASE} from '../support/global-setup.ts'

describe('npm run demo', function () {
  this.timeout(90_000)
  after(() => dropDatabase(`${TEST_DATABASE}_demo`))

  it('with --seconds: stores, processes and shows transactions, keeps every balance equal to the chain, and exits 0', async () => {
    const databaseUrl = await createScratchDatabase('demo')
    const env = {...process.env, DATABASE_URL: databaseUrl, REDIS_PREFIX: `${process.env.REDIS_PREFIX}demo:`}
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.ts'), '--seconds', '6'], {cwd: emptyDir(), env})
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const code = await new Promise((resolve) => child.on('close', resolve))
    assert.equal(code, 0, output)
    assert.match(output, /^checkpoints followed +\d+ of \d+ \(lag \d+\)$/m)
    assert.match(output, /^Ana \(demo\) +ana@example\.com +[\d.]+ SUI \((memory|redis|postgres|chain)\) +[\d.]+ CUSD/m)
    const stopped = /^Stopped\. (\d+) transactions stored, (\d+) processed/m.exec(output)
    assert.ok(stopped && Number(stopped[1]) > 0 && stopped[1] === stopped[2], output)
    assert.match(output, /^Balances: 6 of 6 equal the chain's/m)
    assert.match(output, /export DATABASE_URL=/)
  })
})
