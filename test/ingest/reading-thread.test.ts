// The poller's reading thread against the local Sui server: the main thread's view of it is the
// contract the poller's account handling rests on (a change applies between two checkpoints, and
// the thread says which), and what must stay one per process (metrics) or keep its meaning across
// the thread (a pruned range) does.
import assert from 'node:assert/strict'
import {chainMetrics, type CheckpointView} from '../../src/chain/index.ts'
import {AddressSet} from '../../src/ingest/address-set.ts'
import {PrunedRangeError} from '../../src/ingest/pruned-range-error.ts'
import {ReadingThread} from '../../src/ingest/reading-thread.ts'
import {startSuiServer, type SuiTestServer} from '../../sui-server/index.ts'
import {testOptions} from '../chain/chain-test-support.ts'

const SUI = '0x2::sui::SUI'

describe('ReadingThread', function () {
  this.timeout(30_000)
  let sui: SuiTestServer
  let thread: ReadingThread | undefined

  beforeEach(async () => {
    // Every transaction plain, so the screen alone says which are decoded.
    sui = await startSuiServer({splitMessages: 0})
  })

  afterEach(async () => {
    await thread?.close()
    thread = undefined
    await sui.close()
  })

  function start(first: bigint, last: bigint): ReadingThread {
    const logs: string[] = []
    thread = new ReadingThread({
      data: {chain: testOptions(sui.url), packages: [], start: first, source: {mode: 'poll', intervalMs: 20, stopAfter: last}},
      logger: {warn: (_fields, message) => logs.push(message)},
      onTip: () => undefined,
    })
    return thread
  }

  const keysOf = (...addresses: string[]) => {
    const set = new AddressSet()
    for (const address of addresses) set.add(address)
    return {addressKeys: () => set.keyBytes()}
  }

  it('applies a change of accounts between two checkpoints, and says which, in order with them', async () => {
    const {ledger} = sui
    const [alice, bob, dave] = ['alice', 'bob', 'dave'].map((name) => ledger.createAddress(name)) as [string, string, string]
    ledger.mint(bob, SUI, 1_000_000_000n)
    ledger.produceCheckpoint()
    const first = ledger.checkpointHeight + 1n
    const toDave = new Map<bigint, string>()
    for (let i = 0; i < 300; i++) {
      const digest = ledger.transfer({from: bob, to: dave, coinType: SUI, amount: 1n}).digest
      toDave.set(ledger.produceCheckpoint(), digest)
    }
    const last = ledger.checkpointHeight
    const reading = start(first, last)
    const seen: {checkpoint: CheckpointView; afterChange: boolean}[] = []
    let nextToScreen: bigint | undefined
    let change: Promise<void> | undefined
    for await (const checkpoint of reading.checkpoints(keysOf(alice), new AbortController().signal)) {
      seen.push({checkpoint, afterChange: nextToScreen !== undefined})
      if (seen.length === 10) change = reading.changeScreen({added: [dave], removed: []}, (next) => (nextToScreen = next))
      // Taken slowly, so that the thread reads ahead of the change.
      if (seen.length % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await change
    assert.ok(nextToScreen !== undefined, 'the change was applied')
    const from: bigint = nextToScreen
    assert.deepEqual(seen.map((s) => s.checkpoint.sequenceNumber), Array.from({length: Number(last - first) + 1}, (_, i) => first + BigInt(i)), 'each checkpoint once, in order')
    assert.ok(from > seen[9]!.checkpoint.sequenceNumber + 1n, `the thread had read ahead of the main thread (change applied from ${from})`)
    for (const {checkpoint, afterChange} of seen) {
      const screenedWith = checkpoint.sequenceNumber >= from
      assert.equal(afterChange, screenedWith, `checkpoint ${checkpoint.sequenceNumber} came ${afterChange ? 'after' : 'before'} the answer`)
      const digests = checkpoint.transactions.map((tx) => tx.digest)
      const daves = toDave.get(checkpoint.sequenceNumber)
      assert.deepEqual(digests, screenedWith && daves ? [daves] : [], `checkpoint ${checkpoint.sequenceNumber} screened ${screenedWith ? 'with' : 'without'} dave`)
    }
  })

  it('counts its calls in the process chain metrics and applies a change at once before it reads', async () => {
    const {ledger} = sui
    const dave = ledger.createAddress('dave')
    const bob = ledger.createAddress('bob')
    ledger.mint(bob, SUI, 1_000_000_000n)
    ledger.produceCheckpoint()
    const first = ledger.checkpointHeight + 1n
    const digest = ledger.transfer({from: bob, to: dave, coinType: SUI, amount: 1n}).digest
    const last = ledger.produceCheckpoint()
    const calls = () => chainMetrics.snapshot().methods.ListCheckpoints?.calls ?? 0
    const before = calls()
    const reading = start(first, last)
    let appliedAt: bigint | undefined
    await reading.changeScreen({added: [dave], removed: []}, (next) => (appliedAt = next))
    assert.equal(appliedAt, first, 'before the reading, a change applies from the first checkpoint (the set it is given includes it)')
    const read: CheckpointView[] = []
    for await (const checkpoint of reading.checkpoints(keysOf(dave), new AbortController().signal)) read.push(checkpoint)
    assert.deepEqual(read.flatMap((c) => c.transactions.map((tx) => tx.digest)), [digest])
    assert.ok(calls() > before, 'the thread\'s ListCheckpoints calls count in the process metrics')
    let late = false
    await reading.changeScreen({added: [], removed: [dave]}, () => (late = true))
    assert.equal(late, false, 'after the reading ended a change never applies')
  })

  it('fails with the pruned range as the poller knows it', async () => {
    const {ledger} = sui
    ledger.generateTraffic({checkpoints: 30, relevantShare: 0})
    ledger.prune(20n)
    const reading = start(2n, ledger.checkpointHeight)
    await assert.rejects(
      async () => {
        for await (const checkpoint of reading.checkpoints(keysOf(), new AbortController().signal)) assert.fail(`read ${checkpoint.sequenceNumber}`)
      },
      (error: unknown) => error instanceof PrunedRangeError && error.from === 2n && error.lowestAvailable === 20n,
    )
  })
})
