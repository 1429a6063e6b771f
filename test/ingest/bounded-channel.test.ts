// The channel between two of the poller's stages.
import assert from 'node:assert/strict'
import {BoundedChannel} from '../../src/ingest/bounded-channel.ts'

describe('BoundedChannel', () => {
  it('gives the items put before a failure, then the failure', async () => {
    const channel = new BoundedChannel<number>(4)
    await channel.put(1)
    await channel.put(2)
    channel.fail(new Error('read failed'))
    assert.deepEqual(await channel.take(10), [1, 2])
    await assert.rejects(channel.take(10), /read failed/)
  })

  it('keeps the first failure when a second one follows it', async () => {
    const channel = new BoundedChannel<number>(4)
    channel.fail(new Error('the accounts could not be loaded'))
    channel.fail(new Error('channel closed'))
    await assert.rejects(channel.take(1), /the accounts could not be loaded/)
  })

  it('holds a putter back while full, until items are taken', async () => {
    const channel = new BoundedChannel<number>(2)
    await channel.put(1)
    await channel.put(2)
    let third = false
    const putting = channel.put(3).then(() => (third = true))
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(third, false)
    assert.deepEqual(channel.takeReady(1), [1])
    await putting
    assert.deepEqual(await channel.take(10), [2, 3])
  })

  it('waits for an item without taking it, and stops waiting at its end, a failure or the time given', async () => {
    const channel = new BoundedChannel<number>(2)
    const waiting = channel.waitForItem(60_000)
    await channel.put(1)
    assert.equal(await waiting, true)
    assert.deepEqual(channel.takeReady(5), [1])
    assert.equal(await channel.waitForItem(1), false)
    const ending = channel.waitForItem(60_000)
    channel.fail(new Error('read failed'))
    assert.equal(await ending, false)
    await assert.rejects(channel.take(1), /read failed/)
  })
})
