import assert from 'node:assert/strict'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {clientFor, statusOf} from './client.ts'

describe('sui test server: faults', () => {
  let sui: SuiTestServer

  beforeEach(async () => {
    sui = await startSuiServer()
  })
  afterEach(() => sui.close())

  const info = (port: number, token?: string) => clientFor(port, token).ledgerService.getServiceInfo({})

  it('delays a method by its latency', async () => {
    sui.faults.latency('GetServiceInfo', 150)
    const started = performance.now()
    await info(sui.port)
    assert.ok(performance.now() - started >= 140)
    const other = performance.now()
    await clientFor(sui.port).ledgerService.getCheckpoint({checkpointId: {oneofKind: undefined}})
    assert.ok(performance.now() - other < 140)
  })

  it('answers UNAVAILABLE and RESOURCE_EXHAUSTED at their rates, reproducibly by seed, and counts attempts', async () => {
    sui.faults.set({seed: 42}).failRate('GetServiceInfo', 'UNAVAILABLE', 0.5)
    const first = await Promise.all(Array.from({length: 40}, () => statusOf(info(sui.port))))
    const unavailable = first.filter((s) => s === 'UNAVAILABLE').length
    assert.ok(unavailable > 5 && unavailable < 35, `${unavailable} of 40`)
    assert.deepEqual(new Set(first), new Set(['OK', 'UNAVAILABLE']))
    assert.equal(sui.faults.calls('GetServiceInfo'), 40)

    sui.faults.reset()
    assert.equal(sui.faults.calls('GetServiceInfo'), 0)
    sui.faults.failRate('*', 'RESOURCE_EXHAUSTED', 1)
    assert.equal(await statusOf(info(sui.port)), 'RESOURCE_EXHAUSTED')
    sui.faults.reset()
    assert.equal(await statusOf(info(sui.port)), 'OK')
  })

  it('answers RESOURCE_EXHAUSTED beyond the requests-per-second limit', async () => {
    sui.faults.rpsLimit(5)
    const statuses = []
    for (let i = 0; i < 8; i++) statuses.push(await statusOf(info(sui.port)))
    assert.deepEqual(statuses, ['OK', 'OK', 'OK', 'OK', 'OK', 'RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED'])
  })

  it('ends streams after N frames with a status the client sees', async () => {
    sui.faults.endStreamsAfter('ListCheckpoints', 2)
    for (let i = 0; i < 5; i++) sui.ledger.produceCheckpoint()
    const call = clientFor(sui.port).ledgerService.listCheckpoints({startCheckpoint: 0n})
    const received: bigint[] = []
    const status = await statusOf((async () => {
      for await (const frame of call.responses) if (frame.checkpoint?.sequenceNumber !== undefined) received.push(frame.checkpoint.sequenceNumber)
    })())
    assert.equal(status, 'UNAVAILABLE')
    assert.deepEqual(received, [0n, 1n])
  })

  it('requires the x-token header when started with requireToken', async () => {
    const guarded = await startSuiServer({requireToken: 's3cret'})
    try {
      assert.equal(await statusOf(info(guarded.port)), 'UNAUTHENTICATED')
      assert.equal(await statusOf(info(guarded.port, 'wrong')), 'UNAUTHENTICATED')
      assert.equal(await statusOf(info(guarded.port, 's3cret')), 'OK')
      const stream = clientFor(guarded.port).subscriptionService.subscribeCheckpoints({})
      assert.equal(await statusOf((async () => { for await (const _ of stream.responses) void _ })()), 'UNAUTHENTICATED')
      guarded.faults.reset() // the token stays required after a reset
      assert.equal(await statusOf(info(guarded.port)), 'UNAUTHENTICATED')
    } finally {
      await guarded.close()
    }
  })
})
