// A long-running confio command (poll, worker) in a child process, for tests that watch it,
// signal it or kill it with SIGKILL.
import {type ChildProcess, spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {emptyDir} from './cli.ts'
import {sleep} from '../../src/support/sleep.ts'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export class ConfioProcess {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<number | null>

  constructor(args: string[], env: Record<string, string | undefined> = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], {cwd: emptyDir(), env: {...process.env, ...env} as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe']})
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()))
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)))
  }

  get pid(): number {
    return this.child.pid as number
  }

  /** Waits until stderr (the logs) matches, or fails with what was printed. */
  async waitForLog(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const started = Date.now()
    while (!pattern.test(this.stderr)) {
      if (this.child.exitCode !== null) throw new Error(`exited (${this.child.exitCode}) before ${pattern}:\n${this.stderr}`)
      if (Date.now() - started > timeoutMs) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.stderr}`)
      await sleep(50)
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal)
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Its exit code, once it has exited; fails, with what it logged, when it still runs after `timeoutMs`. */
  async exitWithin(timeoutMs: number, what: string): Promise<number | null> {
    await eventually(async () => !this.running, timeoutMs, what).catch((error: Error) => {
      throw new Error(`${error.message}:\n${this.stderr}`)
    })
    return this.exited
  }
}

/** Kills (SIGKILL, after SIGCONT for a stopped one) every process of `children` still running, and empties it. */
export async function killAll(children: ConfioProcess[]): Promise<void> {
  for (const child of children.splice(0)) {
    if (!child.running) continue
    child.kill('SIGCONT')
    child.kill('SIGKILL')
    await child.exited
  }
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await sleep(100)
  }
}
