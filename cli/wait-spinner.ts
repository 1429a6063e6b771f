// A wait drawn live as ora's spinner on stderr (connecting, a transaction waiting for its
// checkpoint, the pipeline catching up), with what is known so far as its text. In plain mode
// (progress-mode.ts) nothing is drawn: a wait in a log is the lines before and after it.
import type {ProgressMode} from './progress-mode.ts'

export interface WaitText {
  /** What the wait is at now, e.g. `deleting old copies: 3,000 of 5,000 keys scanned`. */
  update(text: string): void
}

export interface WaitSpinnerOptions {
  /** Where the spinner is drawn (default process.stderr); a test gives a stream of its own. */
  readonly stream?: NodeJS.WriteStream
}

/** Runs `work` under a spinner saying `text`; the spinner is gone (the line cleared) when it ends, either way. */
export async function whileWaiting<T>(mode: ProgressMode, text: string, work: (wait: WaitText) => Promise<T>, options: WaitSpinnerOptions = {}): Promise<T> {
  if (mode === 'plain') return work(QUIET)
  // Loaded only to draw (~75 ms of imports a plain run does without).
  const {default: ora} = await import('ora')
  // isEnabled: the mode has decided already (ora's own test would look at CI and the TTY again).
  // discardStdin off: ora would put stdin in raw mode, and Ctrl-C must stay SIGINT for the base command.
  const spinner = ora({text, stream: options.stream ?? process.stderr, isEnabled: true, discardStdin: false}).start()
  try {
    return await work({update: (next) => (spinner.text = next)})
  } finally {
    spinner.stop()
  }
}

const QUIET: WaitText = {update: () => undefined}
