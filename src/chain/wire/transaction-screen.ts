// Lets a checkpoint read pass over the transactions that cannot matter to its caller, on the wire,
// before any string, message or record is made for them. The poller reads every transaction of the
// chain and keeps 1–10%; building every one's records, and collecting them, was most of its CPU.
//
// The screen looks at what the poller's relevance rule looks at: the sender and the owner of each
// balance change (addresses the caller watches), and the package of each Move call, event type and
// coin type (packages the caller watches). A transaction passes, and is decoded in full, when one
// of them is watched, or when anything in it is not in the plain form this screen checks: a field
// missing, repeated or malformed, an address not in full form, a type that does not parse, a field
// a checkpoint read does not ask for, a kind or command it does not know. The full decoder then
// decides, and names what is undecodable: the screen only ever lets through more than the
// relevance rule keeps, never less (test/chain/transaction-screen.test.ts).
import {chainType} from './proto-values.ts'
import {
  BALANCE_CHANGE, COMMAND, EVENT, EXECUTED_TRANSACTION, EXECUTION_ERROR, EXECUTION_STATUS, GAS_COST_SUMMARY, GAS_PAYMENT, KNOWN_TRANSACTION_KINDS, MOVE_CALL,
  PROGRAMMABLE_TRANSACTION, TRANSACTION, TRANSACTION_EFFECTS, TRANSACTION_EVENTS, TRANSACTION_KIND,
} from './wire-messages.ts'
import {VARINT, WireError} from './wire-reader.ts'
import type {WireReader} from './wire-reader.ts'

/** What a caller watches. `text[start..start+66)` is always "0x" and 64 lowercase hex digits. */
export interface TransactionScreen {
  /** Whether a transaction sent by this address, or changing its balance, may matter. */
  watchesAddress(text: Uint8Array, start: number): boolean
  /** Whether a transaction calling, emitting an event of, or moving a coin of this package may matter. */
  watchesPackage(text: Uint8Array, start: number): boolean
}

/**
 * Whether the ExecutedTransaction at `r.pos` (ending at `end`) must be decoded: true when it may
 * matter or is not plain. Leaves `r.pos` anywhere; the caller sets it.
 */
export function mayMatter(r: WireReader, end: number, screen: TransactionScreen): boolean {
  try {
    return executedTransaction(r, end, screen)
  } catch (error) {
    if (error instanceof WireError) return true
    throw error
  }
}

// Each reader below returns true as soon as the transaction must be decoded, false when its part
// is plain and watched by no one. A part is read as one loop over its fields, with no closure.

function executedTransaction(r: WireReader, end: number, screen: TransactionScreen): boolean {
  const t = EXECUTED_TRANSACTION.tag
  let digest = false
  let transaction = false
  let effects = false
  let events = false
  while (r.pos < end) {
    const tag = r.uint()
    if (tag === t.digest) {
      const to = r.delimited()
      if (digest || to === r.pos) return true
      digest = true
      r.pos = to
    } else if (tag === t.transaction) {
      if (transaction || transactionPart(r, r.delimited(), screen)) return true
      transaction = true
    } else if (tag === t.effects) {
      if (effects || effectsPart(r, r.delimited())) return true
      effects = true
    } else if (tag === t.events) {
      if (events || eventsPart(r, r.delimited(), screen)) return true
      events = true
    } else if (tag === t.balance_changes) {
      if (balanceChange(r, r.delimited(), screen)) return true
    } else if (EXECUTED_TRANSACTION.byNumber[tag >>> 3] !== undefined) {
      // checkpoint, timestamp, transaction_index: not asked for by a checkpoint read.
      return true
    } else r.other(EXECUTED_TRANSACTION, tag)
  }
  return endOf(r, end) || !digest || !transaction || !effects
}

