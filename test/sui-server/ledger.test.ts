import assert from 'node:assert/strict'
import {checkpoint, tx} from '../../sui-server/chain-builder.ts'
import {Ledger} from '../../sui-server/ledger.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'

const PKG = '0x' + 'cd'.repeat(32)

describe('sui test server: ledger and chain builder', () => {
  it('builds records that say only what a test needs', () => {
    const a = '0x' + '1'.repeat(64)
    const record = tx().sender(a).moveCall(PKG, 'pay', 'pay').event(`${PKG}::pay::Paid`, {amount: '5'}).balanceChange(a, '0x2::sui::SUI', -5n).build()
    assert.equal(record.sender, a)
    assert.deepEqual(record.commands, [{kind: 'moveCall', call: {package: PKG, module: 'pay', function: 'pay', typeArguments: []}}])
    assert.equal(record.events[0]?.packageId, PKG)
    assert.equal(record.events[0]?.module, 'pay')
    assert.deepEqual(record.balanceChanges, [{address: a, coinType: SUI_COIN_TYPE, amount: -5n}])
    const failed = tx().sender(a).moveCall(PKG, 'pay', 'pay').fail().build()
    assert.equal(failed.status.success, false)
    assert.equal(failed.status.success ? undefined : failed.status.error.kind, 'MOVE_ABORT')
    const cp = checkpoint(7n).timestampMs(1000n).tx(record).tx(tx().prologue()).build()
    assert.equal(cp.sequenceNumber, 7n)
    assert.equal(cp.transactions.length, 2)
    assert.equal(cp.transactions[1]?.kind, 'CONSENSUS_COMMIT_PROLOGUE_V4')
  })

  it('generates mainnet-shaped traffic whose balance changes add up to the balances', () => {
    const ledger = new Ledger()
    const watched = ledger.createAddress('watched')
    const summary = ledger.generateTraffic({checkpoints: 20, seed: 9, relevantShare: 0.2, relevantAddresses: [watched], relevantPackages: [PKG]})
    assert.equal(summary.lastCheckpoint - summary.firstCheckpoint, 19n)
    const sums = new Map<string, bigint>()
    let relevant = 0
    for (let seq = summary.firstCheckpoint; seq <= summary.lastCheckpoint; seq++) {
      const cp = ledger.checkpoint(seq)
      assert.ok(cp && cp.transactions.length >= 40 && cp.transactions.length <= 92, `checkpoint ${seq} has ${cp?.transactions.length}`)
      assert.equal(cp.transactions[0]?.kind, 'CONSENSUS_COMMIT_PROLOGUE_V4')
      for (const t of cp.transactions) {
        if (t.kind === 'PROGRAMMABLE_TRANSACTION') {
          const gas = t.gasUsed.computationCost + t.gasUsed.storageCost - t.gasUsed.storageRebate
          const suiOut = t.balanceChanges.filter((c) => c.address === t.sender && c.coinType === SUI_COIN_TYPE).reduce((s, c) => s + c.amount, 0n)
          assert.ok(suiOut <= -gas || t.sender === ledger.faucet, `${t.digest} pays its gas`)
        }
        if (!t.status.success) assert.equal(t.balanceChanges.length, 1)
        if (t.balanceChanges.some((c) => c.address === watched) || t.commands.some((c) => c.kind === 'moveCall' && c.call.package === PKG)) relevant += 1
        for (const c of t.balanceChanges) sums.set(`${c.address} ${c.coinType}`, (sums.get(`${c.address} ${c.coinType}`) ?? 0n) + c.amount)
      }
    }
    assert.equal(relevant, summary.relevantDigests.length)
    assert.ok(relevant > 100, `${relevant} relevant transactions`)
    for (const [key, sum] of sums) {
      const [owner = '', coinType = ''] = key.split(' ')
      if (owner === ledger.faucet) continue // its genesis allocation has no transaction
      const parts = ledger.balance(owner, coinType)
      assert.equal(parts.coinBalance + parts.addressBalance, sum, key)
    }
  })

  it('refuses a transaction whose sender cannot pay gas', () => {
    const ledger = new Ledger()
    const [a, b] = [ledger.createAddress(), ledger.createAddress()]
    assert.throws(() => ledger.transfer({from: a, to: b, coinType: SUI_COIN_TYPE, amount: 1n}), /mint SUI to the sender first/)
  })
})
