// Written for any Node from 18 on (plain JavaScript, no imports that older Nodes lack), because it
// runs before confio knows which Node it was started with: directly, through `npm link`, or from a
// systemd unit whose ExecStart names /usr/bin/node. confio's TypeScript needs Node >= 22.18 (type
// stripping); where an older Node starts it, this re-runs the same command on the Node that
// `npm ci` put in .tools/, or says in one line what to do. It never lets a stack trace through.
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const MINIMUM = [22, 18]
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const BUNDLED = join(ROOT, '.tools', 'node', 'bin', 'node')
const EXIT_CONFIG = 2

export function isSupported(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number)
  return major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1])
}

/**
 * Resolves when this Node can run confio; otherwise runs `script` on the bundled Node and exits
 * with its status (or prints the one line and exits 2). The child gets every signal the parent
 * gets, so systemd's SIGTERM still means a graceful stop.
 */
export async function ensureRuntime(script) {
  if (isSupported()) return
  if (!existsSync(BUNDLED)) {
    process.stderr.write(
      `confio needs Node.js ${MINIMUM.join('.')} or newer, and this is ${process.version} (${process.execPath}): run \`npm ci\` in ${ROOT} (it installs Node 24 into .tools/), or put Node 22.18+ first on PATH\n`,
    )
    process.exit(EXIT_CONFIG)
  }
  // The child records this pid beside its own (a poller's lease, for `confio status`): it is the
  // one systemd knows, and CONFIO_WRAPPER_PID is read only by the process whose parent it names.
  const env = {...process.env, CONFIO_WRAPPER_PID: String(process.pid)}
  const child = spawn(BUNDLED, [script, ...process.argv.slice(2)], {stdio: 'inherit', env})
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']) process.on(signal, () => child.kill(signal))
  child.on('error', (error) => {
    process.stderr.write(`confio: cannot start ${BUNDLED} (${error.message}): run \`npm ci\` in ${ROOT} to install it again\n`)
    process.exit(EXIT_CONFIG)
  })
  const [code, signal] = await new Promise((resolve) => child.on('exit', (...status) => resolve(status)))
  if (signal) {
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
  }
  process.exit(code ?? 1)
}
