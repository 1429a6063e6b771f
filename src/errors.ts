// Every failure confio reports is one of these. Each carries the exit code the on-call engineer's
// tooling (systemd, scripts) relies on and a remedy, so the base command can print one line that
// says what is wrong and what to do without knowing which part of the core threw it.
//
// An error may also carry `details`: plain data (JSON-serialisable; bigints become strings) that a
// script needs beyond the one line, e.g. the digests a partly executed consolidation sent. The
// base command prints it as `error.details` under --json, and leaves the key out when there is none.

export const EXIT_OK = 0
export const EXIT_RUNTIME = 1
export const EXIT_USAGE = 2

/** Structured data an error carries into --json output as `error.details`. */
export type ErrorDetails = Readonly<Record<string, unknown>>

export interface ConfioErrorOptions {
  remedy?: string
  cause?: unknown
  details?: ErrorDetails
}

export abstract class ConfioError extends Error {
  abstract readonly exitCode: number
  /** Stable identifier for --json output and scripts. */
  abstract readonly code: string
  readonly remedy: string | undefined
  readonly details: ErrorDetails | undefined

  constructor(message: string, options: ConfioErrorOptions = {}) {
    super(message, {cause: options.cause})
    this.name = new.target.name
    this.remedy = options.remedy
    this.details = options.details
  }

  /** The one line an operator reads. */
  oneLine(): string {
    return this.remedy ? `${this.message}; ${this.remedy}` : this.message
  }
}

/** A setting has a bad value: nothing was connected to yet. */
export class ConfigError extends ConfioError {
  readonly exitCode = EXIT_USAGE
  readonly code = 'CONFIG_INVALID'
  readonly setting: string

  constructor(setting: string, message: string, options: {remedy?: string} = {}) {
    super(`${setting}: ${message}`, options)
    this.setting = setting
  }
}

/** The command was called wrongly, or an input (a file, an argument) is unusable. */
export class UsageError extends ConfioError {
  readonly exitCode = EXIT_USAGE
  readonly code = 'USAGE'
}

/** Something failed while running: a database, Redis or the chain did not do what was asked. */
export class RuntimeFailure extends ConfioError {
  readonly exitCode = EXIT_RUNTIME
  readonly code: string

  constructor(message: string, options: ConfioErrorOptions & {code?: string} = {}) {
    super(message, options)
    this.code = options.code ?? 'RUNTIME'
  }
}

/** The message of whatever was thrown or passed as an abort reason: an Error's, or the value as text. */
export function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown)
}

/**
 * Whether `thrown` is the stop itself surfacing as a failure: once `signal` is aborted, work that
 * gives up rejects with its reason (confio's is the signal's name, a string) or with an AbortError.
 */
export function isStopOf(signal: AbortSignal, thrown: unknown): boolean {
  return signal.aborted && (thrown === signal.reason || (thrown instanceof Error && thrown.name === 'AbortError'))
}
