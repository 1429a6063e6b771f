// Just enough of the protobuf wire format to wrap bytes that are already encoded. A response such
// as GetCheckpointResponse { checkpoint = 1 } is the tag, the length and the cached Checkpoint
// bytes, so serving a sealed checkpoint costs a copy instead of an encode.

/** Base-128 varint, as protobuf encodes lengths and uint64 values. */
export function varint(value: bigint | number): number[] {
  let v = BigInt(value)
  const out: number[] = []
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return out
}

/** A length-delimited field (wire type 2): an embedded message or bytes. */
export function messageField(fieldNumber: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...varint((fieldNumber << 3) | 2), ...varint(bytes.length)]), bytes])
}

/** A uint64 field (wire type 0). */
export function uint64Field(fieldNumber: number, value: bigint): Buffer {
  return Buffer.from([...varint(fieldNumber << 3), ...varint(value)])
}

/**
 * A reply that is already encoded. Handlers return it in place of a message object; the server's
 * serializer (server.ts) sends its bytes unchanged. The cast is the protobuf edge.
 */
export function preEncoded<T>(bytes: Buffer): T {
  return bytes as unknown as T
}

/**
 * One field of an encoded message: its number, wire type, its whole encoding (`raw`), and its
 * value: a varint's number, or the bytes of anything else (a length-delimited field's body, a
 * fixed field's 8 or 4 bytes, a group's fields up to its end tag).
 */
export interface WireField {
  readonly no: number
  readonly wireType: number
  readonly raw: Uint8Array
  readonly value: bigint | Uint8Array
}

/** The fields of a message's encoding, in order (split-messages.ts, the tests' proto-mutator). */
export function wireFields(message: Uint8Array): WireField[] {
  const fields: WireField[] = []
  let at = 0
  while (at < message.length) {
    const start = at
    const [tag, afterTag] = readVarint(message, at)
    const no = Number(BigInt.asUintN(32, tag) >> 3n)
    const wireType = Number(tag & 7n)
    const [value, end] = fieldValue(message, afterTag, wireType, no)
    fields.push({no, wireType, raw: message.subarray(start, end), value})
    at = end
  }
  return fields
}

/** The value of a field whose tag ends at `at`, and where the field ends. */
function fieldValue(message: Uint8Array, at: number, wireType: number, no: number): [bigint | Uint8Array, number] {
  if (wireType === 0) return readVarint(message, at)
  if (wireType === 1 || wireType === 5) return within(message, at, at + (wireType === 1 ? 8 : 4))
  if (wireType === 2) {
    const [length, afterLength] = readVarint(message, at)
    return within(message, afterLength, afterLength + Number(length))
  }
  if (wireType === 3) {
    // A group: fields up to the end tag (wire type 4) of the same number.
    for (let end = at; ; ) {
      const [tag, afterTag] = readVarint(message, end)
      if (Number(tag & 7n) === 4 && Number(BigInt.asUintN(32, tag) >> 3n) === no) return [message.subarray(at, end), afterTag]
      end = fieldValue(message, afterTag, Number(tag & 7n), Number(BigInt.asUintN(32, tag) >> 3n))[1]
    }
  }
  throw new Error(`wire type ${wireType} at ${at}`)
}

function within(message: Uint8Array, from: number, to: number): [Uint8Array, number] {
  if (to > message.length) throw new Error('field runs past the message')
  return [message.subarray(from, to), to]
}

function readVarint(bytes: Uint8Array, at: number): [bigint, number] {
  let value = 0n
  let shift = 0n
  for (;;) {
    const byte = bytes[at++]
    if (byte === undefined) throw new Error('varint runs past the message')
    value |= BigInt(byte & 0x7f) << shift
    if (byte < 0x80) return [BigInt.asUintN(64, value), at]
    shift += 7n
  }
}
