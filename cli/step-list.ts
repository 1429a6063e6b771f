// A command made of steps (migrate --create, coins consolidate --execute, backfill's phases,
// reconcile's read then settle), drawn live as listr2's task list on stderr: the steps to come, a
// spinner on the one in hand with its work so far (a rate and the time left, where the work is
// counted), a tick and its time on each one done.
//
// The work itself runs in src/, which reports through plain callbacks and knows nothing of this
// list: the command moves the list on from those callbacks (`update`, `next`). listr2 runs one task
// per step whose only job is to wait for the command to say the step is over, so the order, the
// errors and the result stay the work's own: a failure is rethrown as it was thrown (the base
// command's one error line follows the list, its step marked failed).
//
// In plain mode (progress-mode.ts) nothing is drawn and the calls do nothing: the command's plain
// lines, if any, are written by its plain renderer as before.
import type {DefaultRenderer, ListrTaskWrapper} from 'listr2'
import type {ProgressMode} from './progress-mode.ts'

export interface StepList {
  /** The step in hand's work so far, e.g. `120/500 accounts, 40/s, about 9s left`. */
  update(text: string): void
  /** Ends the step in hand (shown as `title`, when given, else under its own title) and begins the next. */
  next(title?: string): void
  /** Ends the step in hand as not needed (e.g. nothing was left in flight to settle), and begins the next. */
  skip(reason: string): void
}

export interface StepListOptions {
  /** Where the list is drawn (default process.stderr); a test gives a stream of its own. */
  readonly stream?: NodeJS.WriteStream
}

/**
 * Runs `work` with a list of `titles`, drawn live in live mode. When work returns, the step in
 * hand ends done and any after it are marked skipped; when it throws, the step in hand is marked
 * failed and the error rethrown.
 */
export async function withSteps<T>(mode: ProgressMode, titles: readonly string[], work: (steps: StepList) => Promise<T>, options: StepListOptions = {}): Promise<T> {
  if (mode === 'plain') return work(QUIET)
  const steps = new LiveSteps(titles, options.stream ?? process.stderr, await loadListr())
  let result: T
  try {
    result = await work(steps)
  } catch (error) {
    await steps.fail(error)
    throw error
  }
  await steps.end()
  return result
}

const QUIET: StepList = {update: () => undefined, next: () => undefined, skip: () => undefined}

type Listr2 = typeof import('listr2')
type Renderer = typeof DefaultRenderer

/** listr2, loaded only to draw (a plain run does without its imports), and the renderer confio draws with. */
async function loadListr(): Promise<{listr2: Listr2; renderer: Renderer}> {
  const listr2 = await import('listr2')
  /**
   * listr2 draws its default renderer only when stdout is a terminal; confio draws on stderr, also
   * when stdout (the result) is piped on. Whether to draw at all is progress-mode.ts's to say.
   */
  class StderrRenderer extends listr2.DefaultRenderer {
    static override nonTTY = true
  }
  return {listr2, renderer: StderrRenderer}
}

type StepEnd = {kind: 'done'; title: string | undefined} | {kind: 'skipped'; reason: string}
type Ender = {resolve: (end: StepEnd) => void; reject: (error: unknown) => void}

class LiveSteps implements StepList {
  readonly #enders: Ender[] = []
  readonly #tasks: (ListrTaskWrapper<unknown, Renderer, Renderer> | undefined)[] = []
  /** The last update of each step, kept until its task has started (listr2 starts it a tick later). */
  readonly #latest: (string | undefined)[] = []
  readonly #running: Promise<unknown>
  #index = 0

  constructor(titles: readonly string[], stream: NodeJS.WriteStream, {listr2, renderer}: {listr2: Listr2; renderer: Renderer}) {
    const ends = titles.map(() => {
      const {promise, resolve, reject} = Promise.withResolvers<StepEnd>()
      this.#enders.push({resolve, reject})
      // A step failed before listr2 started its task has no one awaiting it yet.
      promise.catch(() => undefined)
      return promise
    })
    const list = new listr2.Listr<unknown, Renderer, Renderer>(
      titles.map((title, index) => ({
        title,
        task: async (_context, task) => {
          this.#tasks[index] = task
          const latest = this.#latest[index]
          if (latest !== undefined) task.output = latest
          const end = await ends[index]!
          if (end.kind === 'skipped') task.skip(`${title}: ${end.reason}`)
          else if (end.title !== undefined) task.title = end.title
        },
      })),
      {
        renderer,
        fallbackRenderer: renderer,
        // Both of listr2's streams are stderr: while the list is drawn, other stderr writes (log
        // lines) are held and written under it when it ends; stdout is left alone.
        rendererOptions: {logger: new listr2.ListrLogger({useIcons: true, processOutput: new listr2.ProcessOutput(stream, stream, {leaveEmptyLine: false})}), timer: listr2.PRESET_TIMER, showErrorMessage: false},
        exitOnError: true,
        // SIGINT and SIGTERM are the base command's: they stop the work, which then fails its step.
        registerSignalListeners: false,
      },
    )
    this.#running = list.run()
  }

  update(text: string): void {
    const task = this.#tasks[this.#index]
    if (task) task.output = text
    else this.#latest[this.#index] = text
  }

  next(title?: string): void {
    this.#enders[this.#index]?.resolve({kind: 'done', title})
    this.#index += 1
  }

  skip(reason: string): void {
    this.#enders[this.#index]?.resolve({kind: 'skipped', reason})
    this.#index += 1
  }

  async end(): Promise<void> {
    this.next()
    while (this.#index < this.#enders.length) this.skip('not needed')
    await this.#running
  }

  async fail(error: unknown): Promise<void> {
    this.#enders[this.#index]?.reject(error)
    // The error is the work's, rethrown by withSteps; the list only has to finish drawing.
    await this.#running.catch(() => undefined)
  }
}
