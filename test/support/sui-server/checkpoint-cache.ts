// Encoded checkpoints per read mask. Encoding a 60-transaction checkpoint in JavaScript costs
// milliseconds, which would make this server, not confio, the bottleneck of any throughput
// benchmark (see /work/shared/notes/sui.md, "What checkpoint reading costs"). A sealed checkpoint
// never changes, so its bytes for a given mask are computed once and served from here.
//
// Masks a client has used are remembered ("warm"): each newly sealed checkpoint is encoded for
// them right away, so a follower reading at the tip, or a benchmark reading generated traffic,
// gets bytes that are already there.
import {GrpcTypes} from '@mysten/sui/grpc'
import type {CheckpointRecord} from '../chain-builder.ts'
import type {Ledger} from './ledger.ts'
import {checkpointMessage} from './proto-messages.ts'
import {messageField} from './wire.ts'
import {type MaskTree, type ReflectedType, applyMask, maskKey, parseMask, validateMask} from './read-mask.ts'

/** GetCheckpoint's default when no read_mask is given. */
export const DEFAULT_CHECKPOINT_MASK = ['sequence_number', 'digest']
/** Masks kept warm; the oldest is dropped beyond this. */
const MAX_WARM_MASKS = 8

interface MaskEntry {
  tree: MaskTree
  bytes: Map<bigint, Buffer>
}

export class CheckpointCache {
  #masks = new Map<string, MaskEntry>()
  #warm: string[] = []

  constructor(ledger: Ledger) {
    ledger.onCheckpoint((cp) => {
      for (const key of this.#warm) this.#encode(cp, key)
    })
    ledger.onPrune((lowest) => {
      for (const entry of this.#masks.values()) for (const seq of entry.bytes.keys()) if (seq < lowest) entry.bytes.delete(seq)
    })
  }

  /**
   * The checkpoint under these mask paths, encoded as field 1 of a message: exactly the bytes of
   * GetCheckpointResponse{checkpoint}, served without a copy (ListCheckpointsResponse has it as
   * field 1 too). Throws InvalidReadMask.
   */
  encoded(cp: CheckpointRecord, paths: readonly string[] | undefined): Buffer {
    const key = this.#register(paths?.length ? paths : DEFAULT_CHECKPOINT_MASK)
    return this.#masks.get(key)?.bytes.get(cp.sequenceNumber) ?? this.#encode(cp, key)
  }

  /** Validates the mask and keeps it warm for checkpoints sealed from now on; returns its key. */
  warm(paths: readonly string[]): string {
    return this.#register(paths)
  }

  /** Drops every cached encoding (memory) but keeps the warm masks. */
  clear(): void {
    for (const entry of this.#masks.values()) entry.bytes.clear()
  }

  #register(paths: readonly string[]): string {
    const key = maskKey(paths)
    if (!this.#masks.has(key)) {
      const tree = parseMask(paths)
      validateMask(GrpcTypes.Checkpoint as unknown as ReflectedType, tree)
      this.#masks.set(key, {tree, bytes: new Map()})
    }
    if (!this.#warm.includes(key)) {
      this.#warm.push(key)
      const dropped = this.#warm.length > MAX_WARM_MASKS ? this.#warm.shift() : undefined
      if (dropped) this.#masks.delete(dropped)
    }
    return key
  }

  #encode(cp: CheckpointRecord, key: string): Buffer {
    const entry = this.#masks.get(key)
    if (!entry) throw new Error(`read mask ${key} is not registered`)
    const message = applyMask(GrpcTypes.Checkpoint as unknown as ReflectedType, checkpointMessage(cp), entry.tree)
    const bytes = messageField(1, GrpcTypes.Checkpoint.toBinary(message))
    entry.bytes.set(cp.sequenceNumber, bytes)
    return bytes
  }
}
