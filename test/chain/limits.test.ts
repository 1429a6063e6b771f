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
  it('lets a burst through, then never goes above the rate', async () => {
    // Load-independent: a busy machine can only delay a grant, never make one early.
    const started = performance.now()
    const bucket = new TokenBucket({requestsPerSecond: 50})
    const times: number[] = []
    const all = Promise.all(Array.from({length: 100}, () => bucket.acquire().then(() => times.push(performance.now() - started))))
    // The burst is granted at once: before any timer could run, in the microtasks of this tick.
    await Promise.resolve()
    assert.equal(times.length, 50)
    await all
    // The k-th grant after the burst comes no sooner than k/50 s after the bucket was made.
    times.sort((a, b) => a - b)
    times.slice(50).forEach((t, k) => assert.ok(t >= ((k + 1) * 1000) / 50 - 2, `grant ${51 + k} after ${t.toFixed(1)} ms`))
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
