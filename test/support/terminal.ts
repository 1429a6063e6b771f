// Runs confio on a pseudo-terminal, as an operator's shell does: script(1) from util-linux gives
// the command a terminal of 120 columns (a terminal with no size would wrap every character), and
// the CI variables are removed so the live mode's rule (cli/progress-mode.ts) sees a person.
import {spawn, spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {stripVTControlCharacters} from 'node:util'
import {CI_VARIABLES} from '../../cli/progress-mode.ts'
import {emptyDir, ROOT} from './cli.ts'

export interface TerminalResult {
  readonly code: number | null
  /** stdout and stderr as the terminal got them (one stream), escapes and carriage returns removed. */
  readonly screen: string
  /** The same, as written: escapes and all. */
  readonly raw: string
}

export const HAVE_SCRIPT = spawnSync('script', ['--version'], {encoding: 'utf8'}).status === 0

const quoted = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`

export function runOnTerminal(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<TerminalResult> {
  return startOnTerminal(args, env, timeoutMs).done
}

export interface TerminalRun {
  /** What the terminal got so far, as `screen`. */
  screen(): string
  /** Sends a signal to confio itself (script(1)'s child), as Ctrl-C at the terminal would. */
  signal(name: NodeJS.Signals): void
  readonly done: Promise<TerminalResult>
}

export function startOnTerminal(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): TerminalRun {
  const base: Record<string, string | undefined> = {...process.env, TERM: 'xterm-256color', ...env}
  for (const name of CI_VARIABLES) if (!(name in env)) delete base[name]
  const command = `stty cols 120 rows 40; exec ${quoted(process.execPath)} ${quoted(join(ROOT, 'bin', 'run.js'))} ${args.map(quoted).join(' ')}`
  // -e: script's exit code is the command's; stdin from /dev/null: nothing is typed.
  const child = spawn('script', ['-qefc', command, '/dev/null'], {cwd: emptyDir(), env: base as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe']})
  let raw = ''
  child.stdout.on('data', (chunk: Buffer) => (raw += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (raw += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const done = new Promise<TerminalResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, raw, screen: screenOf(raw)})
    })
  })
  return {
    screen: () => screenOf(raw),
    signal: (name) => {
      // The shell exec'd node, so script's only child is confio.
      const found = spawnSync('pgrep', ['-P', String(child.pid)], {encoding: 'utf8'}).stdout.trim().split('\n')[0]
      if (!found) throw new Error('confio is not running under script(1)')
      process.kill(Number(found), name)
    },
    done,
  }
}

function screenOf(raw: string): string {
  return stripVTControlCharacters(raw).replaceAll('\r', '')
}
