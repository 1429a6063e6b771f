// Small conversions from protobuf well-known types to plain values, shared by the decoders.
// Written here instead of importing google.protobuf helpers, which @mysten/sui does not export.
import {normalizeAddress, normalizeCoinType} from '../../sui/identifiers.ts'
import type {JsonValue} from '../records.ts'

interface Timestamp {
  seconds: bigint
  nanos: number
}

export function timestampMs(ts: Timestamp | undefined): number {
  if (ts === undefined) return 0
  return Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1_000_000)
}

/** google.protobuf.Value as protobuf-ts decodes it: a `kind` oneof. */
export interface ProtoValue {
  kind:
    | {oneofKind: 'nullValue'; nullValue: unknown}
    | {oneofKind: 'numberValue'; numberValue: number}
    | {oneofKind: 'stringValue'; stringValue: string}
    | {oneofKind: 'boolValue'; boolValue: boolean}
    | {oneofKind: 'structValue'; structValue: {fields: {[key: string]: ProtoValue}}}
    | {oneofKind: 'listValue'; listValue: {values: ProtoValue[]}}
    | {oneofKind: undefined}
}

export function protoValueToJson(value: ProtoValue | undefined): JsonValue {
  if (value === undefined) return null
  const kind = value.kind
  switch (kind.oneofKind) {
    case 'numberValue':
      return kind.numberValue
    case 'stringValue':
      return kind.stringValue
    case 'boolValue':
      return kind.boolValue
    case 'structValue': {
      const out: {[key: string]: JsonValue} = {}
      for (const [key, field] of Object.entries(kind.structValue.fields)) {
        // A field named __proto__ would otherwise replace the object's prototype.
        if (key === '__proto__') Object.defineProperty(out, key, {value: protoValueToJson(field), enumerable: true, writable: true, configurable: true})
        else out[key] = protoValueToJson(field)
      }
      return out
    }
    case 'listValue':
      return kind.listValue.values.map(protoValueToJson)
    default:
      return null
  }
}

// Nodes send addresses in full form already, so the common case is a cheap test. A checkpoint
// holds hundreds of addresses; normalizing each through the SDK (or testing each with a regular
// expression, 3x this loop) shows in the poller's profile.
export function chainAddress(value: string | undefined, field: string): string {
  if (value === undefined || value === '') throw new TypeError(`${field} is missing`)
  return isFullAddress(value) ? value : normalizeAddress(value)
}

/** 0x and 64 lowercase hex digits. */
function isFullAddress(value: string): boolean {
  if (value.length !== 66 || value.charCodeAt(0) !== 48 || value.charCodeAt(1) !== 120) return false
  for (let i = 2; i < 66; i++) {
    const code = value.charCodeAt(i)
    if (code >= 128 || !LOWER_HEX[code]) return false
  }
  return true
}

const LOWER_HEX = new Uint8Array(128)
for (const digit of '0123456789abcdef') LOWER_HEX[digit.charCodeAt(0)] = 1

// A checkpoint names a few dozen distinct types hundreds of times; parsing a struct tag is the
// expensive part of normalizing one, so results are remembered (bounded: a flood of distinct
// types only costs a re-parse).
const TYPE_CACHE_LIMIT = 10_000
const typeCache = new Map<string, string>()

export function chainType(value: string | undefined, field: string): string {
  if (value === undefined || value === '') throw new TypeError(`${field} is missing`)
  const cached = typeCache.get(value)
  if (cached !== undefined) return cached
  const normalized = normalizeCoinType(value)
  if (typeCache.size >= TYPE_CACHE_LIMIT) typeCache.clear()
  typeCache.set(value, normalized)
  return normalized
}

export function requiredString(value: string | undefined, field: string): string {
  if (value === undefined || value === '') throw new TypeError(`${field} is missing`)
  return value
}
