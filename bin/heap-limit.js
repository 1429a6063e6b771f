// The pipeline's long-running commands (poll, run) run with a bounded JavaScript heap. A catch-up
// decodes thousands of checkpoints a second, almost all of it garbage at once, and V8 sizes its
// heap from the machine's memory: bench:poll measured a poller whose live data is ~60 MB at
// 300-440 MB of RSS, most of it an oversized young generation (heapTotal ~175 MB) and old garbage.
// With the young generation's semi-spaces at 8 MB and the old generation capped, the same
// catch-up peaked at ~210 MB at the same rate (4 MB cost ~10% of the rate; 128 MB of old
// generation alone barely moved RSS and cost a third of it).
//
// The process re-executes itself in place (process.execve: same PID, so systemd, signals and
// pidfiles are unaffected) with --max-old-space-size and --max-semi-space-size. CONFIO_HEAP_MB sets
// the old generation's cap (0: leave V8's defaults); a flag given in NODE_OPTIONS or on the
// command line wins. Plain JavaScript, like node-runtime.js, because it runs before confio's code
// is loaded.
import {getHeapStatistics} from 'node:v8'

const COMMANDS = new Set(['poll', 'run'])
const DEFAULT_MB = 192
const SEMI_SPACE_MB = 8
const OLD_SPACE = '--max-old-space-size'
const SEMI_SPACE = '--max-semi-space-size'

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
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  const has = (flag) => given.some((arg) => arg.startsWith(flag))
  // Already capped (this is the re-executed process, or the user's own cap).
  if (has(OLD_SPACE) || getHeapStatistics().heap_size_limit <= (mb + 256) * 1024 * 1024) return
  const flags = [`${OLD_SPACE}=${mb}`, ...(has(SEMI_SPACE) ? [] : [`${SEMI_SPACE}=${SEMI_SPACE_MB}`])]
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, script, ...process.argv.slice(2)], process.env)
}