// Transaction { kind = 4; sender = 5; gas_payment = 6 }
function transactionPart(r: WireReader, end: number, screen: TransactionScreen): boolean {
  const t = TRANSACTION.tag
  let sender = false
  let kind = false
  let gas = false
  while (r.pos < end) {
    const tag = r.uint()
    if (tag === t.sender) {
      if (sender || addressMatters(r, screen)) return true
      sender = true
    } else if (tag === t.kind) {
      if (kind || kindPart(r, r.delimited(), screen)) return true
      kind = true
    } else if (tag === t.gas_payment) {
      if (gas || gasPayment(r, r.delimited())) return true
      gas = true
    } else r.other(TRANSACTION, tag)
  }
  return endOf(r, end) || !sender
}

// GasPayment { owner = 2 }: an owner, if named, in full form (it is only read, never watched).
function gasPayment(r: WireReader, end: number): boolean {
  let owner = false
  while (r.pos < end) {
    const tag = r.uint()
    if (tag === GAS_PAYMENT.tag.owner) {
      const to = r.delimited()
      if (owner || (to !== r.pos && !isFullAddressAt(r.buf, r.pos, to))) return true
      owner = true
      r.pos = to
    } else r.other(GAS_PAYMENT, tag)
  }
  return endOf(r, end)
}

// TransactionKind { kind = 1; oneof data { programmable_transaction = 2; 3..8: no Move calls } }
function kindPart(r: WireReader, end: number, screen: TransactionScreen): boolean {
  const t = TRANSACTION_KIND.tag
  let programmable = false
  while (r.pos < end) {
    const tag = r.uint()
    if (tag === t.programmable_transaction) {
      if (programmable || programmablePart(r, r.delimited(), screen)) return true
      programmable = true
    } else if (tag === t.kind) {
      if (!KNOWN_TRANSACTION_KINDS.has(r.int32())) return true
    } else if (TRANSACTION_KIND.byNumber[tag >>> 3] === undefined) return true
    else r.other(TRANSACTION_KIND, tag)
  }
  return endOf(r, end)
}

// ProgrammableTransaction { commands = 2 }; Command { oneof command { move_call = 1; 2..7 } }
function programmablePart(r: WireReader, end: number, screen: TransactionScreen): boolean {
  while (r.pos < end) {
    const tag = r.uint()
    if (tag !== PROGRAMMABLE_TRANSACTION.tag.commands) {
      r.other(PROGRAMMABLE_TRANSACTION, tag)
      continue
    }
    const commandEnd = r.delimited()
    let call = false
    while (r.pos < commandEnd) {
      const c = r.uint()
      if (c === COMMAND.tag.move_call) {
        // A second occurrence merges with the first (proto3): the call is not plain.
        if (call || moveCall(r, r.delimited(), screen)) return true
        call = true
      } else if (COMMAND.byNumber[c >>> 3] === undefined) return true
      else r.other(COMMAND, c)
    }
    if (endOf(r, commandEnd)) return true
  }
  return endOf(r, end)
}

// MoveCall { package = 1; module = 2; function = 3 }
function moveCall(r: WireReader, end: number, screen: TransactionScreen): boolean {
  const t = MOVE_CALL.tag
  let pkg = false
  let module = false
  let fn = false
  while (r.pos < end) {
    const tag = r.uint()
    if (tag === t.package) {
      const to = r.delimited()
      if (pkg || !isFullAddressAt(r.buf, r.pos, to) || screen.watchesPackage(r.buf, r.pos)) return true
      pkg = true
      r.pos = to
    } else if (tag === t.module || tag === t.function) {
      const to = r.delimited()
      if (to === r.pos || (tag === t.module ? module : fn)) return true
      if (tag === t.module) module = true
      else fn = true
      r.pos = to
    } else r.other(MOVE_CALL, tag)
  }
  return endOf(r, end) || !pkg || !module || !fn
}

