// The pipeline's long-running commands (poll, run) run with a bounded JavaScript heap. A catch-up
// decodes thousands of checkpoints a second, almost all of it garbage at once, and V8 left to
// itself lets that garbage grow to hundreds of megabytes before collecting it (its default limit
// is a share of the machine's memory): bench:poll measured a peak RSS of ~440 MB for a poller
// whose live data is a few tens. With the old generation capped, V8 collects sooner, at no
// measured cost in rate.
//
// The process re-executes itself in place (process.execve: same PID, so systemd, signals and
// pidfiles are unaffected) with --max-old-space-size. CONFIO_HEAP_MB sets the cap (0: none); a
// --max-old-space-size given in NODE_OPTIONS or on the command line wins. Plain JavaScript, like
// node-runtime.js, because it runs before confio's code is loaded.
import {getHeapStatistics} from 'node:v8'

const COMMANDS = new Set(['poll', 'run'])
const DEFAULT_MB = 192
const FLAG = '--max-old-space-size'

/** Re-executes this process with the heap cap when `command` is one that needs it; otherwise returns. */
export function applyHeapLimit(script) {
  if (!COMMANDS.has(process.argv[2] ?? '')) return
  const raw = process.env.CONFIO_HEAP_MB
  const mb = raw === undefined || raw === '' ? DEFAULT_MB : Number(raw)
  if (!Number.isInteger(mb) || mb < 0) {
    process.stderr.write(`CONFIO_HEAP_MB=${raw} is not a whole number of megabytes: set it to e.g. ${DEFAULT_MB}, or 0 for no cap\n`)
    process.exit(2)
  }
  if (mb === 0 || typeof process.execve !== 'function') return
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) => arg.startsWith(FLAG))
  // Already capped at or below the limit (this is the re-executed process, or the user's own cap).
  if (given || getHeapStatistics().heap_size_limit <= (mb + 256) * 1024 * 1024) return
  process.execve(process.execPath, [process.execPath, ...process.execArgv, `${FLAG}=${mb}`, script, ...process.argv.slice(2)], process.env)
}
