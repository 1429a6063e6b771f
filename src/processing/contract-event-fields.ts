// Typed parsing of contract event fields. A known event has a schema (field -> Move kind); its
// JSON is checked and normalized against it: addresses to 0x + 64 hex, u64 to decimal strings
// (the node renders u64 as strings, small ones sometimes as numbers; a JS number never carries an
// amount here), vector<u8> to text. A field the schema names but the event lacks, or one of the
// wrong kind, means the contract changed: the event is then stored as it came (never dropped) with
// the reason, and logged.
import type {JsonValue} from '../chain/index.ts'
import {isSuiAddress, normalizeAddress} from '../sui/identifiers.ts'

export type FieldKind = 'address' | 'u64' | 'u8' | 'bool' | 'bytes'

export type EventSchema = Readonly<Record<string, FieldKind>>

export type ParsedFields = {ok: true; fields: {[key: string]: JsonValue}; addresses: string[]} | {ok: false; error: string}

const FULL_ADDRESS = /^0x[0-9a-fA-F]{64}$/
const U64_MAX = 18_446_744_073_709_551_615n

export function parseFields(json: JsonValue, schema: EventSchema): ParsedFields {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return {ok: false, error: 'event fields are not an object'}
  // Fields the schema does not know (a newer contract version) are kept as they came.
  const fields: {[key: string]: JsonValue} = {...json}
  const addresses: string[] = []
  for (const [name, kind] of Object.entries(schema)) {
    const value = json[name]
    if (value === undefined) return {ok: false, error: `field ${name} is missing`}
    const parsed = parseField(value, kind)
    if (parsed === undefined) return {ok: false, error: `field ${name} is not a ${kind}: ${JSON.stringify(value).slice(0, 80)}`}
    fields[name] = parsed
    if (kind === 'address') addresses.push(parsed as string)
  }
  return {ok: true, fields, addresses}
}

function parseField(value: JsonValue, kind: FieldKind): JsonValue | undefined {
  switch (kind) {
    case 'address':
      return typeof value === 'string' && isSuiAddress(value) ? normalizeAddress(value) : undefined
    case 'u64':
    case 'u8': {
      const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value
      if (typeof text !== 'string' || !/^\d+$/.test(text)) return undefined
      const n = BigInt(text)
      return n <= (kind === 'u8' ? 255n : U64_MAX) ? n.toString() : undefined
    }
    case 'bool':
      return typeof value === 'boolean' ? value : undefined
    case 'bytes':
      return bytesToText(value)
  }
}

/**
 * vector<u8> arrives as an array of numbers (the JSON-RPC rendering) or a base64 string (the
 * gRPC rendering). Readable UTF-8 becomes text ("CUSD", a payment id); anything else 0x-hex.
 */
function bytesToText(value: JsonValue): string | undefined {
  let bytes: Uint8Array
  if (Array.isArray(value)) {
    if (!value.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) return undefined
    bytes = Uint8Array.from(value as number[])
  } else if (typeof value === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return value
    bytes = Buffer.from(value, 'base64')
    const text = readable(bytes)
    // A string that is not base64 of readable text was meant as text already.
    return text ?? value
  } else {
    return undefined
  }
  return readable(bytes) ?? `0x${Buffer.from(bytes).toString('hex')}`
}

function readable(bytes: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder('utf-8', {fatal: true}).decode(bytes)
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u001f\u007f]/.test(text) ? undefined : text
  } catch {
    return undefined
  }
}

/** Every full-length address anywhere in a JSON value (for events without a schema). */
export function addressesIn(json: JsonValue, found: string[] = []): string[] {
  if (typeof json === 'string') {
    if (FULL_ADDRESS.test(json)) found.push(json.toLowerCase())
  } else if (Array.isArray(json)) {
    for (const item of json) addressesIn(item, found)
  } else if (json !== null && typeof json === 'object') {
    for (const item of Object.values(json)) addressesIn(item, found)
  }
  return found
}
