// A transaction that fails for good is never applied, so it must leave no trusted balance behind:
// its job's failure marks stale, in the same commit, every balance of every account it names (its
// balance changes, sender and gas owner, or whatever address can be read of it), and a chain value
// read before it cannot make them trusted again. Reconcile does not wait for it for ever, and
// `confio status` names the accounts it touched. The real pipeline: poll --once, worker --drain.
import assert from 'node:assert/strict'
import type {BalanceKey} from '../../src/balances/balance-keys.ts'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {heightWindow} from '../../src/chain/reader/height-window.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {anchorBalances, chainBalance, drain, fundAll, logOf, pollOnce, settleChain, startWorld, type WorkerWorld} from './worker-support.ts'

interface FailedView {
  digest: string
  accounts: string[]
}

describe('a transaction that fails for good', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let names: string[]
  let emails: Record<string, string>
  let store: PostgresBalanceStore

  before(async () => {
    w = await startWorld(['ona', 'pia', 'quin'])
    names = Object.keys(w.accounts)
    store = new PostgresBalanceStore(w.db)
    await fundAll(w, {sui: 50_000_000_000n, cusd: 1_000_000_000n})
    const rows: {sui_address: string; email: string}[] = await w.db('accounts').whereIn('sui_address', names).select('sui_address', 'email')
    emails = Object.fromEntries(rows.map((r) => [r.sui_address, r.email]))
  })

  beforeEach(async () => {
    await anchorBalances(w)
    await pollOnce(w)
  })

  after(async () => w?.close())

  const key = (address: string, token: string): BalanceKey => ({accountId: w.accounts[address]!, token})
  const coinType = (token: string) => (token === 'SUI' ? w.coins.SUI : w.coins.CUSD)

  /** A cUSD transfer stored by the poller, made undecodable (as if the poller could not read it) before any worker sees it. */
  async function undecodableTransfer(from: string, to: string, damage: Record<string, unknown> = {}): Promise<{digest: string; checkpoint: bigint}> {
    const {digest} = w.sui.ledger.transfer({from, to, coinType: w.coins.CUSD, amount: 4_242n})
    await pollOnce(w)
    const [row] = await w.db('raw_blockchain_events').where({tx_digest: digest}).update({parse_error: 'test: a field the decoder does not know', ...damage}).returning('checkpoint')
    return {digest, checkpoint: BigInt(row.checkpoint)}
  }

  async function state(address: string, token: string) {
    const row = await store.read(key(address, token))
    return {stale: row?.stale, right: row?.amount === chainBalance(w, address, coinType(token))}
  }

  it('marks every balance of the accounts it names stale in its failure\'s commit; a chain value read before it cannot clear them', async () => {
    const [ona, pia, quin] = names as [string, string, string]
    const before = await store.read(key(ona, 'CUSD'))
    const {digest, checkpoint} = await undecodableTransfer(ona, pia)
    const {json} = await drain(w)
    assert.equal(json.failed, 1)
    assert.equal((await logOf(w.db, digest))?.status, 'failed')
    for (const address of [ona, pia]) {
      for (const token of ['SUI', 'CUSD']) {
        const {stale, right} = await state(address, token)
        // The transfer was never applied: a trusted row would be wrong (cUSD) for good.
        assert.equal(stale, true, `${token} of ${address.slice(0, 8)} is trusted after its transaction failed (right: ${right})`)
        const seen = (await w.db('balances').where({account_id: w.accounts[address], token}).first('seen_checkpoint')).seen_checkpoint
        assert.ok(BigInt(seen) >= checkpoint)
      }
    }
    // An account it does not name keeps its trusted, exact balance.
    assert.deepEqual(await state(quin, 'CUSD'), {stale: false, right: true})
    // A value read at the tip before the failed transaction cannot make the row trusted again.
    const early = before!.checkpoint!
    const write = await store.writeFromChain(key(ona, 'CUSD'), {total: before!.amount, checkpoint: checkpoint - 1n, window: heightWindow(checkpoint - 1n, early)})
    assert.deepEqual([write.written, write.balance.stale], [false, true])
    await settleChain(w)
  })

  it('an undecodable one with no balance change it could read: the accounts named anywhere in what was read', async () => {
    const [ona, pia, quin] = names as [string, string, string]
    const stranger = `0x${'e'.repeat(64)}`
    const {digest} = await undecodableTransfer(pia, quin, {
      balance_changes: '[]',
      sender: stranger,
      gas_owner: stranger,
      events: JSON.stringify([{type: `${w.packages.cusd}::cusd::Transfer`, json: {to: ona}}]),
    })
    await drain(w)
    assert.equal((await logOf(w.db, digest))?.status, 'failed')
    assert.equal((await state(ona, 'CUSD')).stale, true, 'named in the events it could read')
    assert.equal((await state(quin, 'CUSD')).stale, false, 'named nowhere that could be read')
    await settleChain(w)
  })

  it('reconcile does not keep its accounts in flight for ever, and status names them beside it', async () => {
    const [ona, pia] = names as [string, string]
    const {digest} = await undecodableTransfer(ona, pia)
    await drain(w)
    await settleChain(w)
    const {result, report} = await (async () => {
      const r = await runCli(['reconcile', '--json', '--account', ona, '--account', pia], {env: w.env})
      return {result: r, report: jsonOf<{checked: number; inFlight: unknown[]; drift: unknown[]; outcome: string}>(r)}
    })()
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual([report.checked, report.inFlight.length, report.drift.length, report.outcome], [2, 0, 0, 'agreed'])
    for (const address of [ona, pia]) for (const token of ['SUI', 'CUSD']) assert.deepEqual(await state(address, token), {stale: false, right: true})

    const status = await runCli(['status', '--json'], {env: w.env})
    const failed = jsonOf<{processing: {failed: {newest: FailedView[]}}}>(status).processing.failed.newest.find((f) => f.digest === digest)
    assert.deepEqual(failed?.accounts, [emails[ona], emails[pia]])
    const text = await runCli(['status'], {env: w.env})
    const line = text.stdout.split('\n').find((l) => l.includes(digest) && !l.includes('ALARM'))
    assert.ok(line?.includes(emails[ona]!), `the failed transaction's line names ${emails[ona]}: ${line}`)
  })
})
