// The API's account cache: a found account is asked again only after its time is up (so a removed
// one stops being served then), one not found is asked every time (so an added one is served at
// once), and the cache stays within its bound.
import assert from 'node:assert/strict'
import type {Account} from '../../src/accounts/account-repository.ts'
import {AccountCache} from '../../src/api/account-cache.ts'

const account = (id: string) => ({id, email: `${id}@cache.test`}) as unknown as Account

describe('API account cache', () => {
  let now = 0
  let asked: string[] = []
  let stored = new Map<string, Account>()
  const find = async (ref: string) => {
    asked.push(ref)
    return stored.get(ref)
  }
  beforeEach(() => {
    now = 1_000
    asked = []
    stored = new Map([['1', account('1')], ['2', account('2')]])
  })

  it('asks PostgreSQL once per account in the first half of its time, again (in the background) in the second, and at once after it', async () => {
    const cache = new AccountCache(find, {ttlMs: 2_000, now: () => now})
    assert.equal((await cache.find('1'))?.id, '1')
    now += 999
    assert.equal((await cache.find('1'))?.id, '1')
    assert.deepEqual(asked, ['1'])
    // Past half its time: served as it is, looked up again beside the answer.
    stored.delete('1')
    now += 2
    assert.equal((await cache.find('1'))?.id, '1')
    assert.deepEqual(asked, ['1', '1'])
    await new Promise((resolve) => setImmediate(resolve))
    // The lookup found it removed: the next request is not served it.
    assert.equal(await cache.find('1'), undefined)
    // An entry nobody asked for in its second half is looked up by the request after its time.
    assert.equal((await cache.find('2'))?.id, '2')
    now += 5_000
    stored.delete('2')
    assert.equal(await cache.find('2'), undefined)
    assert.deepEqual(asked, ['1', '1', '1', '2', '2'])
  })

  it('keeps serving an entry whose background lookup failed until its time is up', async () => {
    let failing = false
    const cache = new AccountCache(async (ref) => (failing ? Promise.reject(new Error('PostgreSQL is away')) : find(ref)), {ttlMs: 2_000, now: () => now})
    await cache.find('1')
    failing = true
    now += 1_500
    assert.equal((await cache.find('1'))?.id, '1')
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal((await cache.find('1'))?.id, '1')
    now += 500
    await assert.rejects(cache.find('1'), /PostgreSQL is away/)
  })

  it('never keeps an account not found: one added is found at once', async () => {
    const cache = new AccountCache(find, {ttlMs: 2_000, now: () => now})
    assert.equal(await cache.find('3'), undefined)
    stored.set('3', account('3'))
    assert.equal((await cache.find('3'))?.id, '3')
    assert.deepEqual(asked, ['3', '3'])
  })

  it('keeps at most maxEntries, the oldest going first', async () => {
    const cache = new AccountCache(find, {ttlMs: 60_000, maxEntries: 1, now: () => now})
    await cache.find('1')
    await cache.find('2')
    await cache.find('2')
    await cache.find('1')
    assert.deepEqual(asked, ['1', '2', '1'])
  })
})
