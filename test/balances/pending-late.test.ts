// A pending amount recorded for a digest the worker has already processed, or is processing, is
// never left pending until it expires: addPending looks at the raw event under the lock the worker
// takes before it releases a digest's pending amounts (src/balances/pending-release-lock.ts).
import assert from 'node:assert/strict'
import {openBalanceService, type OpenBalanceService} from '../../src/balances/open-balance-service.ts'
import {pendingReleaseLock} from '../../src/balances/pending-release-lock.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {sleep} from '../../src/support/sleep.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {testReader} from '../chain/chain-test-support.ts'
import {drain, fundAll, pollOnce, startWorld, type WorkerWorld} from '../processing/worker-support.ts'

describe('pending amounts added late', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let opened: OpenBalanceService
  let chain: ReturnType<typeof testReader>
  let alice: string
  let bob: string

  before(async () => {
    w = await startWorld(['alice', 'bob'])
    ;[alice, bob] = Object.keys(w.accounts) as [string, string]
    await fundAll(w, {sui: 50_000_000_000n, cusd: 1_000_000_000n})
    chain = testReader(w.sui.url)
    const tokens = new TokenRegistry([
      {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
      {symbol: 'CUSD', coinType: w.coins.CUSD, decimals: 6},
    ])
    opened = await openBalanceService({databaseUrl: process.env.DATABASE_URL as string, redisUrl: process.env.REDIS_URL as string, redisPrefix: w.prefix, chain, tokens, logger: createLogger({level: 'silent', scrubber: new SecretScrubber()})})
  })

  after(async () => {
    await opened?.close()
    chain?.close()
    await w?.db('pending_balance_changes').whereIn('account_id', Object.values(w.accounts)).delete()
    await w?.close()
  })

  const pendingOf = async (digest: string) => w.db('pending_balance_changes').where({tx_digest: digest}).count({n: '*'}).then((r) => Number(r[0]?.n))

  it('a digest the worker has already processed records nothing: the balance has its changes', async () => {
    const {digest} = w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 5_000n})
    await pollOnce(w)
    await drain(w)
    const balance = await opened.service.addPending(alice, 'CUSD', 5_000n, digest)
    assert.equal(await pendingOf(digest), 0)
    assert.equal(balance.pending, 0n)
  })

  it('recorded while the worker holds the digest: waits for its commit, then records nothing', async () => {
    const {digest} = w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 6_000n})
    await pollOnce(w)
    // Another session plays the worker between its release lock and its commit of processed_at.
    const worker = await w.db.transaction()
    try {
      await worker.raw(`SELECT ${pendingReleaseLock('?')}`, [digest])
      let settled = false
      const adding = opened.service.addPending(alice, 'CUSD', 6_000n, digest).finally(() => (settled = true))
      await sleep(300)
      assert.equal(settled, false, 'addPending waits for the lock the worker holds')
      await worker.raw('UPDATE raw_blockchain_events SET processed_at = now() WHERE tx_digest = ?', [digest])
      await worker.commit()
      const balance = await adding
      assert.deepEqual([await pendingOf(digest), balance.pending], [0, 0n])
    } finally {
      if (!worker.isCompleted()) await worker.rollback()
    }
  })

  it('recorded before the worker takes the digest: the worker releases it when it commits', async () => {
    const {digest} = w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 7_000n})
    await pollOnce(w)
    const added = await opened.service.addPending(alice, 'CUSD', 7_000n, digest)
    assert.deepEqual([await pendingOf(digest), added.pending], [1, 7_000n])
    await drain(w)
    assert.equal(await pendingOf(digest), 0)
    const row = await w.db('balances').where({account_id: w.accounts[alice], token: 'CUSD'}).first('pending_amount')
    assert.equal(row.pending_amount, '0')
  })
})
