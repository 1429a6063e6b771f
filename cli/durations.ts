import {Flags} from '@oclif/core'

/** `2s`, `500ms`, `1m` or a bare number of seconds, as milliseconds. */
export const durationFlag = Flags.custom<number>({
  parse: async (input) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(input.trim())
    if (!match) throw new Error(`${JSON.stringify(input)} is not a duration; use e.g. 2s, 500ms or 1m`)
    const value = Number(match[1])
    return Math.round(match[2] === 'ms' ? value : match[2] === 'm' ? value * 60_000 : value * 1000)
  },
})

/** A checkpoint sequence number (u64), as bigint. */
export const checkpointFlag = Flags.custom<bigint>({
  parse: async (input) => {
    if (!/^\d{1,20}$/.test(input.trim()) || BigInt(input.trim()) > 18_446_744_073_709_551_615n) {
      throw new Error(`${JSON.stringify(input)} is not a checkpoint sequence number`)
    }
    return BigInt(input.trim())
  },
})
