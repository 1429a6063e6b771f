// confio imported by another Node service: the package's `exports` point at JavaScript that `npm
// run build` emits (Node does not strip types under node_modules), with type declarations.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {ROOT} from './support/cli.ts'

describe('confio as a library', function () {
  this.timeout(120_000)
  const out = join(ROOT, `.build-test-${process.pid}`)
  after(() => rmSync(out, {recursive: true, force: true}))

  it('builds to JavaScript that plain Node imports, with the BalanceService and its types', () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], {cwd: ROOT, stdio: 'pipe'})
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {exports: {'.': {types: string; default: string}}}
    // The exports name dist/; the same files exist in this build's folder.
    for (const file of Object.values(pkg.exports['.'])) assert.ok(existsSync(join(out, file.replace('./dist/', ''))), `${file} is built`)
    const script = `import('${join(out, 'index.js')}').then((m) => console.log(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v])))))`
    const exported = JSON.parse(execFileSync(process.execPath, ['--no-experimental-strip-types', '-e', script], {cwd: ROOT}).toString()) as Record<string, string>
    for (const name of ['BalanceService', 'openBalanceService', 'openConfiguredBalanceService', 'InvalidationListener', 'loadConfig', 'openChainReader', 'TokenRegistry']) {
      assert.equal(exported[name], 'function', name)
    }
    assert.match(readFileSync(join(out, 'balances', 'balance-service.d.ts'), 'utf8'), /getBalance\(accountRef: string, symbol: string, options\?: GetBalanceOptions\): Promise<Balance>/)
  })
})
