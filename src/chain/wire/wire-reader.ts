// The protobuf wire format as confio's hand-written readers take it (checkpoint-wire.ts reads
// replies into messages, transaction-screen.ts screens transactions without building any): a
// cursor over the bytes, the tags of the fields a reader knows (WireMessage), and the strictness
// both share. A known field on another wire type is an error, never skipped; nesting is bounded.
import type {WireObserver} from './wire-observer.ts'

/** Wire-level failure: the bytes are not the protobuf they claim to be. */
export class WireError extends Error {
  override readonly name = 'WireError'
}

export type WireType = 0 | 1 | 2 | 5
export const VARINT = 0
export const FIXED64 = 1
export const LEN = 2
const START_GROUP = 3
const END_GROUP = 4
const FIXED32 = 5

/**
 * Deepest message nesting read. Sui renders a Move value as JSON at most 80 levels deep
 * (sui-types proto_value.rs, MAX_DEPTH); each level of a google.protobuf.Value is three messages
 * (Value, Struct, map entry), under the six that lead to an event's JSON. The limit bounds the
 * reader's recursion on hostile bytes well inside Node's stack.
 */
export const MAX_DEPTH = 6 + 3 * 80 + 10

/** A message as this reader reads it: its protobuf name and, per field it reads, number and wire type. */
export interface WireMessage<F extends string = string> {
  readonly typeName: string
  readonly fields: {readonly [K in F]: {readonly no: number; readonly wireType: WireType}}
  /** The tag (number << 3 | wire type) of each field: what the reader compares a field's key with. */
  readonly tag: {readonly [K in F]: number}
  /** The field read under each number: a known number on another wire type is an error. */
  readonly byNumber: ReadonlyArray<{readonly name: string; readonly wireType: WireType} | undefined>
}

export function wireMessage<F extends string>(typeName: string, fields: {readonly [K in F]: readonly [number, WireType]}): WireMessage<F> {
  const byName = {} as {[K in F]: {no: number; wireType: WireType}}
  const tag = {} as {[K in F]: number}
  const byNumber: Array<{name: string; wireType: WireType} | undefined> = []
  for (const name of Object.keys(fields) as F[]) {
    const [no, wireType] = fields[name]
    byName[name] = {no, wireType}
    tag[name] = (no << 3) | wireType
    byNumber[no] = {name, wireType}
  }
  return {typeName, fields: byName, tag, byNumber}
}

export class WireReader {
  readonly buf: Buffer
  readonly observer: WireObserver
  pos = 0
  /** Messages open around the current position. */
  depth = 0
  /** What the transaction being read carries that this reader does not know. */
  unknown: string[] | undefined
  /**
   * Whether the transaction being read has a singular embedded message in more than one
   * occurrence: valid proto3, which merges them, where this reader keeps the last (checkpoint-wire.ts).
   */
  split = false

