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
