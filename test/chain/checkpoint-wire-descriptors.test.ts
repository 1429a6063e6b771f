// Every field the hand-written reader takes off the wire, against the SDK's own message
// descriptors: if sui.rpc.v2 renumbers, retypes or adds a transaction kind or command in an SDK
// upgrade, this fails the build instead of the poller misreading (or silently skipping) it.
import assert from 'node:assert/strict'

import {GrpcTypes} from '@mysten/sui/grpc'

import {KNOWN_TRANSACTION_KINDS, WIRE_MESSAGES} from '../../src/chain/wire/wire-messages.ts'
import type {WireMessage} from '../../src/chain/wire/wire-reader.ts'

type FieldInfo = (typeof GrpcTypes.Checkpoint.fields)[number]

interface Descriptor {
  readonly typeName: string
  readonly fields: readonly FieldInfo[]
}

// protobuf-ts ScalarType numbers (protobuf's FieldDescriptorProto.Type) by wire type; the rest are varints.
const FIXED64_SCALARS = new Set([1, 6, 16]) // double, fixed64, sfixed64
const FIXED32_SCALARS = new Set([2, 7, 15]) // float, fixed32, sfixed32
const LENGTH_DELIMITED_SCALARS = new Set([9, 12]) // string, bytes
const PACKED = 1 // RepeatType.PACKED

/** The wire type a field of this descriptor is written with. */
function wireTypeOf(field: FieldInfo): number {
  if (field.kind === 'message' || field.kind === 'map') return 2
  if (field.repeat === PACKED) return 2
  if (field.kind === 'enum') return 0
  if (FIXED64_SCALARS.has(field.T)) return 1
  if (FIXED32_SCALARS.has(field.T)) return 5
  return LENGTH_DELIMITED_SCALARS.has(field.T) ? 2 : 0
}

/**
 * Every message reachable from the services the reader decodes replies of, by full name. A map
 * field's entries become a message of their own (`<Message>.<Field>Entry`, key = 1, value = 2),
 * as protobuf writes them.
 */
function sdkDescriptors(): Map<string, Descriptor> {
  const found = new Map<string, Descriptor>()
  const visit = (type: Descriptor): void => {
    if (found.has(type.typeName)) return
    found.set(type.typeName, type)
    for (const field of type.fields) {
      if (field.kind === 'message') visit(field.T() as Descriptor)
      if (field.kind !== 'map') continue
      const entryName = `${type.typeName}.${field.localName[0]?.toUpperCase()}${field.localName.slice(1)}Entry`
      const key = {no: 1, name: 'key', localName: 'key', kind: 'scalar', T: field.K} as FieldInfo
      const value = {...field.V, no: 2, name: 'value', localName: 'value'} as FieldInfo
      visit({typeName: entryName, fields: [key, value]})
    }
  }
  for (const service of [GrpcTypes.LedgerService, GrpcTypes.SubscriptionService]) {
    for (const method of service.methods) visit(method.O as unknown as Descriptor)
  }
  return found
}

const descriptors = sdkDescriptors()

function descriptorOf(message: WireMessage): Descriptor {
  const descriptor = descriptors.get(message.typeName)
  assert.ok(descriptor, `${message.typeName} is not a message of the SDK's ledger or subscription service`)
  return descriptor
}

describe('checkpoint wire reader against the SDK descriptors', () => {
  it('reads every field under the number, name and wire type the SDK has for it', () => {
    let checked = 0
    for (const message of WIRE_MESSAGES) {
      const descriptor = descriptorOf(message)
      for (const [name, {no, wireType}] of Object.entries(message.fields)) {
        const field = descriptor.fields.find((f) => f.no === no)
        assert.ok(field, `${message.typeName} has no field ${no} (the reader reads ${name} there)`)
        assert.equal(field.name, name, `${message.typeName} field ${no}`)
        assert.equal(wireType, wireTypeOf(field), `${message.typeName}.${name} (field ${no}): wire type`)
        checked += 1
      }
    }
    // The reader's table is not empty by accident: 28 messages, ~70 fields.
    assert.ok(WIRE_MESSAGES.length >= 28 && checked >= 70, `checked ${checked} fields of ${WIRE_MESSAGES.length} messages`)
  })

  it('knows every transaction kind and command the SDK knows, so any other is a newer one', () => {
    for (const typeName of ['sui.rpc.v2.TransactionKind', 'sui.rpc.v2.Command']) {
      const message = WIRE_MESSAGES.find((m) => m.typeName === typeName)
      assert.ok(message)
      const sdk = descriptorOf(message).fields.map((f) => `${f.no} ${f.name}`)
      const reader = Object.entries(message.fields).map(([name, {no}]) => `${no} ${name}`)
      assert.deepEqual(reader.sort(), sdk.sort(), `${typeName}: classify each new field in checkpoint-wire.ts`)
    }
  })

  it('knows every TransactionKind.Kind value the SDK knows but KIND_UNKNOWN', () => {
    const sdk = Object.entries(GrpcTypes.TransactionKind_Kind)
      .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] !== 0)
      .map(([name, value]) => [value, name] as const)
    assert.deepEqual([...KNOWN_TRANSACTION_KINDS].sort(([a], [b]) => a - b), sdk.sort(([a], [b]) => a - b))
  })
})
