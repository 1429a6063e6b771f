// The pipeline's long-running commands (poll, run) run with a JavaScript heap sized for a poller
// rather than for the machine. A catch-up decodes thousands of checkpoints a second, almost all of
// it garbage at once, and V8 sizes its heap from the machine's memory: bench:poll measured a poller
// whose live data is ~60 MB at 300-440 MB of RSS, most of it an oversized young generation
// (heapTotal ~175 MB) and old garbage. With the young generation's semi-spaces at 8 MB and the old
// generation capped, the same catch-up peaked at ~210 MB at the same rate (4 MB cost ~10% of the
// rate; 128 MB of old generation alone barely moved RSS and cost a third of it).
//
// Two more settings keep V8 from collecting the old generation over and over (full mark-compacts,
// whose marking runs on V8's helper threads beside the main thread's work):
// - the old generation starts with room (--initial-old-space-size, 64 MB at most): after each full
//   collection V8 set the next one at about 1.3 times the ~30 MB a catch-up keeps alive, so each
//   ~10 MB the old generation grew started another;
// - external memory is counted in V8's global limit (externalMemoryFlags): every checkpoint read
//   arrives in Buffers of ~100 KB (the HTTP/2 data, then the gRPC message), dead as soon as it is
//   screened, and V8 13.6 otherwise counts them as old-generation growth.
// A 10,000-checkpoint catch-up ran 45 full collections with neither, 12 with the first alone, 1
// with both; its poller used 5.0-6.7 s of CPU with neither and 3.0-3.7 s with both, for ~30 MB
// more peak RSS (247 MB with 1,000,000 monitored accounts; bench:poll, docs/benchmarks.md).
//
// The process re-executes itself in place (process.execve: same PID, so systemd, signals and
// pidfiles are unaffected) with these flags. CONFIO_HEAP_MB sets the old generation's cap (0:
// leave V8's defaults, none of the flags); a flag given in NODE_OPTIONS or on the command line
// wins. Plain JavaScript, like node-runtime.js, because it runs before confio's code is loaded.
import {getHeapStatistics} from 'node:v8'

const COMMANDS = new Set(['poll', 'run'])
const DEFAULT_MB = 192
const SEMI_SPACE_MB = 8
const INITIAL_OLD_SPACE_MB = 64
const OLD_SPACE = '--max-old-space-size'
const SEMI_SPACE = '--max-semi-space-size'
const INITIAL_OLD_SPACE = '--initial-old-space-size'
const EXTERNAL_MEMORY_IN_GLOBAL_LIMIT = '--external-memory-accounted-in-global-limit'

/**
 * The flag that makes V8 count external memory in its global heap limit, where this Node's V8 has
 * it off by default; none elsewhere. V8 later made it the default and removed the flag, and an
 * unknown flag stops Node from starting, so it is given only to V8 13.6 (Node 24 LTS, which npm
 * ci installs), where it was measured.
 */
export function externalMemoryFlags(v8Version = process.versions.v8) {
  return v8Version.startsWith('13.6.') ? [EXTERNAL_MEMORY_IN_GLOBAL_LIMIT] : []
}

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
  const flags = [
    `${OLD_SPACE}=${mb}`,
    ...(has(SEMI_SPACE) ? [] : [`${SEMI_SPACE}=${SEMI_SPACE_MB}`]),
    ...(has(INITIAL_OLD_SPACE) ? [] : [`${INITIAL_OLD_SPACE}=${Math.min(INITIAL_OLD_SPACE_MB, mb)}`]),
    ...externalMemoryFlags().filter((flag) => !has(flag) && !has(flag.replace('--', '--no-'))),
  ]
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, script, ...process.argv.slice(2)], process.env)
}