// TransactionEffects { status = 4; gas_used = 6 }: a status, and its gas.
function effectsPart(r: WireReader, end: number): boolean {
  const t = TRANSACTION_EFFECTS.tag
  let status = false
  let gas = false
  while (r.pos < end) {
    const tag = r.uint()
    if (tag === t.status) {
      if (status || statusPart(r, r.delimited())) return true
      status = true
    } else if (tag === t.gas_used) {
      if (gas || gasCost(r, r.delimited())) return true
      gas = true
    } else r.other(TRANSACTION_EFFECTS, tag)
  }
  return endOf(r, end) || !status || !gas
}

// ExecutionStatus { success = 1; error = 2 }; ExecutionError { description = 1; kind = 3 }. A
// failure is plain too (a failed transaction still moves gas, which an owner's change shows).
function statusPart(r: WireReader, end: number): boolean {
  let success = false
  let error = false
  while (r.pos < end) {
    const tag = r.uint()
    if (tag === EXECUTION_STATUS.tag.success) {
      if (success) return true
      r.uint()
      success = true
    } else if (tag === EXECUTION_STATUS.tag.error) {
      if (error || executionError(r, r.delimited())) return true
      error = true
    } else r.other(EXECUTION_STATUS, tag)
  }
  return endOf(r, end) || !success
}

function executionError(r: WireReader, end: number): boolean {
  while (r.pos < end) {
    const tag = r.uint()
    if (tag === EXECUTION_ERROR.tag.description) r.pos = r.delimited()
    else if (tag === EXECUTION_ERROR.tag.kind) r.uint()
    else r.other(EXECUTION_ERROR, tag)
  }
  return endOf(r, end)
}

// GasCostSummary { computation_cost = 1; storage_cost = 2; storage_rebate = 3 }: only well formed.
function gasCost(r: WireReader, end: number): boolean {
  while (r.pos < end) {
    const tag = r.uint()
    if (GAS_COST_SUMMARY.byNumber[tag >>> 3] !== undefined && (tag & 7) === VARINT) r.skipVarint()
    else r.other(GAS_COST_SUMMARY, tag)
  }
  return endOf(r, end)
}

// TransactionEvents { events = 3 }; Event { sender = 3; event_type = 4; json = 6 (not asked for) }
function eventsPart(r: WireReader, end: number, screen: TransactionScreen): boolean {
  const t = EVENT.tag
  while (r.pos < end) {
    const tag = r.uint()
    if (tag !== TRANSACTION_EVENTS.tag.events) {
      r.other(TRANSACTION_EVENTS, tag)
      continue
    }
    const eventEnd = r.delimited()
    let sender = false
    let type = false
    while (r.pos < eventEnd) {
      const e = r.uint()
      if (e === t.sender) {
        const to = r.delimited()
        if (sender || !isFullAddressAt(r.buf, r.pos, to)) return true
        sender = true
        r.pos = to
      } else if (e === t.event_type) {
        if (type || typeMatters(r, screen)) return true
        type = true
      } else if (e === t.json) return true
      else r.other(EVENT, e)
    }
    if (endOf(r, eventEnd) || !sender || !type) return true
  }
  return endOf(r, end)
}

// BalanceChange { address = 1; coin_type = 2; amount = 3 }
function balanceChange(r: WireReader, end: number, screen: TransactionScreen): boolean {
  const t = BALANCE_CHANGE.tag
  let address = false
  let coinType = false
  let amount = false
  while (r.pos < end) {
    const tag = r.uint()
    if (tag === t.address) {
      if (address || addressMatters(r, screen)) return true
      address = true
    } else if (tag === t.coin_type) {
      if (coinType || typeMatters(r, screen)) return true
      coinType = true
    } else if (tag === t.amount) {
      const to = r.delimited()
      if (amount || !isSignedIntegerAt(r.buf, r.pos, to)) return true
      amount = true
      r.pos = to
    } else r.other(BALANCE_CHANGE, tag)
  }
  return endOf(r, end) || !address || !coinType || !amount
}

