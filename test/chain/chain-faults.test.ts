// The error policy against injected faults on the local Sui server: retries (attempts counted by
// the server), deadlines, the client-side rate limit, ListCheckpoints fallback, auth and secrets.
import assert from 'node:assert/strict'

import {ChainError} from '../../src/chain/chain-error.ts'
import {TokenBucket} from '../../src/support/token-bucket.ts'
import {startSuiServer} from '../../sui-server/index.ts'
import type {SuiTestServer} from '../../sui-server/index.ts'
import {collect, testReader} from './chain-test-support.ts'

describe('chain layer under faults', () => {
  let server: SuiTestServer

  before(async () => {
    server = await startSuiServer()
  })
  after(async () => {
    await server.close()
  })
  beforeEach(() => server.faults.reset())

  it('retries UNAVAILABLE up to maxAttempts, then fails naming method, status and attempts', async () => {
    const chain = testReader(server.url, {maxAttempts: 4})
    server.faults.failRate('GetServiceInfo', 'UNAVAILABLE', 1)
    const error = await chain.serviceInfo().catch((e: unknown) => e)
    chain.close()
    assert.ok(error instanceof ChainError)
    assert.equal(server.faults.calls('GetServiceInfo'), 4)
    assert.equal(error.attempts, 4)
    assert.equal(error.status, 'UNAVAILABLE')
    assert.equal(error.method, 'GetServiceInfo')
    assert.match(error.message, /^GetServiceInfo failed with UNAVAILABLE after 4 attempts/)
  })

  it('gets through intermittent RESOURCE_EXHAUSTED, one attempt per failure', async () => {
    const logs: string[] = []
    const chain = testReader(server.url, {maxAttempts: 10}, logs)
    server.faults.set({seed: 7}).failRate('GetCheckpoint', 'RESOURCE_EXHAUSTED', 0.5)
    for (let i = 0; i < 10; i++) await chain.checkpoint(0n)
    const m = chain.metrics().methods.GetCheckpoint
    chain.close()
    assert.ok(m)
    assert.equal(server.faults.calls('GetCheckpoint'), m.calls)
    assert.equal(m.calls, 10 + (m.errors.RESOURCE_EXHAUSTED ?? 0))
    assert.ok((m.errors.RESOURCE_EXHAUSTED ?? 0) > 0, 'some attempts failed')
    assert.equal(m.retries, m.errors.RESOURCE_EXHAUSTED)
    assert.equal(logs.length, m.retries)
  })

  it('does not retry a status that is an answer (UNIMPLEMENTED, NOT_FOUND)', async () => {
    const chain = testReader(server.url, {maxAttempts: 5})
    const error = await chain.checkpoint(99_999n).catch((e: unknown) => e)
    chain.close()
    assert.ok(error instanceof ChainError)
    assert.equal(error.attempts, 1)
    assert.equal(server.faults.calls('GetCheckpoint'), 1)
  })

  it('gives every call a deadline, retried as DEADLINE_EXCEEDED', async () => {
    const chain = testReader(server.url, {deadlineMs: 100, maxAttempts: 2})
    server.faults.latency('GetServiceInfo', 400)
    const started = performance.now()
    const error = await chain.serviceInfo().catch((e: unknown) => e)
    const elapsed = performance.now() - started
    chain.close()
    assert.ok(error instanceof ChainError)
    assert.equal(error.status, 'DEADLINE_EXCEEDED')
    assert.equal(error.attempts, 2)
    assert.ok(elapsed >= 200 && elapsed < 380, `two 100 ms deadlines took ${elapsed} ms`)
  })

  it('holds the client-side rate limit: no second sees more than burst + rate calls', async () => {
    // The client allows 20/s with a burst of 20: at most 40 in any one-second window. The server
    // refuses more than 45 (a little slack for arrival jitter), and counts every call.
    const bucket = new TokenBucket({requestsPerSecond: 20})
    const sent: number[] = []
    const recording = {acquire: (signal?: AbortSignal) => bucket.acquire(signal).then(() => void sent.push(performance.now()))}
    const chain = testReader(server.url, {requestsPerSecond: 20, maxAttempts: 1, maxConcurrency: 50}, [], {rateLimiter: recording})
    await chain.ping() // connect first, so the burst is not held back behind the handshake
    await new Promise((r) => setTimeout(r, 1000))
    server.faults.reset()
    server.faults.rpsLimit(45)
    sent.length = 0
    const started = performance.now()
    await Promise.all(Array.from({length: 70}, () => chain.ping()))
    const elapsed = performance.now() - started
    chain.close()
    assert.equal(server.faults.calls('GetServiceInfo'), 70)
    // 20 at once, then 50 more at 20/s.
    assert.ok(elapsed >= 2_400, `70 calls at 20/s took only ${elapsed} ms`)
    assert.equal(sent.length, 70)
    for (const t of sent) {
      const inWindow = sent.filter((u) => u >= t && u < t + 1000).length
      assert.ok(inWindow <= 41, `${inWindow} calls sent within one second`)
    }
  })

  it('without the client limit the same burst is refused by the server (the test can fail)', async () => {
    server.faults.rpsLimit(45)
    const chain = testReader(server.url, {requestsPerSecond: 10_000, maxAttempts: 1, maxConcurrency: 50})
    const results = await Promise.allSettled(Array.from({length: 70}, () => chain.ping()))
    chain.close()
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof ChainError && r.reason.status === 'RESOURCE_EXHAUSTED')
    assert.equal(refused.length, 25)
  })

  it('falls back to GetCheckpoint when ListCheckpoints is UNIMPLEMENTED, and asks only once', async () => {
    const old = await startSuiServer({listCheckpoints: false})
    try {
      const traffic = old.ledger.generateTraffic({checkpoints: 30, txPerCheckpoint: [3, 6], seed: 9})
      const chain = testReader(old.url, {maxConcurrency: 4})
      const first = await collect(chain.checkpoints(traffic.firstCheckpoint, traffic.lastCheckpoint))
      const second = await collect(chain.checkpoints(traffic.firstCheckpoint, traffic.firstCheckpoint + 9n))
      chain.close()
      assert.equal(chain.listCheckpointsSupport, 'unimplemented')
      assert.deepEqual(first.map((c) => c.sequenceNumber), Array.from({length: 30}, (_, i) => traffic.firstCheckpoint + BigInt(i)))
      assert.equal(second.length, 10)
      assert.equal(old.faults.calls('ListCheckpoints'), 1)
      assert.equal(old.faults.calls('GetCheckpoint'), 40)
    } finally {
      await old.close()
    }
  })

  it('fallback keeps order with slow, concurrent GetCheckpoint calls', async () => {
    const old = await startSuiServer({listCheckpoints: false})
    try {
      const traffic = old.ledger.generateTraffic({checkpoints: 16, txPerCheckpoint: [1, 2], seed: 11})
      old.faults.latency('GetCheckpoint', 50)
      const chain = testReader(old.url, {maxConcurrency: 8})
      const started = performance.now()
      const got = await collect(chain.checkpoints(traffic.firstCheckpoint, traffic.lastCheckpoint))
      const elapsed = performance.now() - started
      chain.close()
      assert.deepEqual(got.map((c) => c.sequenceNumber), Array.from({length: 16}, (_, i) => traffic.firstCheckpoint + BigInt(i)))
      // 16 calls of 50 ms, 8 at a time: ~100 ms, not 800.
      assert.ok(elapsed < 500, `took ${elapsed} ms`)
    } finally {
      await old.close()
    }
  })

  it('sends the token as x-token; a wrong one is UNAUTHENTICATED and never shown', async () => {
    const guarded = await startSuiServer({requireToken: 'qn-token-0123456789'})
    try {
      const good = testReader(guarded.url, {token: 'qn-token-0123456789'})
      assert.ok((await good.serviceInfo()).chainId)
      good.close()

      const wrongToken = 'qn-token-WRONG-987654'
      const bad = testReader(guarded.url, {token: wrongToken, headers: {authorization: 'Bearer hdr-secret-55555'}})
      const error = await bad.serviceInfo().catch((e: unknown) => e)
      bad.close()
      assert.ok(error instanceof ChainError)
      assert.equal(error.status, 'UNAUTHENTICATED')
      assert.equal(error.attempts, 1)
      const shown = [error.message, error.details, error.stack ?? '', JSON.stringify(error), bad.endpoint].join('\n')
      assert.equal(shown.includes(wrongToken), false)
      assert.equal(shown.includes('hdr-secret-55555'), false)
    } finally {
      await guarded.close()
    }
  })

  it('keeps the token out of retried and timed-out failures', async () => {
    const secret = 'echo-secret-abcdef'
    const chain = testReader(server.url, {token: secret, maxAttempts: 2, deadlineMs: 50})
    server.faults.failRate('GetServiceInfo', 'UNAVAILABLE', 1)
    const e1 = await chain.serviceInfo().catch((e: unknown) => e)
    server.faults.reset()
    server.faults.latency('GetServiceInfo', 200)
    const e2 = await chain.serviceInfo().catch((e: unknown) => e)
    chain.close()
    for (const e of [e1, e2]) {
      assert.ok(e instanceof ChainError)
      assert.equal(`${e.message} ${e.stack}`.includes(secret), false)
    }
  })
})
