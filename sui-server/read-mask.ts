// google.protobuf.FieldMask handling as a Sui node does it: snake_case dotted paths over the
// proto field names; a path selects its whole subtree; a field not named is absent from the reply;
// a path naming no field is INVALID_ARGUMENT. Works on any sui.rpc.v2 message through protobuf-ts
// reflection, including oneof members (`transactions.transaction.kind.programmable_transaction.
// commands.move_call.package`).
import type {GrpcTypes} from '@mysten/sui/grpc'

type FieldInfo = (typeof GrpcTypes.Checkpoint.fields)[number]

/** The reflection a protobuf-ts message type exposes; the `any` is the protobuf edge. */
export interface ReflectedType {
  readonly typeName: string
  readonly fields: readonly FieldInfo[]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  create(): any
}

/** Path segment → subtree; an empty subtree means "the whole field". */
export type MaskTree = Map<string, MaskTree>

export class InvalidReadMask extends Error {
  override name = 'InvalidReadMask'
}

export function parseMask(paths: readonly string[]): MaskTree {
  const root: MaskTree = new Map()
  for (const path of paths) {
    let node = root
    const segments = path.split('.')
    for (const [i, segment] of segments.entries()) {
      const existing = node.get(segment)
      if (existing && existing.size === 0) break // an ancestor already selects everything
      const last = i === segments.length - 1
      const child: MaskTree = last ? new Map() : (existing ?? new Map())
      node.set(segment, child)
      node = child
    }
  }
  return root
}

/** A stable key for caching by mask: the same set of paths in any order gives the same key. */
export function maskKey(paths: readonly string[]): string {
  return [...new Set(paths)].sort().join(',')
}

/** Throws InvalidReadMask when a path names a field the message does not have. */
export function validateMask(type: ReflectedType, tree: MaskTree, prefix = ''): void {
  for (const [name, sub] of tree) {
    const field = type.fields.find((f) => f.name === name)
    if (!field) throw new InvalidReadMask(`invalid read_mask path: ${prefix}${name} is not a field of ${type.typeName}`)
    if (sub.size === 0) continue
    if (field.kind !== 'message') throw new InvalidReadMask(`invalid read_mask path: ${prefix}${name} has no sub-fields`)
    validateMask(field.T() as ReflectedType, sub, `${prefix}${name}.`)
  }
}

/** A copy of `message` holding only the fields the mask selects. */
export function applyMask<T extends object>(type: ReflectedType, message: T, tree: MaskTree): T {
  const source = message as Record<string, unknown>
  const out = type.create() as Record<string, unknown>
  for (const field of type.fields) {
    const sub = tree.get(field.name)
    if (!sub) continue
    const value = field.oneof ? oneofMember(source[field.oneof], field.localName) : source[field.localName]
    if (value === undefined) continue
    const masked = sub.size === 0 || field.kind !== 'message' ? value : maskMessage(field.T() as ReflectedType, value, sub, field.repeat !== 0)
    if (field.oneof) out[field.oneof] = {oneofKind: field.localName, [field.localName]: masked}
    else out[field.localName] = masked
  }
  return out as T
}

function maskMessage(type: ReflectedType, value: unknown, tree: MaskTree, repeated: boolean): unknown {
  if (repeated) return (value as object[]).map((item) => applyMask(type, item, tree))
  return applyMask(type, value as object, tree)
}

function oneofMember(group: unknown, localName: string): unknown {
  const selected = group as {oneofKind?: string; [member: string]: unknown} | undefined
  return selected?.oneofKind === localName ? selected[localName] : undefined
}
