// The details stage's batches: what a take gathers. Behind the tip (a catch-up) it waits for the
// checkpoints after it, up to a full batch; at the tip (live) it takes what is there. Checkpoints
// here keep nothing, so no details are fetched (commit-stages.test.ts covers the fetching).
import assert from 'node:assert/strict'

import {BatchPreparer, type PreparedBatch} from '../../src/ingest/batch-preparer.ts'
import {BoundedChannel} from '../../src/ingest/bounded-channel.ts'
import type {TransactionDetailsReader} from '../../src/ingest/details-fetcher.ts'
import type {DecidedCheckpoint} from '../../src/ingest/relevance-decider.ts'

const NO_CHAIN: TransactionDetailsReader = {
  transactionDetails: () => Promise.reject(new Error('no details call expected')),
  eventContents: () => Promise.reject(new Error('no details call expected')),
}

function decided(sequenceNumber: bigint): DecidedCheckpoint {
  return {sequenceNumber, timestampMs: 0, transactions: 1, relevant: []}
}

/** The preparer over a decided channel the test feeds; its batches as first..last. */
function preparing(options: {maxBatch: number; tip: () => bigint | undefined}) {
  const input = new BoundedChannel<DecidedCheckpoint>(100)
  const output = new BoundedChannel<Promise<PreparedBatch>>(100)
  const run = new BatchPreparer({chain: NO_CHAIN, maxBatch: options.maxBatch, tip: options.tip}).run(input, output)
  const batches = async (): Promise<string[]> => {
    await run
    const taken: string[] = []
    for (let next = await output.take(1); next; next = await output.take(1)) {
      const batch = await next[0]!
      taken.push(`${batch.first}..${batch.last}`)
    }
    return taken
  }
  return {input, output, batches}
}

/** Lets the preparer's pending takes and waits run. */
const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('BatchPreparer', () => {
  it('behind the tip, a take waits for the checkpoints after it, up to a full batch', async () => {
    const {input, batches} = preparing({maxBatch: 4, tip: () => 100n})
    for (let seq = 1n; seq <= 6n; seq++) {
      await input.put(decided(seq))
      await turn()
    }
    input.close()
    assert.deepEqual(await batches(), ['1..4', '5..6'])
  })

  it('at the tip, a take is what is there: a live checkpoint waits for none after it', async () => {
    let tip = 1n
    const {input, output, batches} = preparing({maxBatch: 4, tip: () => tip})
    await input.put(decided(1n))
    // Put as soon as it is taken: the commit stage has it while the next is still unsealed.
    const first = await output.take(1)
    assert.equal((await first![0]!).last, 1n)
    tip = 2n
    await input.put(decided(2n))
    input.close()
    assert.deepEqual(await batches(), ['2..2'])
  })

  it('without a tip (a preparer not told one), never waits', async () => {
    const {input, output} = preparing({maxBatch: 4, tip: () => undefined})
    await input.put(decided(1n))
    const first = await output.take(1)
    assert.equal((await first![0]!).last, 1n)
    input.close()
  })

  it('puts the batch in hand when its input ends or fails while it waits, then ends or fails', async () => {
    const ended = preparing({maxBatch: 10, tip: () => 100n})
    await ended.input.put(decided(1n))
    await turn()
    ended.input.close()
    assert.deepEqual(await ended.batches(), ['1..1'])

    const failed = preparing({maxBatch: 10, tip: () => 100n})
    await failed.input.put(decided(1n))
    await turn()
    failed.input.fail(new Error('read failed'))
    const batch = await failed.output.take(1)
    assert.equal((await batch![0]!).last, 1n)
    await assert.rejects(failed.output.take(1), /read failed/)
  })

  it('behind a tip that the reader does not reach, puts what it has after a while', async () => {
    const {input, output} = preparing({maxBatch: 10, tip: () => 100n})
    await input.put(decided(1n))
    await input.put(decided(2n))
    const batch = await output.take(1)
    assert.equal(`${(await batch![0]!).first}..${(await batch![0]!).last}`, '1..2')
    input.close()
  })
})
