import assert from 'node:assert/strict'

import {ChainMetrics} from '../../src/chain/chain-metrics.ts'
import {backoffDelayMs} from '../../src/support/backoff.ts'
import {TokenBucket} from '../../src/support/token-bucket.ts'

describe('backoff', () => {
  it('doubles from the base, is capped, and is jittered below the ceiling', () => {
    const top = () => 0.999999
    assert.equal(backoffDelayMs({baseMs: 100, maxMs: 1000}, 1, top), 99)
    assert.equal(backoffDelayMs({baseMs: 100, maxMs: 1000}, 3, top), 399)
    assert.equal(backoffDelayMs({baseMs: 100, maxMs: 1000}, 10, top), 999)
    assert.equal(backoffDelayMs({baseMs: 100, maxMs: 1000}, 10, () => 0), 0)
  })
})

describe('TokenBucket', () => {
  it('lets a burst through, then holds the rate', async () => {
    const bucket = new TokenBucket({requestsPerSecond: 50})
    const started = performance.now()
    const times: number[] = []
    await Promise.all(Array.from({length: 100}, () => bucket.acquire().then(() => times.push(performance.now() - started))))
    // 50 at once (the burst), the other 50 at 50/s: about one second.
    assert.equal(times.filter((t) => t < 15).length, 50)
    const elapsed = Math.max(...times)
    assert.ok(elapsed >= 900 && elapsed < 1400, `took ${elapsed} ms`)
  })

  it('lets an aborted waiter go without taking a token', async () => {
    const bucket = new TokenBucket({requestsPerSecond: 1})
    await bucket.acquire()
    const controller = new AbortController()
    const waiting = bucket.acquire(controller.signal)
    controller.abort(new Error('gone'))
    await assert.rejects(waiting, /gone/)
  })
})

describe('ChainMetrics', () => {
  it('counts calls, errors by status and cumulative latency buckets', () => {
    const metrics = new ChainMetrics()
    metrics.recordAttempt('GetCheckpoint', 3, undefined, false)
    metrics.recordAttempt('GetCheckpoint', 30, 'UNAVAILABLE', false)
    metrics.recordAttempt('GetCheckpoint', 20_000, undefined, true)
    const m = metrics.snapshot().methods.GetCheckpoint
    assert.ok(m)
    assert.equal(m.calls, 3)
    assert.equal(m.retries, 1)
    assert.deepEqual(m.errors, {UNAVAILABLE: 1})
    assert.equal(m.latencyMs.count, 3)
    assert.equal(m.latencyMs.buckets.find((b) => b.le === 5)?.count, 1)
    assert.equal(m.latencyMs.buckets.find((b) => b.le === 50)?.count, 2)
    assert.equal(m.latencyMs.buckets.at(-1)?.le, Number.POSITIVE_INFINITY)
    assert.equal(m.latencyMs.buckets.at(-1)?.count, 3)
  })
})
