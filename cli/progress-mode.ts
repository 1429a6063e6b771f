// How a command shows its progress, decided once for every command: drawn live on stderr (listr2's
// step lists, ora's spinners) only for a person at a terminal; plain lines (the ones scripts, logs
// and the tests read) everywhere else. stdout carries the result and is never drawn on.
//
// Live only when all of these hold:
//   - stderr is a terminal (a pipe or a file gets lines, not redraws and cursor moves);
//   - no --json (a caller of --json is a program, even at a terminal);
//   - not CI: CI runners often give a pseudo-terminal to a log nobody watches live;
//   - TERM is not `dumb` (a terminal that cannot move the cursor, e.g. Emacs' shell).
// Nothing else may choose: a command asks for its mode, and the live and plain renderers each
// draw only in theirs.

export type ProgressMode = 'live' | 'plain'

export interface ProgressModeInputs {
  /** --json given. */
  readonly json: boolean
  /** Where progress goes (default process.stderr). */
  readonly stream?: {readonly isTTY?: boolean}
  readonly env?: NodeJS.ProcessEnv
}

/** Variables a CI service sets (the ones ora's and listr2's own checks know, and `CI` itself). */
export const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'RUN_ID', 'GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'TF_BUILD']

export function progressMode({json, stream = process.stderr, env = process.env}: ProgressModeInputs): ProgressMode {
  if (json || stream.isTTY !== true) return 'plain'
  if (env.TERM === 'dumb') return 'plain'
  // `CI=false` (or 0) is how a user says "not CI" in a shell that exports CI.
  if (CI_VARIABLES.some((name) => env[name] !== undefined && env[name] !== '' && env[name] !== 'false' && env[name] !== '0')) return 'plain'
  return 'live'
}
