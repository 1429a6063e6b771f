// confio worker end to end: the local Sui server, `confio poll --once`, `confio worker --drain`,
// the real PostgreSQL and Redis.
import assert from 'node:assert/strict'
import {DEFAULT_GAS, FAILED_GAS} from '../../sui-server/chain-builder.ts'
import {InvalidationListener} from '../../src/balances/invalidation-listener.ts'
import type {BalanceInvalidation} from '../../src/balances/balance-keys.ts'
import {balanceCacheKey} from '../../src/balances/balance-keys.ts'
import {decodeCachedBalance, encodeCachedBalance} from '../../src/balances/cached-balance.ts'
import {readCacheGeneration} from '../../src/balances/cache-generation.ts'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {drain, enqueue, historyOf, logOf, pollOnce, startWorld, type WorkerWorld} from './worker-support.ts'

const gasOf = (g: typeof DEFAULT_GAS) => g.computationCost + g.storageCost - g.storageRebate
const TRANSFER_GAS = gasOf(DEFAULT_GAS)
const FAILED_TX_GAS = gasOf(FAILED_GAS)

describe('confio worker', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let alice: string
  let bob: string
  let carol: string
  let id: (address: string) => string

  before(async () => {
    w = await startWorld(['alice', 'bob'])
    ;[alice, bob] = Object.keys(w.accounts) as [string, string]
    carol = w.sui.ledger.createAddress('carol') // not an account
    id = (address) => w.accounts[address] as string
    for (const who of [alice, bob, carol]) {
      w.sui.ledger.mint(who, w.coins.SUI, 50_000_000_000n)
      for (const coin of [w.coins.CUSD, w.coins.CONFIO, w.coins.USDC]) w.sui.ledger.mint(who, coin, 1_000_000_000n)
    }
    // Mints are transactions too; process them so each test starts from an empty queue.
    await pollOnce(w)
    await drain(w)
    await w.db.raw('TRUNCATE account_transactions, transaction_processing_log, contract_events')
  })

  after(async () => {
    await w?.close()
  })

  describe('handlers', () => {
    const tx: Record<string, string> = {}

    before(async () => {
      const {ledger} = w.sui
      tx.sui = ledger.transfer({from: alice, to: bob, coinType: w.coins.SUI, amount: 1_000_000_000n}).digest
      tx.cusd = ledger.transfer({from: bob, to: alice, coinType: w.coins.CUSD, amount: 2_500_000n}).digest
      tx.confio = ledger.transfer({from: alice, to: carol, coinType: w.coins.CONFIO, amount: 7n}).digest
      tx.usdc = ledger.transfer({from: carol, to: alice, coinType: w.coins.USDC, amount: 123_456n}).digest
      tx.failed = ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 1n, fail: true}).digest
      tx.payment = ledger.submit({
        sender: alice,
        moveCalls: [{package: w.packages.pay, module: 'pay', function: 'pay_with_cusd'}],
        events: [
          {
            type: `${w.packages.pay}::pay::PaymentMade`,
            json: {payer: alice, recipient: bob, amount: '1000000', fee_amount: '9000', net_amount: '991000', token_type: 'Q1VTRA==', payment_id: [111, 114, 100, 101, 114, 45, 49], timestamp: '1764300000000'},
          },
          {type: `${w.packages.pay}::pay::RefundIssued`, json: {to: bob, amount: '5'}},
        ],
        balanceChanges: [
          {address: alice, coinType: w.coins.CUSD, amount: -1_000_000n},
          {address: bob, coinType: w.coins.CUSD, amount: 991_000n},
          {address: carol, coinType: w.coins.CUSD, amount: 9_000n},
        ],
      }).digest
      tx.trade = ledger.submit({
        sender: bob,
        moveCalls: [{package: w.packages.p2p, module: 'p2p_trade', function: 'create_cusd_trade'}],
        events: [
          {
            type: `${w.packages.p2p}::p2p_trade::TradeCreated`,
            json: {trade_id: 'dHJhZGUtNw==', seller: bob, amount: '5000000', token_type: 'Q1VTRA==', fiat_amount: '180000', fiat_currency: 'VkVT', expires_at: '99', timestamp: '42'},
          },
          // A known name whose fields do not match (a contract upgrade): stored as it came.
          {type: `${w.packages.p2p}::p2p_trade::TradeAccepted`, json: {trade_id: 'dHJhZGUtNw==', timestamp: '43'}},
        ],
        balanceChanges: [{address: bob, coinType: w.coins.CUSD, amount: -5_000_000n}, {address: w.packages.p2p, coinType: w.coins.CUSD, amount: 5_000_000n}],
      }).digest
      tx.unknown = ledger.submit({
        sender: carol,
        moveCalls: [{package: w.packages.other, module: 'rewards', function: 'claim'}],
        events: [{type: `${w.packages.other}::rewards::Claimed`, json: {who: alice}}],
      }).digest
      await pollOnce(w)
    })

    it('process every queued transaction once and report it', async () => {
      const {json} = await drain(w)
      assert.equal(json.stoppedBy, 'drained')
      assert.equal(json.completed, Object.keys(tx).length)
      assert.equal(json.failed, 0)
      for (const digest of Object.values(tx)) {
        const log = await logOf(w.db, digest)
        assert.equal(log.status, 'completed', digest)
        assert.equal(log.attempts, 1)
        assert.ok(log.finished_at >= log.started_at)
        const raw = await w.db('raw_blockchain_events').where({tx_digest: digest}).first()
        assert.ok(raw.processed_at, 'processed_at is set')
      }
    })

    it('record SUI transfers with the gas as a separate fee row', async () => {
      assert.deepEqual(await historyOf(w.db, tx.sui!), [
        {account_id: id(alice), token: 'SUI', direction: 'fee', amount: TRANSFER_GAS.toString(), counterparty: null},
        {account_id: id(alice), token: 'SUI', direction: 'sent', amount: '1000000000', counterparty: bob},
        {account_id: id(bob), token: 'SUI', direction: 'received', amount: '1000000000', counterparty: alice},
      ].sort(byAccount))
      assert.equal((await logOf(w.db, tx.sui!)).handler, 'token-transfer')
    })

    it('record cUSD, CONFIO and USDC in both directions, with unknown addresses as counterparties', async () => {
      assert.deepEqual(await historyOf(w.db, tx.cusd!), [
        {account_id: id(alice), token: 'CUSD', direction: 'received', amount: '2500000', counterparty: bob},
        {account_id: id(bob), token: 'CUSD', direction: 'sent', amount: '2500000', counterparty: alice},
        {account_id: id(bob), token: 'SUI', direction: 'fee', amount: TRANSFER_GAS.toString(), counterparty: null},
      ].sort(byAccount))
      assert.deepEqual(await historyOf(w.db, tx.confio!), [
        {account_id: id(alice), token: 'CONFIO', direction: 'sent', amount: '7', counterparty: carol},
        {account_id: id(alice), token: 'SUI', direction: 'fee', amount: TRANSFER_GAS.toString(), counterparty: null},
      ])
      // carol (not an account) paid the gas: no fee row for anyone.
      assert.deepEqual(await historyOf(w.db, tx.usdc!), [{account_id: id(alice), token: 'USDC', direction: 'received', amount: '123456', counterparty: carol}])
    })

    it('write only the fee of a failed transaction', async () => {
      assert.deepEqual(await historyOf(w.db, tx.failed!), [{account_id: id(alice), token: 'SUI', direction: 'fee', amount: FAILED_TX_GAS.toString(), counterparty: null}])
      const log = await logOf(w.db, tx.failed!)
      assert.equal(log.status, 'completed')
    })

    it('record PAY events with typed fields, and unknown PAY event names generically', async () => {
      const events = await w.db('contract_events').where({tx_digest: tx.payment}).orderBy('event_seq')
      assert.equal(events.length, 2)
      const [made, unknown] = events
      assert.equal(made.package, w.packages.pay)
      assert.equal(made.module, 'pay')
      assert.equal(made.event_name, 'PaymentMade')
      assert.equal(made.typed, true)
      assert.deepEqual(made.fields, {payer: alice, recipient: bob, amount: '1000000', fee_amount: '9000', net_amount: '991000', token_type: 'CUSD', payment_id: 'order-1', timestamp: '1764300000000'})
      assert.deepEqual([...made.account_ids].map(String).sort(), [id(alice), id(bob)].sort())
      assert.equal(unknown.event_name, 'RefundIssued')
      assert.equal(unknown.typed, false)
      assert.deepEqual(unknown.fields, {to: bob, amount: '5'})
      assert.deepEqual(unknown.account_ids.map(String), [id(bob)])
      // The payment's token movement: alice paid two parties (no single counterparty), bob got the net.
      assert.deepEqual(await historyOf(w.db, tx.payment!), [
        {account_id: id(alice), token: 'CUSD', direction: 'sent', amount: '1000000', counterparty: null},
        {account_id: id(alice), token: 'SUI', direction: 'fee', amount: TRANSFER_GAS.toString(), counterparty: null},
        {account_id: id(bob), token: 'CUSD', direction: 'received', amount: '991000', counterparty: alice},
      ].sort(byAccount))
      assert.equal((await logOf(w.db, tx.payment!)).handler, 'pay,token-transfer')
    })

    it('record P2P_TRADE events; a known name with unexpected fields is kept with the reason', async () => {
      const [created, accepted] = await w.db('contract_events').where({tx_digest: tx.trade}).orderBy('event_seq')
      assert.equal(created.event_name, 'TradeCreated')
      assert.equal(created.module, 'p2p_trade')
      assert.equal(created.typed, true)
      assert.equal(created.fields.trade_id, 'trade-7')
      assert.equal(created.fields.fiat_currency, 'VES')
      assert.deepEqual(created.account_ids.map(String), [id(bob)])
      assert.equal(accepted.typed, false)
      assert.match(accepted.parse_error, /field buyer is missing/)
      assert.equal((await logOf(w.db, tx.trade!)).handler, 'p2p-trade,token-transfer')
    })

    it('log events of other monitored packages as unhandled, not failed', async () => {
      const log = await logOf(w.db, tx.unknown!)
      assert.equal(log.status, 'completed')
      assert.equal(log.handler, 'unhandled')
      assert.equal(await count(w, 'contract_events', tx.unknown!), 0)
      assert.equal(await count(w, 'account_transactions', tx.unknown!), 0)
    })

    it('a job delivered again leaves the rows of one run', async () => {
      const before = await snapshot(w)
      await enqueue(w, Object.values(tx))
      const {json} = await drain(w)
      assert.equal(json.alreadyProcessed, Object.keys(tx).length)
      assert.equal(json.completed, 0)
      assert.deepEqual(await snapshot(w), before)
      for (const digest of Object.values(tx)) assert.equal((await logOf(w.db, digest)).status, 'completed')
    })

    it('a run that misses processed_at (restored backup, manual replay) still adds no row', async () => {
      const before = await snapshot(w)
      await w.db('raw_blockchain_events').whereIn('tx_digest', Object.values(tx)).update({processed_at: null})
      await enqueue(w, Object.values(tx))
      const {json} = await drain(w, ['--concurrency', '4'])
      assert.equal(json.completed, Object.keys(tx).length)
      assert.deepEqual(await snapshot(w), before)
    })
  })

  describe('balances', () => {
    it('mark rows without a base stale, send exactly the changed (account, token) to Redis with a new version, release pending amounts and tell other processes', async () => {
      const tokens = ['SUI', 'CUSD', 'CONFIO', 'USDC']
      const ids = [id(alice), id(bob)]
      const generation = await readCacheGeneration(w.db)
      const old = (accountId: string, token: string) => encodeCachedBalance({accountId, token, amount: 100n, pending: 0n, checkpoint: null, version: 1n, stale: false, syncedAtMs: null}, generation)
      for (const accountId of ids) {
        for (const token of tokens) {
          await w.db('balances').insert({account_id: accountId, token, amount: '100', is_stale: false}).onConflict(['account_id', 'token']).merge({is_stale: false, pending_amount: '0'})
          await w.redis.set(balanceCacheKey(w.prefix, {accountId, token}), old(accountId, token))
        }
      }
      const digest = w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 10n}).digest
      // The wallet recorded 10 cUSD pending against this digest when alice sent it.
      await w.db('pending_balance_changes').insert({tx_digest: digest, account_id: id(alice), token: 'CUSD', amount: '10'})
      await w.db('balances').where({account_id: id(alice), token: 'CUSD'}).update({pending_amount: '10'})
      await pollOnce(w)

      const received: BalanceInvalidation[] = []
      const listener = await InvalidationListener.start({redisUrl: process.env.REDIS_URL as string, prefix: w.prefix, onInvalidation: (m) => received.push(m)})
      try {
        await drain(w)
        await eventually(() => received.length >= 3)
      } finally {
        await listener.close()
      }
      const touched = [`${id(alice)}:CUSD`, `${id(alice)}:SUI`, `${id(bob)}:CUSD`].sort()
      const stale = await w.db('balances').whereIn('account_id', ids).andWhere({is_stale: true}).select('account_id', 'token')
      assert.deepEqual(stale.map((b) => `${b.account_id}:${b.token}`).sort(), touched)
      for (const accountId of ids) {
        for (const token of tokens) {
          const cached = await w.redis.get(balanceCacheKey(w.prefix, {accountId, token}))
          if (!touched.includes(`${accountId}:${token}`)) assert.equal(cached, old(accountId, token), `${accountId}:${token} untouched`)
          else assert.deepEqual(decodeCachedBalance({accountId, token}, cached as string, generation), {...(await new PostgresBalanceStore(w.db).read({accountId, token})), stale: true})
        }
      }
      assert.deepEqual(received.map((m) => `${m.accountId}:${m.token}`).sort(), touched)
      const store = new PostgresBalanceStore(w.db)
      for (const m of received) assert.equal(m.version, (await store.read(m))?.version, 'announced at the row\'s version')
      assert.equal(await count(w, 'pending_balance_changes', digest), 0)
      const aliceCusd = await w.db('balances').where({account_id: id(alice), token: 'CUSD'}).first()
      assert.equal(aliceCusd.pending_amount, '0')
      assert.equal((await w.db('balance_cache_outbox').whereIn('account_id', ids).count({n: '*'}))[0]?.n, '0')
    })

    it('create the balance row of a first-seen (account, token), stale', async () => {
      const dave = w.sui.ledger.createAddress('dave')
      const [row] = await w.db('accounts').insert({sui_address: dave, label: 'dave'}).returning('id')
      w.accounts[dave] = String(row.id)
      w.sui.ledger.transfer({from: bob, to: dave, coinType: w.coins.USDC, amount: 5n})
      await pollOnce(w)
      await drain(w)
      const balances = await w.db('balances').where({account_id: row.id})
      assert.deepEqual(balances.map((b) => [b.token, b.is_stale, b.amount]), [['USDC', true, '0']])
    })
  })
})

function byAccount(a: {account_id: string; token: string; direction: string}, b: {account_id: string; token: string; direction: string}): number {
  // Ids compare as numbers, as the query orders them (9 before 10).
  return Number(BigInt(a.account_id) - BigInt(b.account_id)) || a.token.localeCompare(b.token) || a.direction.localeCompare(b.direction)
}

async function count(w: WorkerWorld, table: string, digest: string): Promise<number> {
  const row = await w.db(table).where({tx_digest: digest}).count({n: '*'}).first()
  return Number(row?.n)
}

async function snapshot(w: WorkerWorld) {
  const history = await w.db('account_transactions').select('tx_digest', 'account_id', 'token', 'direction', 'amount', 'counterparty').orderBy(['tx_digest', 'account_id', 'token', 'direction'])
  const events = await w.db('contract_events').select('tx_digest', 'event_seq', 'event_name', 'fields', 'account_ids').orderBy(['tx_digest', 'event_seq'])
  return {history, events}
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
