// A set of Sui addresses built for a poller that holds up to millions of them and asks about
// every address of every transaction. A JS Set of 66-character strings costs ~140 MB of heap per
// million (and twice that in RSS); here each address is its 32 raw bytes in one open-addressing
// table: ~64 MB per million at the table's lowest load, no per-entry objects for the GC to walk.
// Sui addresses are hashes, so their first bytes are already a good hash.

const KEY_BYTES = 32
const EMPTY = 0
const FULL = 1
const DELETED = 2
const MAX_LOAD = 0.7

export class AddressSet {
  private keys: Uint8Array
  private states: Uint8Array
  private mask: number
  private count = 0
  private used = 0 // FULL + DELETED slots: what probing has to walk past
  private readonly scratch = new Uint8Array(KEY_BYTES)

  constructor(expected = 1024) {
    const capacity = nextPowerOfTwo(Math.max(16, Math.ceil(expected / 0.5)))
    this.keys = new Uint8Array(capacity * KEY_BYTES)
    this.states = new Uint8Array(capacity)
    this.mask = capacity - 1
  }

  get size(): number {
    return this.count
  }

  /** `address` must be normalized (0x + 64 lowercase hex), as every address in confio is. */
  has(address: string): boolean {
    // The poller asks this for every address of every transaction and almost always gets "no":
    // parse only the 8 hex digits that pick the slot, and compare a stored key digit by digit,
    // from the end, only when a slot is taken.
    // Anything else is simply not in the set: a transaction that could not be decoded has empty
    // addresses, and must not stop the poller.
    if (address.length !== 66) return false
    let slot = this.homeOfText(address)
    if (slot < 0) return false
    for (;;) {
      const state = this.states[slot]
      if (state === EMPTY) return false
      if (state === FULL && this.equalsText(slot, address)) return true
      slot = (slot + 1) & this.mask
    }
  }

  /**
   * has() for an address given as its text's bytes, `text[start..start+66)`, as a checkpoint read
   * meets it on the wire (transaction-screen.ts): no string is made.
   */
  hasText(text: Uint8Array, start: number): boolean {
    if (text[start] !== 48 || text[start + 1] !== 120) return false
    let home = 0
    for (let i = start + 58; i < start + 66; i++) {
      const nibble = nibbleOf(text[i]!)
      if (nibble < 0) return false
      home = (home << 4) | nibble
    }
    for (let slot = home & this.mask; ; slot = (slot + 1) & this.mask) {
      const state = this.states[slot]
      if (state === EMPTY) return false
      if (state === FULL && this.equalsBytes(slot, text, start)) return true
    }
  }

  add(address: string): boolean {
    return this.addKey(this.keyOf(address))
  }

  /** Adds each address of `keys`: addresses as raw bytes, 32 each, one after the other. */
  addKeys(keys: Uint8Array): void {
    if (keys.length % KEY_BYTES !== 0) throw new TypeError(`address set: ${keys.length} bytes are not whole 32-byte addresses`)
    for (let offset = 0; offset < keys.length; offset += KEY_BYTES) this.addKey(keys.subarray(offset, offset + KEY_BYTES))
  }

  private addKey(key: Uint8Array): boolean {
    if (this.find(key) >= 0) return false
    if ((this.used + 1) / this.states.length > MAX_LOAD) this.resize(this.count + 1)
    let slot = this.home(key)
    while (this.states[slot] === FULL) slot = (slot + 1) & this.mask
    if (this.states[slot] === EMPTY) this.used++
    this.keys.set(key, slot * KEY_BYTES)
    this.states[slot] = FULL
    this.count++
    return true
  }

  /** Every address in the set as raw bytes, 32 each, one after the other: what addKeys takes. */
  keyBytes(): Uint8Array {
    const out = new Uint8Array(this.count * KEY_BYTES)
    let offset = 0
    for (let slot = 0; slot < this.states.length; slot++) {
      if (this.states[slot] !== FULL) continue
      out.set(this.keys.subarray(slot * KEY_BYTES, (slot + 1) * KEY_BYTES), offset)
      offset += KEY_BYTES
    }
    return out
  }

