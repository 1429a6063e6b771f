import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {AddressSet} from '../../src/ingest/address-set.ts'

const random = () => `0x${randomBytes(32).toString('hex')}`
const short = (n: number) => `0x${n.toString(16).padStart(64, '0')}`

describe('AddressSet', () => {
  it('agrees with a JS Set through adds, deletes and growth', () => {
    const set = new AddressSet(4)
    const reference = new Set<string>()
    const pool = [...Array.from({length: 3000}, random), ...Array.from({length: 500}, (_, i) => short(i))]
    for (let round = 0; round < 20_000; round++) {
      const address = pool[Math.floor(Math.random() * pool.length)] as string
      if (Math.random() < 0.6) assert.equal(set.add(address), !reference.has(address) && reference.add(address) !== undefined)
      else assert.equal(set.delete(address), reference.delete(address))
      assert.equal(set.size, reference.size)
    }
    for (const address of pool) assert.equal(set.has(address), reference.has(address), address)
  })

  it('gives its addresses as raw bytes that make the same set again (what the reading thread starts from)', () => {
    const set = new AddressSet(4)
    const pool = Array.from({length: 2000}, random)
    for (const address of pool) set.add(address)
    for (const address of pool.slice(0, 700)) set.delete(address)
    const copy = new AddressSet(set.size)
    copy.addKeys(set.keyBytes())
    assert.equal(copy.size, 1300)
    for (const address of pool) assert.equal(copy.has(address), set.has(address), address)
  })

  it('does not confuse addresses that share their last bytes', () => {
    const set = new AddressSet()
    const a = `0x${'a'.repeat(56)}00000001`
    const b = `0x${'b'.repeat(56)}00000001`
    set.add(a)
    assert.ok(set.has(a))
    assert.ok(!set.has(b))
  })

  it('adds addresses given as raw bytes, 32 each, as their text would', () => {
    const addresses = [`0x${'01'.repeat(32)}`, `0x${'ab'.repeat(31)}cd`, `0x${'00'.repeat(31)}02`]
    const set = new AddressSet()
    set.addKeys(Buffer.concat(addresses.map((a) => Buffer.from(a.slice(2), 'hex'))))
    assert.deepEqual([set.size, ...addresses.map((a) => set.has(a))], [3, true, true, true])
    assert.equal(set.has(`0x${'ab'.repeat(32)}`), false)
    assert.throws(() => set.addKeys(new Uint8Array(33)), /not whole 32-byte addresses/)
  })

  it('refuses to add addresses that are not normalized, and never finds them', () => {
    const set = new AddressSet()
    assert.throws(() => set.add('0x2'), /not a normalized address/)
    assert.throws(() => set.add(`0x${'A'.repeat(64)}`), /lowercase hex/)
    set.add(`0x${'a'.repeat(64)}`)
    for (const odd of ['', '0x2', `0x${'A'.repeat(64)}`, `0x${'a'.repeat(63)}z`, `0x${'g'.repeat(64)}`]) assert.equal(set.has(odd), false, odd)
  })
})