  constructor(bytes: Uint8Array, observer: WireObserver) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.observer = observer
  }

  /**
   * A varint read as protobuf reads a uint32 (tags, lengths): up to 10 bytes, of which the low 32
   * bits count. A varint may be written longer than it needs (zero continuation bytes) and still be
   * valid: the SDK's decoder reads it so, and so must this reader.
   */
  uint(): number {
    let result = 0
    let shift = 1
    // Up to 4 bytes (28 bits): every tag and length a node writes in its shortest form.
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.buf.length) throw new WireError('truncated varint')
      const byte = this.buf[this.pos++] as number
      result += (byte & 0x7f) * shift
      if (byte < 0x80) return result
      shift *= 128
    }
    return this.uintTail(result)
  }

  /** Bytes 5 to 10 of a uint32 varint whose first four gave `low`: the fifth's low 4 bits count, the rest are read past. */
  private uintTail(low: number): number {
    if (this.pos >= this.buf.length) throw new WireError('truncated varint')
    const fifth = this.buf[this.pos++] as number
    const result = low + (fifth & 0x0f) * 0x1000_0000
    if (fifth < 0x80) return result
    for (let i = 5; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError('truncated varint')
      if ((this.buf[this.pos++] as number) < 0x80) return result
    }
    throw new WireError('varint longer than 10 bytes')
  }

  /** An int32 or an enum: the low 32 bits, signed (a negative one is written in 10 bytes). */
  int32(): number {
    return this.uint() | 0
  }

  /** A bool: any bit set, in any of the up to 10 bytes, is true. */
  bool(): boolean {
    let value = false
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError('truncated varint')
      const byte = this.buf[this.pos++] as number
      if ((byte & 0x7f) !== 0) value = true
      if (byte < 0x80) return value
    }
    throw new WireError('varint longer than 10 bytes')
  }

  /** A full 64-bit unsigned varint (sequence numbers, gas costs). */
  uint64(): bigint {
    let lo = 0
    let shift = 1
    const start = this.pos
    // Up to 7 bytes (49 bits) fit a double exactly; longer values take the bigint path.
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.buf.length) throw new WireError('truncated varint')
      const byte = this.buf[this.pos++] as number
      lo += (byte & 0x7f) * shift
      if (byte < 0x80) return BigInt(lo)
      shift *= 128
    }
    this.pos = start
    let value = 0n
    let bits = 0n
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError('truncated varint')
      const byte = this.buf[this.pos++] as number
      value |= BigInt(byte & 0x7f) << bits
      if (byte < 0x80) return BigInt.asUintN(64, value)
      bits += 7n
    }
    throw new WireError('varint longer than 10 bytes')
  }

  /** Signed 64-bit (int64, e.g. Timestamp.seconds) as a number: timestamps fit easily. */
  int64(): number {
    return Number(BigInt.asIntN(64, this.uint64()))
  }

  /** End offset of a length-delimited field starting here. */
  delimited(): number {
    const length = this.uint()
    const end = this.pos + length
    if (end > this.buf.length) throw new WireError('length-delimited field runs past its message')
    return end
  }

  string(): string {
    const end = this.delimited()
    const value = this.buf.toString('utf8', this.pos, end)
    this.pos = end
    return value
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) throw new WireError('truncated double')
    const value = this.buf.readDoubleLE(this.pos)
    this.pos += 8
    return value
  }

  /** Passes over a varint exactly as uint64() reads one (up to 10 bytes), without making its value. */
  skipVarint(): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError('truncated varint')
      if ((this.buf[this.pos++] as number) < 0x80) return
    }
    throw new WireError('varint longer than 10 bytes')
  }

  /** Passes over the value of the field whose tag was just read. */
  skip(tag: number): void {
    switch (tag & 7) {
      case VARINT:
        this.skipVarint()
        return
      case FIXED64:
        this.pos += 8
        break
      case LEN:
        this.pos = this.delimited()
        return
      case FIXED32:
        this.pos += 4
        break
      case START_GROUP:
        this.skipGroup(tag >>> 3)
        return
      default:
        throw new WireError(`unsupported wire type ${tag & 7}`)
    }
    if (this.pos > this.buf.length) throw new WireError('truncated field')
  }

  /**
   * A group (deprecated, but valid for a field this reader does not know): its fields up to the end
   * tag of the same number, as protobuf's decoders pass over one.
   */
  private skipGroup(no: number): void {
    if (++this.depth > MAX_DEPTH) throw new WireError(`messages nested more than ${MAX_DEPTH} deep`)
    for (;;) {
      if (this.pos >= this.buf.length) throw new WireError('group without its end')
      const tag = this.uint()
      if ((tag & 7) === END_GROUP) {
        if (tag >>> 3 !== no) throw new WireError(`group ${no} ended by the end of group ${tag >>> 3}`)
        this.depth--
        return
      }
      this.skip(tag)
    }
  }

  /**
   * A field of `message` the caller did not take. Skipped, unless its number is one the reader
   * knows with another wire type: reading on would misread it, skipping would hide it.
   */
  other(message: WireMessage, tag: number): void {
    const no = tag >>> 3
    const known = message.byNumber[no]
    if (known !== undefined && known.wireType !== (tag & 7)) {
      throw new WireError(`${message.typeName}.${known.name} (field ${no}) has wire type ${tag & 7}, expected ${known.wireType}`)
    }
    if (no === 0) throw new WireError(`${message.typeName} has a field numbered 0`)
    this.skip(tag)
  }

  /** Calls `field(tag)` for every field up to `end`; the callback must consume it. */
  fields(end: number, field: (tag: number) => void): void {
    if (++this.depth > MAX_DEPTH) throw new WireError(`messages nested more than ${MAX_DEPTH} deep`)
    while (this.pos < end) field(this.uint())
    if (this.pos !== end) throw new WireError('field runs past its message')
    this.depth--
  }

  /** Notes a singular embedded message's occurrence, given whether one was seen before: returns true (now seen). */
  occurrence(seen: boolean): true {
    if (seen) this.split = true
    return true
  }

  /** The transaction being read carries `what`, which this reader does not know. */
  noteUnknown(what: string): void {
    this.unknown ??= []
    if (!this.unknown.includes(what)) this.unknown.push(what)
  }
}

