// Encoded checkpoints per read mask. Encoding a 60-transaction checkpoint in JavaScript costs
// milliseconds, which would make this server, not confio, the bottleneck of any throughput
// benchmark (see /work/shared/notes/sui.md, "What checkpoint reading costs"). A sealed checkpoint
// never changes, so its bytes for a given mask are computed once and served from here.
//
// Masks a client has used are remembered ("warm"): each newly sealed checkpoint is encoded for
// them right away, so a follower reading at the tip, or a benchmark reading generated traffic,
// gets bytes that are already there.
import {GrpcTypes} from '@mysten/sui/grpc'
import type {CheckpointRecord} from './chain-builder.ts'
import type {Ledger} from './ledger.ts'
import {checkpointMessage} from './proto-messages.ts'
import {messageField} from './wire.ts'
import {type MaskTree, type ReflectedType, applyMask, maskKey, parseMask, validateMask} from './read-mask.ts'

/** GetCheckpoint's default when no read_mask is given. */
export const DEFAULT_CHECKPOINT_MASK = ['sequence_number', 'digest']
/** Masks kept warm; the oldest is dropped beyond this. */
const MAX_WARM_MASKS = 8

/** A ListCheckpointsResponse frame; its first `checkpointBytes` are the checkpoint field alone. */
interface Encoded {
  frame: Buffer
  checkpointBytes: number
}

interface MaskEntry {
  tree: MaskTree
  bytes: Map<bigint, Encoded>
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
   * GetCheckpointResponse{checkpoint}, served without a copy. Throws InvalidReadMask.
   */
  encoded(cp: CheckpointRecord, paths: readonly string[] | undefined): Buffer {
    const {frame, checkpointBytes} = this.#get(cp, paths)
    return frame.subarray(0, checkpointBytes)
  }

  /**
   * ListCheckpointsResponse{checkpoint = 1, watermark = 2} for this checkpoint: what every frame
   * but the last of a stream is, served as is. Building it per frame (a concat of ~100 KB) made
   * each frame two large allocations in this server, one more than grpc-js' own framing, and
   * their cost showed up in the benchmark's figure for the server rather than confio's.
   */
  listFrame(cp: CheckpointRecord, paths: readonly string[] | undefined): Buffer {
    return this.#get(cp, paths).frame
  }

  #get(cp: CheckpointRecord, paths: readonly string[] | undefined): Encoded {
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

  #encode(cp: CheckpointRecord, key: string): Encoded {
    const entry = this.#masks.get(key)
    if (!entry) throw new Error(`read mask ${key} is not registered`)
    const message = applyMask(GrpcTypes.Checkpoint as unknown as ReflectedType, checkpointMessage(cp), entry.tree)
    const checkpoint = messageField(1, GrpcTypes.Checkpoint.toBinary(message)) // checkpoint = 1
    const encoded = {frame: Buffer.concat([checkpoint, messageField(2, watermarkOf(cp.sequenceNumber))]), checkpointBytes: checkpoint.length} // watermark = 2
    entry.bytes.set(cp.sequenceNumber, encoded)
    return encoded
  }
}

/** ListCheckpoints cursors: the 8-byte big-endian sequence number. */
export function cursorOf(seq: bigint): Uint8Array {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(seq)
  return bytes
}

/** sui.rpc.v2.Watermark { bytes cursor = 1; uint64 checkpoint = 2 } after this checkpoint. */
function watermarkOf(seq: bigint): Uint8Array {
  return GrpcTypes.Watermark.toBinary({cursor: cursorOf(seq), checkpoint: seq})
}
