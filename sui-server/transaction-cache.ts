// Encoded transactions for BatchGetTransactions, per read mask, for the transactions a client
// asked to have ready. Encoding one executed transaction with its events' JSON costs this server
// about 100 µs of JavaScript; a benchmark whose poller fetches tens of thousands of them would
// measure this server, which shares the machine's cores with confio, not confio (a real node is
// remote). Like CheckpointCache, it only saves work: the bytes are the ones the message encodes to.
import {GrpcTypes} from '@mysten/sui/grpc'

import type {Ledger, LocatedTransaction} from './ledger.ts'
import {maskKey} from './read-mask.ts'

export class TransactionCache {
  readonly #ledger: Ledger
  /** Per mask key: encoded ExecutedTransaction bytes by digest. */
  readonly #masks = new Map<string, Map<string, Uint8Array>>()

  constructor(ledger: Ledger) {
    this.#ledger = ledger
  }

  /** Encodes these transactions now, for this mask, with `message`; unknown digests are skipped. */
  warm(digests: readonly string[], paths: readonly string[], message: (found: LocatedTransaction, paths: readonly string[]) => GrpcTypes.ExecutedTransaction): number {
    const key = maskKey(paths)
    let bytes = this.#masks.get(key)
    if (bytes === undefined) this.#masks.set(key, (bytes = new Map()))
    let warmed = 0
    for (const digest of digests) {
      const found = this.#ledger.transaction(digest)
      // Only checkpointed transactions: a pending one's reply changes when it is sealed.
      if (found?.checkpoint === undefined || bytes.has(digest)) continue
      bytes.set(digest, GrpcTypes.ExecutedTransaction.toBinary(message(found, paths)))
      warmed++
    }
    return warmed
  }

  /** The encoded transaction, if it was warmed for this mask. */
  encoded(digest: string, paths: readonly string[] | undefined): Uint8Array | undefined {
    return paths?.length ? this.#masks.get(maskKey(paths))?.get(digest) : undefined
  }
}
