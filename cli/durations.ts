// Typed flags for the values operators type most: durations and checkpoint numbers. Both parse
// errors are usage errors (exit 2; package.json's oclif.exitCodes.failedFlagParsing).
import {Flags} from '@oclif/core'
import type {OptionFlag} from '@oclif/core/interfaces'
import {formatDuration, notADuration, parseDuration} from '../src/support/durations.ts'

export {formatDuration, parseDuration}

const durationParser = Flags.custom<number, {minMs: number}>({
  parse: async (input, _context, options) => {
    const ms = parseDuration(input)
    if (ms === undefined) throw new Error(notADuration(input))
    if (ms < options.minMs) throw new Error(`${JSON.stringify(input)} is too short; use at least ${formatDuration(options.minMs)}`)
    return ms
  },
})

interface DurationFlagOptions {
  summary: string
  default?: number
  /** Shortest value accepted (default 1 ms: a zero interval or timeout is never meant). */
  minMs?: number
  hidden?: boolean
}

/** A duration flag whose help shows its default as a duration (`60s`), not milliseconds. */
export function durationFlag(options: DurationFlagOptions & {default: number}): OptionFlag<number>
export function durationFlag(options: DurationFlagOptions): OptionFlag<number | undefined>
export function durationFlag(options: DurationFlagOptions): OptionFlag<number> | OptionFlag<number | undefined> {
  const {default: defaultMs, minMs = 1, ...rest} = options
  if (defaultMs === undefined) return durationParser({...rest, minMs})
  return durationParser({...rest, minMs, default: defaultMs, defaultHelp: async () => formatDuration(defaultMs)})
}

/** A checkpoint sequence number (u64), as bigint. */
export const checkpointFlag = Flags.custom<bigint>({
  parse: async (input) => {
    if (!/^\d{1,20}$/.test(input.trim()) || BigInt(input.trim()) > 18_446_744_073_709_551_615n) {
      throw new Error(`${JSON.stringify(input)} is not a checkpoint sequence number (a whole number from 0)`)
    }
    return BigInt(input.trim())
  },
})
