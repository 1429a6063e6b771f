// Logs go to stderr, so stdout stays for a command's result (and --json). They are JSON lines
// when stdout is not a terminal (systemd, pipes: machines read them) and short coloured lines
// when it is (a person reads them). Every line passes the secret scrubber before it is written.
import chalk from 'chalk'
import {pino, type Logger} from 'pino'
import type {LogLevel} from '../config/settings.ts'
import type {SecretScrubber} from '../secrets.ts'

export type {Logger} from 'pino'

export interface LoggerOptions {
  readonly level: LogLevel
  readonly scrubber: SecretScrubber
  /** Defaults to whether stdout is a terminal. */
  readonly pretty?: boolean
  readonly write?: (line: string) => void
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line))
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY)
  const stream = {
    write(line: string) {
      const clean = options.scrubber.scrub(line)
      write(pretty ? prettyLine(clean) : clean)
    },
  }
  return pino({level: options.level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime}, stream)
}

const LEVELS: Record<number, [string, (s: string) => string]> = {
  10: ['TRACE', chalk.gray],
  20: ['DEBUG', chalk.gray],
  30: ['INFO ', chalk.green],
  40: ['WARN ', chalk.yellow],
  50: ['ERROR', chalk.red],
  60: ['FATAL', chalk.bgRed.white],
}

function prettyLine(json: string): string {
  let record: Record<string, unknown>
  try {
    record = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const {level, time, msg, component, ...fields} = record
  const [name, paint] = LEVELS[level as number] ?? ['LOG  ', (s: string) => s]
  const clock = typeof time === 'string' ? time.slice(11, 19) : ''
  const where = component ? chalk.cyan(`${String(component)} `) : ''
  const rest = Object.entries(fields)
    .map(([key, value]) => chalk.dim(`${key}=`) + (typeof value === 'string' ? value : JSON.stringify(value)))
    .join(' ')
  return `${chalk.dim(clock)} ${paint(name)} ${where}${String(msg ?? '')}${rest ? ` ${rest}` : ''}\n`
}
