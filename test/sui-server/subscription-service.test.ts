import assert from 'node:assert/strict'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {clientFor} from './client.ts'

describe('sui test server: SubscribeCheckpoints against the real client', () => {
  let sui: SuiTestServer

  beforeEach(async () => {
    sui = await startSuiServer()
  })
  afterEach(() => sui.close())

  it('streams each new checkpoint from the tip with its cursor, under the read mask', async () => {
    const client = clientFor(sui.port)
    const tipAtStart = sui.ledger.checkpointHeight
    const abort = new AbortController()
    const call = client.subscriptionService.subscribeCheckpoints({readMask: {paths: ['sequence_number', 'transactions.digest']}}, {abort: abort.signal})
    await call.headers
    const frames = []
    const producing = setInterval(() => sui.ledger.generateTraffic({checkpoints: 1, txPerCheckpoint: [3, 5], seed: 3}), 20)
    try {
      for await (const frame of call.responses) {
        frames.push(frame)
        if (frames.length === 3) break
      }
    } finally {
      clearInterval(producing)
      abort.abort()
    }
    assert.deepEqual(frames.map((f) => f.cursor), [tipAtStart + 1n, tipAtStart + 2n, tipAtStart + 3n])
    for (const f of frames) {
      assert.equal(f.checkpoint?.sequenceNumber, f.cursor)
      assert.equal(f.checkpoint?.digest, undefined)
      assert.ok((f.checkpoint?.transactions.length ?? 0) >= 3)
      assert.equal(f.checkpoint?.transactions[0]?.effects, undefined)
    }
  })
})
