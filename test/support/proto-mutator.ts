// Rewrites a protobuf encoding into another valid encoding of the same message type, guided by the
// SDK's own reflection info (every generated message type lists its fields): the wire fuzz test
// (test/chain/wire-fuzz.test.ts) feeds both confio's hand-written reader and the SDK's generated
// decoder the result, so everything here must stay valid proto3 for the `sui.rpc.v2` descriptors.
//
// What it may do to each message, each with its own probability:
//   - order: interleave the fields at random, keeping the order of the occurrences of each number
//     (that order is what protobuf gives meaning to: repeated elements, merges, last scalar wins);
//   - split: write a singular embedded message as two occurrences, cut at a field boundary;
//   - empty: add an empty occurrence of an embedded message (present or not, repeated or not);
//   - unknown: add fields of numbers the descriptor does not know, of every wire type, groups too;
//   - unread: add known fields that are absent, with random values of their declared types;
//   - repeat: write a singular scalar a second time, before (no effect) or after (the last wins);
//   - overlong: write a varint (tag, length or value) padded to up to 10 bytes.
// A mutation need not keep the message's meaning: both decoders read the same bytes, and must agree.
import type {GrpcTypes} from '@mysten/sui/grpc'

import type {Random} from '../../sui-server/random.ts'
import {wireFields} from '../../sui-server/wire.ts'

/** A generated message type as the SDK exports it (GrpcTypes.Checkpoint, ...). */
export type MessageType = Pick<typeof GrpcTypes.Checkpoint, 'typeName' | 'fields'>
type FieldInfo = MessageType['fields'][number]

export interface MutationRates {
  order: number
  split: number
  empty: number
  unknown: number
  unread: number
  repeat: number
  overlong: number
}

export interface MutatorOptions {
  rates: MutationRates
  /**
   * Fields never added or written twice, as `Type.field_name`. A reader may rightly refuse some
   * valid encodings (two sequence numbers for one checkpoint): the caller names them here.
   */
  fixed?: ReadonlySet<string>
  /** Messages that get no field of an unknown number (a reader may rightly flag those), by type name. */
  closed?: ReadonlySet<string>
}

/** One field occurrence as read: varints as bigint, anything else as its bytes. */
interface Occurrence {
  no: number
  wireType: number
  value: bigint | Uint8Array
}

const VARINT = 0
const FIXED64 = 1
const LEN = 2
const START_GROUP = 3
const END_GROUP = 4
const FIXED32 = 5
/** The largest field number protobuf allows (2^29 - 1). */
const MAX_FIELD_NUMBER = 536_870_911

// ScalarType numbers of @protobuf-ts/runtime's reflection info.
const DOUBLE = 1
const FLOAT = 2
const FIXED64_TYPES = new Set([DOUBLE, 6, 16])
const FIXED32_TYPES = new Set([FLOAT, 7, 15])
const STRING = 9
const BYTES = 12
const BOOL = 8

export class ProtoMutator {
  readonly #random: Random
  readonly #options: MutatorOptions

  constructor(random: Random, options: MutatorOptions) {
    this.#random = random
    this.#options = options
  }

  /** A valid encoding of a `type` message, given one. */
  mutate(type: MessageType, bytes: Uint8Array): Uint8Array {
    return this.#write(this.#rewrite(type, readOccurrences(bytes)))
  }

