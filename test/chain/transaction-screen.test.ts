// The screen may only ever let through more than the relevance rule keeps: a transaction it
// passes over is one the rule would skip, and one the decoder could decode. Checked on the test
// server's mainnet-shaped traffic, and on transactions built to be anything but plain.
import assert from 'node:assert/strict'

import {GrpcTypes} from '@mysten/sui/grpc'

import {ChainMetrics} from '../../src/chain/chain-metrics.ts'
import {decodeCheckpoint} from '../../src/chain/wire/checkpoint-decoder.ts'
import {CHECKPOINT_READ_MASK} from '../../src/chain/wire/read-masks.ts'
import {reportingWireObserver} from '../../src/chain/wire/wire-observer.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {idOf} from '../../sui-server/chain-builder.ts'
import {CheckpointCache} from '../../sui-server/checkpoint-cache.ts'
import {Ledger} from '../../sui-server/index.ts'
import {messageField, uint64Field} from '../../sui-server/wire.ts'
import {assertSuperset, fullRead, rule, screenedRead} from './screen-check.ts'

describe('transaction screen', () => {
  for (const share of [0.01, 0.1]) {
    it(`lets through every transaction the rule keeps, and few others, at ${share * 100}% relevant`, () => {
      const ledger = new Ledger()
      const cache = new CheckpointCache(ledger)
      const mask = [...CHECKPOINT_READ_MASK]
      cache.warm(mask)
      const pkg = idOf('screen', 'package')
      const accounts = Array.from({length: 20}, (_, i) => ledger.createAddress(`screen-${i}`))
      const traffic = ledger.generateTraffic({checkpoints: 20, txPerCheckpoint: [60, 60], relevantShare: share, relevantAddresses: accounts, relevantPackages: [pkg], seed: 11})
      const {filter, screen} = rule(accounts, [pkg])
      let through = 0
      let kept = 0
      for (let seq = traffic.firstCheckpoint; seq <= traffic.lastCheckpoint; seq++) {
        const bytes = cache.listFrame(ledger.checkpoint(seq)!, mask)
        const full = fullRead(bytes)
        through += assertSuperset(full, screenedRead(bytes, screen), filter)
        kept += full.transactions.filter((tx) => filter.reasons(tx).length > 0).length
      }
      assert.ok(kept >= traffic.relevantDigests.length && kept > 0)
      // The point of it: most of the chain is never decoded.
      assert.ok(through < 20 * 60 * (share + 0.15), `${through} of ${20 * 60} transactions let through`)
    })
  }

  const ALICE = '0x' + 'a1'.repeat(32)
  const BOB = '0x' + 'b2'.repeat(32)
  const PKG = '0x' + 'cc'.repeat(32)
  const OTHER = '0x' + 'dd'.repeat(32)

  /** An ordinary successful transaction by BOB, with `change` applied to its message. */
  function tx(digest: string, change: (t: GrpcTypes.ExecutedTransaction) => void = () => undefined): Uint8Array {
    const t = GrpcTypes.ExecutedTransaction.create({
      digest,
      transaction: {
        sender: BOB,
        gasPayment: {owner: BOB, objects: []},
        kind: {
          kind: GrpcTypes.TransactionKind_Kind.PROGRAMMABLE_TRANSACTION,
          data: {oneofKind: 'programmableTransaction', programmableTransaction: {inputs: [], commands: [{command: {oneofKind: 'moveCall', moveCall: {package: OTHER, module: 'm', function: 'f', typeArguments: [], arguments: []}}}]}},
        },
      },
      effects: {status: {success: true}, gasUsed: {computationCost: 10n, storageCost: 5n, storageRebate: 1n}},
      events: {events: [{sender: BOB, eventType: `${OTHER}::m::E`}]},
      balanceChanges: [{address: BOB, coinType: SUI_COIN_TYPE, amount: '-14'}],
    })
    change(t)
    return GrpcTypes.ExecutedTransaction.toBinary(t)
  }

  function checkpoint(transactions: Uint8Array[]): Buffer {
    return messageField(1, Buffer.concat([uint64Field(1, 9n), ...transactions.map((t) => messageField(6, t))]))
  }

  it('passes over a plain transaction of strangers, and lets through each one that names a watched account or package', () => {
    const {filter, screen} = rule([ALICE], [PKG])
    const bytes = checkpoint([
      tx('Plain'),
      // A failed transaction is plain too: its status is read, not decoded.
      tx('Failed', (t) => (t.effects!.status = {success: false, error: {description: 'MoveAbort in 1st command', kind: 3, errorDetails: {oneofKind: undefined}}})),
      tx('Sender', (t) => (t.transaction!.sender = ALICE)),
      tx('Receiver', (t) => t.balanceChanges.push({address: ALICE, coinType: SUI_COIN_TYPE, amount: '3'})),
      tx('Call', (t) => ((t.transaction!.kind!.data as {programmableTransaction: GrpcTypes.ProgrammableTransaction}).programmableTransaction.commands[0]!.command = {oneofKind: 'moveCall', moveCall: {package: PKG, module: 'm', function: 'f', typeArguments: [], arguments: []}})),
      tx('Event', (t) => (t.events!.events[0]!.eventType = `${PKG}::m::E<u64>`)),
      // A coin of the package named in short form: the type is parsed, not compared as text.
      tx('Coin', (t) => t.balanceChanges.push({address: BOB, coinType: `0x${'cc'.repeat(32).replace(/^0+/, '')}::cusd::CUSD`, amount: '1'})),
      // Watched by membership, whatever the rule then makes of it: USDT is no registered token.
      tx('Unregistered', (t) => t.balanceChanges.push({address: ALICE, coinType: `${OTHER}::usdt::USDT`, amount: '1'})),
    ])
    const full = fullRead(bytes)
    const screened = screenedRead(bytes, screen)
    assertSuperset(full, screened, filter)
    assert.deepEqual(screened.transactions.map((t) => t.digest), ['Sender', 'Receiver', 'Call', 'Event', 'Coin', 'Unregistered'])
    assert.deepEqual(filter.reasons(screened.transactions[5]!), [])
  })

  it('lets through, for the decoder to judge, every transaction that is not plain', () => {
    const {filter, screen} = rule([], [])
    const metrics = new ChainMetrics()
    const variants: Array<[string, Uint8Array]> = [
      ['short sender', tx('Short', (t) => (t.transaction!.sender = '0x2'))],
      ['no sender', tx('NoSender', (t) => (t.transaction!.sender = undefined))],
      ['upper-case gas owner', tx('Gas', (t) => (t.transaction!.gasPayment!.owner = BOB.toUpperCase().replace('0X', '0x')))],
      ['no status', tx('NoStatus', (t) => (t.effects!.status = undefined))],
      ['no success flag', tx('NoSuccess', (t) => (t.effects!.status = {error: {description: 'abort', errorDetails: {oneofKind: undefined}}}))],
      ['a malformed execution error', Buffer.concat([tx('BadError', (t) => (t.effects = undefined)), messageField(4, Buffer.concat([messageField(4, Buffer.concat([uint64Field(1, 0n), messageField(2, uint64Field(1, 5n))])), messageField(6, uint64Field(1, 10n))]))])],
      ['no gas used', tx('NoGas', (t) => (t.effects!.gasUsed = undefined))],
      ['no effects', tx('NoEffects', (t) => (t.effects = undefined))],
      ['bad amount', tx('Amount', (t) => (t.balanceChanges[0]!.amount = '12a'))],
      ['bad coin type', tx('CoinType', (t) => (t.balanceChanges[0]!.coinType = '0x2::sui'))],
      ['bad event type', tx('EventType', (t) => (t.events!.events[0]!.eventType = 'not a type'))],
      ['event JSON', tx('Json', (t) => (t.events!.events[0]!.json = {kind: {oneofKind: 'stringValue', stringValue: 'x'}}))],
      ['empty module', tx('Module', (t) => ((t.transaction!.kind!.data as {programmableTransaction: GrpcTypes.ProgrammableTransaction}).programmableTransaction.commands[0]!.command = {oneofKind: 'moveCall', moveCall: {package: OTHER, module: '', function: 'f', typeArguments: [], arguments: []}}))],
      ['unknown kind', tx('Kind', (t) => (t.transaction!.kind!.kind = 12 as GrpcTypes.TransactionKind_Kind))],
      ['no digest', tx('', () => undefined)],
      ['a repeated digest', Buffer.concat([tx('Twice'), messageField(1, Buffer.from('Again'))])],
      ['a field a checkpoint read does not ask for', Buffer.concat([tx('Index'), uint64Field(10, 3n)])],
      ['a known field on another wire type', Buffer.concat([tx('WireType'), uint64Field(8, 1n)])],
      ['truncated bytes', tx('Truncated').subarray(0, 40)],
    ]
    const bytes = checkpoint([tx('Plain'), ...variants.map(([, t]) => t), tx('Plain2')])
    const full = fullRead(bytes)
    const screened = screenedRead(bytes, screen, reportingWireObserver(metrics))
    assertSuperset(full, screened, filter)
    const through = new Set(screened.transactions.map((t) => t.index))
    variants.forEach(([what], i) => assert.ok(through.has(i + 1), `${what} was passed over`))
    assert.equal(through.has(0) || through.has(variants.length + 1), false, 'a plain transaction was let through')
    // Content the reader does not know is still reported, once, by the full read of it.
    assert.equal(metrics.snapshot().unknownContent?.['TransactionKind.kind 12'], 1)
  })

  it('lets through a transaction whose parts merge into one the rule keeps (proto3 merges split occurrences)', () => {
    const {filter, screen} = rule([], [PKG])
    const callOf = (pkg: string) => (t: GrpcTypes.ExecutedTransaction) =>
      ((t.transaction!.kind!.data as {programmableTransaction: GrpcTypes.ProgrammableTransaction}).programmableTransaction.commands[0]!.command = {oneofKind: 'moveCall', moveCall: {package: pkg, module: 'm', function: 'f', typeArguments: [], arguments: []}})
    const sender = GrpcTypes.ExecutedTransaction.toBinary(GrpcTypes.ExecutedTransaction.create({transaction: {sender: BOB}}))
    // A Command whose MoveCall comes in two occurrences: the second names the watched package.
    const splitCall = messageField(2, messageField(4, messageField(2, messageField(2, Buffer.concat([
      messageField(1, GrpcTypes.MoveCall.toBinary(GrpcTypes.MoveCall.create({package: OTHER, module: 'm', function: 'f'}))),
      messageField(1, GrpcTypes.MoveCall.toBinary(GrpcTypes.MoveCall.create({package: PKG}))),
    ])))))
    const bytes = checkpoint([
      tx('Plain'),
      Buffer.concat([tx('Call', callOf(PKG)), sender]),
      Buffer.concat([tx('Event', (t) => (t.events!.events[0]!.eventType = `${PKG}::m::E`)), messageField(5, Buffer.alloc(0))]),
      Buffer.concat([tx('SplitCall'), splitCall]),
    ])
    const full = fullRead(bytes)
    assert.deepEqual(full, decodeCheckpoint(GrpcTypes.ListCheckpointsResponse.fromBinary(bytes).checkpoint!))
    assert.deepEqual(full.transactions.filter((t) => filter.reasons(t).length > 0).map((t) => t.digest), ['Call', 'Event', 'SplitCall'])
    assertSuperset(full, screenedRead(bytes, screen), filter)
  })
})
