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
  const base: Record<string, string | undefined> = {...process.env, TERM: 'xterm-256color', ...env}
  for (const name of CI_VARIABLES) if (!(name in env)) delete base[name]
  const command = `stty cols 120 rows 40; exec ${quoted(process.execPath)} ${quoted(join(ROOT, 'bin', 'run.js'))} ${args.map(quoted).join(' ')}`
  return new Promise((resolve, reject) => {
    // -e: script's exit code is the command's; stdin from /dev/null: nothing is typed.
    const child = spawn('script', ['-qefc', command, '/dev/null'], {cwd: emptyDir(), env: base as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe']})
    let raw = ''
    child.stdout.on('data', (chunk: Buffer) => (raw += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (raw += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, raw, screen: stripVTControlCharacters(raw).replaceAll('\r', '')})
    })
  })
}