  /** The occurrences of one message, its nested messages rewritten and this level's mutations made. */
  #rewrite(type: MessageType, fields: Occurrence[]): Occurrence[] {
    const rates = this.#options.rates
    let out: Occurrence[] = []
    for (const field of fields) {
      const info = type.fields.find((f) => f.no === field.no)
      const nested = info === undefined ? undefined : nestedType(info, field)
      const value = nested !== undefined && field.value instanceof Uint8Array ? this.#write(this.#rewrite(nested, readOccurrences(field.value))) : field.value
      const occurrence = {...field, value}
      if (info !== undefined && this.#isSingularScalar(type, info) && this.#random.chance(rates.repeat)) {
        const other = {no: field.no, wireType: field.wireType, value: this.#randomScalar(info)}
        out.push(...(this.#random.chance(0.5) ? [other, occurrence] : [occurrence, other]))
      } else if (info?.kind === 'message' && !info.repeat && value instanceof Uint8Array && this.#random.chance(rates.split)) {
        out.push(...this.#split(occurrence.no, value))
      } else out.push(occurrence)
    }
    for (const info of type.fields) {
      if (info.kind === 'message' && this.#random.chance(rates.empty)) out.push({no: info.no, wireType: LEN, value: new Uint8Array(0)})
      const present = fields.some((f) => f.no === info.no)
      if (!present && !this.#isFixed(type, info) && this.#random.chance(rates.unread)) out.push(...this.#randomField(info, 1))
    }
    if (!this.#options.closed?.has(type.typeName) && this.#random.chance(rates.unknown)) out.push(this.#unknownField(type, 1))
    if (this.#random.chance(rates.order)) out = this.#interleave(out)
    return out
  }

  #split(no: number, body: Uint8Array): Occurrence[] {
    const parts = readOccurrences(body)
    const cut = this.#random.int(0, parts.length)
    return [
      {no, wireType: LEN, value: this.#write(parts.slice(0, cut))},
      {no, wireType: LEN, value: this.#write(parts.slice(cut))},
    ]
  }

  /** A random interleaving in which each field number's occurrences keep their order. */
  #interleave(fields: Occurrence[]): Occurrence[] {
    const queues = new Map<number, Occurrence[]>()
    for (const field of fields) queues.set(field.no, [...(queues.get(field.no) ?? []), field])
    const out: Occurrence[] = []
    const pending = [...queues.values()]
    while (pending.length > 0) {
      const i = this.#random.int(0, pending.length - 1)
      const queue = pending[i] as Occurrence[]
      out.push(queue.shift() as Occurrence)
      if (queue.length === 0) pending.splice(i, 1)
    }
    return out
  }

  #isFixed(type: MessageType, info: FieldInfo): boolean {
    return this.#options.fixed?.has(`${type.typeName}.${info.name}`) ?? false
  }

  #isSingularScalar(type: MessageType, info: FieldInfo): boolean {
    return (info.kind === 'scalar' || info.kind === 'enum') && !info.repeat && !this.#isFixed(type, info)
  }

  /** Occurrences of a field of a known number, with random values of its type (messages `depth` deep). */
  #randomField(info: FieldInfo, depth: number): Occurrence[] {
    const count = info.repeat || info.kind === 'map' ? this.#random.int(1, 2) : 1
    return Array.from({length: count}, () => {
      if (info.kind === 'message') return {no: info.no, wireType: LEN, value: depth > 0 ? this.#randomMessage(info.T(), depth - 1) : new Uint8Array(0)}
      if (info.kind === 'map') return {no: info.no, wireType: LEN, value: new Uint8Array(0)}
      const value = this.#randomScalar(info)
      return {no: info.no, wireType: wireTypeOf(info), value}
    })
  }

  /** A random valid encoding of `type`: some of its known fields, set at random. */
  #randomMessage(type: MessageType, depth: number): Uint8Array {
    const fields = type.fields.filter((info) => !this.#isFixed(type, info) && this.#random.chance(0.3)).flatMap((info) => this.#randomField(info, depth))
    return this.#write(fields)
  }

  #randomScalar(info: FieldInfo): bigint | Uint8Array {
    const r = this.#random
    if (info.kind === 'enum') {
      const values = Object.values(info.T()[1]).filter((v): v is number => typeof v === 'number')
      return BigInt(r.pick(values))
    }
    if (info.kind !== 'scalar') throw new TypeError(`${info.name} is not a scalar`)
    if (info.T === STRING) return Buffer.from(randomText(r), 'utf8')
    if (info.T === BYTES) return Uint8Array.from({length: r.int(0, 8)}, () => r.int(0, 255))
    if (info.T === BOOL) return BigInt(r.int(0, 1))
    if (FIXED64_TYPES.has(info.T)) return Uint8Array.from({length: 8}, () => r.int(0, 255))
    if (FIXED32_TYPES.has(info.T)) return Uint8Array.from({length: 4}, () => r.int(0, 255))
    // Varints: small values mostly, now and then one that takes all 64 bits.
    return r.chance(0.8) ? BigInt(r.int(0, 1000)) : BigInt.asUintN(64, BigInt(r.int(0, 2 ** 31)) << 33n)
  }

  /** A field whose number `type` does not know, of any wire type (a group holds more of them). */
  #unknownField(type: MessageType, depth: number): Occurrence {
    const r = this.#random
    const highest = Math.max(0, ...type.fields.map((f) => f.no))
    let no = r.chance(0.2) ? MAX_FIELD_NUMBER : highest + r.int(1, 40)
    while (type.fields.some((f) => f.no === no)) no += 1
    const wireType = r.pick(depth > 0 ? [VARINT, FIXED64, LEN, FIXED32, START_GROUP] : [VARINT, FIXED64, LEN, FIXED32])
    if (wireType === START_GROUP) {
      const inner = Array.from({length: r.int(0, 2)}, () => this.#unknownField(type, depth - 1))
      return {no, wireType, value: this.#write(inner)}
    }
    if (wireType === VARINT) return {no, wireType, value: BigInt(r.int(0, 2 ** 31))}
    const length = wireType === FIXED64 ? 8 : wireType === FIXED32 ? 4 : r.int(0, 12)
    return {no, wireType, value: Uint8Array.from({length}, () => r.int(0, 255))}
  }

  #write(fields: readonly Occurrence[]): Uint8Array {
    const chunks: Uint8Array[] = []
    for (const field of fields) {
      chunks.push(this.#varint(BigInt(field.no * 8 + field.wireType)))
      if (field.wireType === VARINT) chunks.push(this.#varint(field.value as bigint))
      else if (field.wireType === START_GROUP) chunks.push(field.value as Uint8Array, this.#varint(BigInt(field.no * 8 + END_GROUP)))
      else if (field.wireType === LEN) chunks.push(this.#varint(BigInt((field.value as Uint8Array).length)), field.value as Uint8Array)
      else chunks.push(field.value as Uint8Array)
    }
    return Buffer.concat(chunks)
  }

  /** A varint, sometimes padded with continuation bytes to up to 10 bytes (still valid). */
  #varint(value: bigint): Uint8Array {
    const bytes: number[] = []
    let v = value
    do {
      bytes.push(Number(v & 0x7fn))
      v >>= 7n
    } while (v > 0n)
    if (this.#random.chance(this.#options.rates.overlong)) {
      const length = this.#random.int(bytes.length, 10)
      while (bytes.length < length) bytes.push(0)
    }
    for (let i = 0; i < bytes.length - 1; i++) bytes[i] = (bytes[i] as number) | 0x80
    return Uint8Array.from(bytes)
  }
}

/** The message type a length-delimited occurrence of `info` holds, if it is one. */
function nestedType(info: FieldInfo, field: Occurrence): MessageType | undefined {
  if (field.wireType !== LEN) return undefined
  if (info.kind === 'message') return info.T()
  // A map's entry is a message of its own: key = 1, value = 2 (Struct's fields: string to Value).
  if (info.kind === 'map') {
    const fields = [{no: 1, name: 'key', localName: 'key', kind: 'scalar', T: info.K}, {no: 2, name: 'value', localName: 'value', ...info.V}]
    return {typeName: `${info.name} entry`, fields: fields as unknown as MessageType['fields']}
  }
  return undefined
}

function wireTypeOf(info: FieldInfo): number {
  if (info.kind === 'enum') return VARINT
  if (info.kind !== 'scalar') return LEN
  if (info.T === STRING || info.T === BYTES) return LEN
  if (FIXED64_TYPES.has(info.T)) return FIXED64
  if (FIXED32_TYPES.has(info.T)) return FIXED32
  return VARINT
}

function randomText(r: Random): string {
  const alphabet = ['a', 'b', 'Z', '0', ':', '_', 'é', '€', '😀']
  return Array.from({length: r.int(0, 6)}, () => r.pick(alphabet)).join('')
}

/** The occurrences of one message's encoding, in order (a group's body as its bytes). */
export function readOccurrences(bytes: Uint8Array): Occurrence[] {
  return wireFields(bytes).map(({no, wireType, value}) => ({no, wireType, value}))
}