  delete(address: string): boolean {
    const slot = this.find(this.keyOf(address))
    if (slot < 0) return false
    this.states[slot] = DELETED
    this.count--
    return true
  }

  private find(key: Uint8Array): number {
    let slot = this.home(key)
    for (;;) {
      const state = this.states[slot]
      if (state === EMPTY) return -1
      if (state === FULL && this.equals(slot, key)) return slot
      slot = (slot + 1) & this.mask
    }
  }

  private home(key: Uint8Array): number {
    // The last bytes: short addresses (0x2, 0x5…) differ there, and hashes differ everywhere.
    return ((key[28]! << 24) | (key[29]! << 16) | (key[30]! << 8) | key[31]!) & this.mask
  }

  /** home() of the key the text would parse to: bytes 28..31 are hex digits 58..65. */
  /** -1 when the digits are not lowercase hex. */
  private homeOfText(address: string): number {
    let value = 0
    for (let i = 58; i < 66; i++) {
      const nibble = nibbleOf(address.charCodeAt(i))
      if (nibble < 0) return -1
      value = (value << 4) | nibble
    }
    return value & this.mask
  }

  private equalsText(slot: number, address: string): boolean {
    const base = slot * KEY_BYTES
    for (let i = KEY_BYTES - 1; i >= 0; i--) {
      const high = nibbleOf(address.charCodeAt(2 + i * 2))
      const low = nibbleOf(address.charCodeAt(3 + i * 2))
      // A non-hex digit (-1) never equals a stored byte (0..255).
      if (this.keys[base + i] !== ((high << 4) | low)) return false
    }
    return true
  }

  private equalsBytes(slot: number, text: Uint8Array, start: number): boolean {
    const base = slot * KEY_BYTES
    for (let i = KEY_BYTES - 1; i >= 0; i--) {
      const high = nibbleOf(text[start + 2 + i * 2]!)
      const low = nibbleOf(text[start + 3 + i * 2]!)
      if (this.keys[base + i] !== ((high << 4) | low)) return false
    }
    return true
  }

  private equals(slot: number, key: Uint8Array): boolean {
    const base = slot * KEY_BYTES
    for (let i = KEY_BYTES - 1; i >= 0; i--) if (this.keys[base + i] !== key[i]) return false
    return true
  }

  private keyOf(address: string): Uint8Array {
    if (address.length !== 66) throw new TypeError(`address set: ${address} is not a normalized address`)
    const key = this.scratch
    for (let i = 0; i < KEY_BYTES; i++) key[i] = (hex(address.charCodeAt(2 + i * 2)) << 4) | hex(address.charCodeAt(3 + i * 2))
    return key
  }

  private resize(needed: number): void {
    const old = {keys: this.keys, states: this.states}
    const capacity = nextPowerOfTwo(Math.max(16, Math.ceil(needed / 0.5)))
    this.keys = new Uint8Array(capacity * KEY_BYTES)
    this.states = new Uint8Array(capacity)
    this.mask = capacity - 1
    this.used = this.count
    for (let slot = 0; slot < old.states.length; slot++) {
      if (old.states[slot] !== FULL) continue
      const key = old.keys.subarray(slot * KEY_BYTES, (slot + 1) * KEY_BYTES)
      let target = this.home(key)
      while (this.states[target] === FULL) target = (target + 1) & this.mask
      this.keys.set(key, target * KEY_BYTES)
      this.states[target] = FULL
    }
  }
}

// Lookup is on the poller's hot path (every address of every transaction): a table, not branches.
const NIBBLE = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i

function nibbleOf(code: number): number {
  return code < 128 ? NIBBLE[code]! : -1
}

function hex(code: number): number {
  const nibble = nibbleOf(code)
  if (nibble < 0) throw new TypeError('address set: addresses must be lowercase hex')
  return nibble
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(n))
}
