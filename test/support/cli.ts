// Runs confio the way an operator does: bin/run.js in a child process, so exit codes, stdout and
// stderr are the real ones.
import {spawn} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  /** Added to (and overriding) the test run's environment; undefined removes a variable. */
  readonly env?: Record<string, string | undefined>
  /** Defaults to an empty folder, so no developer's .env or confio.config.json is read. */
  readonly cwd?: string
  readonly input?: string
  /** Node's own arguments, before bin/run.js (a V8 flag, a --require). */
  readonly nodeArgs?: readonly string[]
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = {...process.env, ...options.env}
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {cwd: options.cwd ?? emptyDir(), env: env as NodeJS.ProcessEnv})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
    child.stdin.end(options.input ?? '')
  })
}

/** Parses a --json run's stdout; fails the test with the output when it is not JSON. */
export function jsonOf<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  }
}

export function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'confio-test-'))
}