/** The address field at r.pos: true unless it is in full form and not watched. */
function addressMatters(r: WireReader, screen: TransactionScreen): boolean {
  const to = r.delimited()
  if (!isFullAddressAt(r.buf, r.pos, to) || screen.watchesAddress(r.buf, r.pos)) return true
  r.pos = to
  return false
}

/** The type field at r.pos: true unless it parses and its package is not watched. */
function typeMatters(r: WireReader, screen: TransactionScreen): boolean {
  const to = r.delimited()
  const pkg = TYPE_PACKAGES.packageOf(r.buf, r.pos, to)
  if (pkg === undefined || (pkg.length === 66 && screen.watchesPackage(pkg, 0))) return true
  r.pos = to
  return false
}

/** A message that does not end where its length said is malformed. */
function endOf(r: WireReader, end: number): boolean {
  return r.pos !== end
}

const LOWER_HEX = new Uint8Array(256)
for (const digit of '0123456789abcdef') LOWER_HEX[digit.charCodeAt(0)] = 1

/** "0x" and 64 lowercase hex digits: the only form the screen looks up (nodes send no other). */
function isFullAddressAt(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 66 || buf[start] !== 48 || buf[start + 1] !== 120) return false
  for (let i = start + 2; i < end; i++) if (LOWER_HEX[buf[i]!] === 0) return false
  return true
}

/** An optional minus and at least one decimal digit, as the decoder requires of an amount. */
function isSignedIntegerAt(buf: Uint8Array, start: number, end: number): boolean {
  const from = buf[start] === 45 ? start + 1 : start
  if (from >= end) return false
  for (let i = from; i < end; i++) if (buf[i]! < 48 || buf[i]! > 57) return false
  return true
}

/**
 * The package of each type text seen, by its bytes: a checkpoint names a few dozen distinct types
 * hundreds of times, so the string is made and parsed (by the decoder's own chainType) once per
 * distinct type. Bounded: a flood of distinct types only costs a re-parse.
 */
class TypePackages {
  static readonly LIMIT = 10_000
  readonly #entries = new Map<number, Array<{bytes: Buffer; pkg: Uint8Array | undefined}>>()
  #size = 0

  /**
   * The 66 characters that begin the normalized type (its package), empty when it is shorter,
   * undefined when the type does not parse.
   */
  packageOf(buf: Uint8Array, start: number, end: number): Uint8Array | undefined {
    const hash = sampleHash(buf, start, end)
    const bucket = this.#entries.get(hash)
    // The whole text is compared (natively): the hash only samples it.
    if (bucket !== undefined) for (const entry of bucket) if (entry.bytes.compare(buf, start, end) === 0) return entry.pkg
    return this.#learn(hash, buf, start, end)
  }

  #learn(hash: number, buf: Uint8Array, start: number, end: number): Uint8Array | undefined {
    let pkg: Uint8Array | undefined
    try {
      const normalized = chainType(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8'), 'type')
      pkg = normalized.length >= 66 ? Buffer.from(normalized.slice(0, 66), 'latin1') : new Uint8Array(0)
    } catch {
      pkg = undefined
    }
    if (this.#size >= TypePackages.LIMIT) {
      this.#entries.clear()
      this.#size = 0
    }
    const entry = {bytes: Buffer.from(buf.subarray(start, end)), pkg}
    const bucket = this.#entries.get(hash)
    if (bucket === undefined) this.#entries.set(hash, [entry])
    else bucket.push(entry)
    this.#size++
    return pkg
  }
}

const TYPE_PACKAGES = new TypePackages()

/**
 * FNV-1a over the length, the first 12 bytes (where the package id starts) and the last 16 (the
 * module and name): what tells a checkpoint's few dozen types apart, at a fraction of hashing all.
 */
function sampleHash(buf: Uint8Array, start: number, end: number): number {
  let hash = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193)
  const head = Math.min(end, start + 12)
  for (let i = start; i < head; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193)
  for (let i = Math.max(head, end - 16); i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193)
  return hash >>> 0
}
