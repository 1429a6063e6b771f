// confio started by a Node older than 22.18, as a user on a machine that ships Node 20 does:
// directly, through `npm link`, and from a systemd unit (SIGTERM). bin/run.js must hand over to the
// Node that `npm ci` put in .tools/, or say in one line what to do: never a stack trace.
import assert from 'node:assert/strict'
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {closeWorld, pollWorld} from '../ingest/poll-support.ts'
import {ROOT, emptyDir, jsonOf, runCli} from '../support/cli.ts'

const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin'
const STACK_LINE = /^\s+at .+:\d+|TypeError|ERR_[A-Z_]+/m

/** A Node on this machine older than 22.18 (the machine's own), if there is one. */
function findOldNode(): string | undefined {
  for (const dir of SYSTEM_PATH.split(':')) {
    const node = join(dir, 'node')
    if (!existsSync(node)) continue
    const [major = 0, minor = 0] = execFileSync(node, ['-p', 'process.versions.node']).toString().trim().split('.').map(Number)
    if (major < 22 || (major === 22 && minor < 18)) return node
  }
  return undefined
}

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function start(node: string, args: string[], env: Record<string, string> = {}): {child: ChildProcess; done: Promise<Run>} {
  const child = spawn(node, args, {cwd: emptyDir(), env: {...process.env, PATH: SYSTEM_PATH, ...env}})
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({code, signal, stdout, stderr})))
  return {child, done}
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('confio under an older Node', function () {
  this.timeout(60_000)
  const oldNode = findOldNode()
  const bundled = join(ROOT, '.tools', 'node', 'bin', 'node')

  before(function () {
    // On a machine whose own Node is 22.18+, npm ci installs nothing and there is no old Node to
    // start confio with: the situation these tests are about does not arise.
    if (!oldNode) this.skip()
    assert.ok(existsSync(bundled), `npm ci on ${oldNode} should have installed ${bundled}`)
  })

  it('runs confio on the Node in .tools/', async () => {
    const {done} = start(oldNode as string, [join(ROOT, 'bin', 'run.js'), '--version'])
    const run = await done
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^confio\/\d+\.\d+\.\d+ .* node-v(2[2-9]|[3-9]\d)\./)
  })

  it('a usage error is one line and exit 2, as on a new Node', async () => {
    const {done} = start(oldNode as string, [join(ROOT, 'bin', 'run.js'), 'accounts', 'list', '--no-such-flag'])
    const run = await done
    assert.equal(run.code, 2)
    assert.match(run.stderr, /^Error: Nonexistent flag: --no-such-flag\n/)
    assert.doesNotMatch(run.stderr, STACK_LINE)
  })

  it('without .tools/, says in one line what to do and exits 2', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'confio-bin-'))
    mkdirSync(join(copy, 'bin'))
    for (const file of readdirSync(join(ROOT, 'bin'))) copyFileSync(join(ROOT, 'bin', file), join(copy, 'bin', file))
    const {done} = start(oldNode as string, [join(copy, 'bin', 'run.js'), 'accounts', 'list'])
    const run = await done
    assert.equal(run.code, 2)
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr)
    assert.match(run.stderr, /^confio needs Node\.js 22\.18 or newer, and this is v\d+\.\d+\.\d+ .*: run `npm ci` in .* or put Node 22\.18\+ first on PATH\n$/)
    assert.doesNotMatch(run.stderr, STACK_LINE)
  })

  it('a linked confio works from a new shell whose PATH has only the old Node', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'confio-link-'))
    execFileSync('npm', ['link', '--no-audit', '--no-fund', '--ignore-scripts'], {cwd: ROOT, env: {...process.env, PATH: SYSTEM_PATH, npm_config_prefix: prefix}, stdio: 'ignore'})
    const linked = join(prefix, 'bin', 'confio')
    assert.ok(existsSync(linked), `npm link should have made ${linked}`)
    const {done} = start(linked, ['--version'], {PATH: `${join(prefix, 'bin')}:${SYSTEM_PATH}`})
    const run = await done
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^confio\//)
  })

  it('passes SIGTERM on (systemd stops it gracefully) and exits with its code', async () => {
    const {child, done} = start(oldNode as string, [join(ROOT, 'bin', 'run.js'), 'worker', '--log-level', 'info'])
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    await waitFor(() => stderr.includes('worker started'), 'worker started')
    child.kill('SIGTERM')
    const run = await done
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /worker stopped/)
  })

  it('a poller started through the hand-over: status names its own pid and the wrapper’s (the one systemd knows); SIGTERM to the wrapper stops it', async () => {
    const world = await pollWorld()
    try {
      await world.db('leases').delete()
      const {child, done} = start(oldNode as string, [join(ROOT, 'bin', 'run.js'), 'poll', '--mode', 'poll', '--interval', '200ms'], {...world.env})
      let stderr = ''
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      await waitFor(() => stderr.includes('holding the poller lease'), 'holding the poller lease')
      const result = await runCli(['status', '--json'], {env: world.env})
      const holder = jsonOf<{poller: {lease: {holder: {pid: number; host: string; wrapperPid: number | null}}}}>(result).poller.lease.holder
      assert.equal(holder.wrapperPid, child.pid)
      assert.equal(parentOf(holder.pid), child.pid, `pid ${holder.pid} is the wrapper's child`)
      assert.equal(holder.host, hostname())
      const screen = await runCli(['status'], {env: world.env})
      assert.match(screen.stdout, new RegExp(`^ {2}lease +held by pid ${holder.pid} on ${hostname()} \\(started through the hand-over wrapper, pid ${child.pid}: the pid systemd knows\\), token \\d+$`, 'm'))
      child.kill('SIGTERM')
      const run = await done
      assert.equal(run.code, 0, run.stderr)
      assert.equal(parentOf(holder.pid), undefined, 'the poller is gone too')
    } finally {
      await closeWorld(world)
    }
  })
})

/** The parent pid of `pid` (Linux: /proc), or undefined when there is no such process. */
function parentOf(pid: number): number | undefined {
  const status = existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, 'utf8') : ''
  const ppid = /^PPid:\s+(\d+)$/m.exec(status)?.[1]
  return ppid === undefined ? undefined : Number(ppid)
}
