// A chain value's height is a window, not a point (src/chain/reader/height-window.ts), against the local
// Sui server's height switches (sui-server/state-view.ts): state replies whose header
// names one checkpoint above the state (sealed between the read and the header) or one below (the
// node's indexes ahead of its height mark). Whatever a read's header says, a balance confio keeps
// is exact or marked stale, never wrong and trusted: first for each switch alone with a transfer at
// the checkpoint in question, then with both on while transfers land in nearly every checkpoint
// and the whole pipeline, BalanceService, test-balance and reconcile run at once.
import assert from 'node:assert/strict'
import type {BalanceKey} from '../../src/balances/balance-keys.ts'
import {openBalanceService, type OpenBalanceService} from '../../src/balances/open-balance-service.ts'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {testReader} from '../chain/chain-test-support.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {chainBalance, drain, fundAll, pollOnce, settleChain, startWorld, type WorkerWorld} from '../processing/worker-support.ts'
import {keepPipelineCaughtUp} from '../support/pipeline-marker.ts'

const silent = createLogger({level: 'silent', scrubber: new SecretScrubber()})
const TOKENS = ['SUI', 'CUSD'] as const

describe('balances against state replies whose height is a checkpoint off', function () {
  this.timeout(180_000)
  let w: WorkerWorld
  let names: string[]
  let store: PostgresBalanceStore
  let opened: OpenBalanceService
  let chain: ReturnType<typeof testReader>
  let tokens: TokenRegistry
  /** A BalanceService of this world, with these options. */
  const openService = (options: {verifyTimeoutMs?: number} = {}) =>
    openBalanceService({databaseUrl: process.env.DATABASE_URL as string, redisUrl: process.env.REDIS_URL as string, redisPrefix: w.prefix, chain, tokens, logger: silent, ...options})

  before(async () => {
    w = await startWorld(['ada', 'ben', 'cyd'])
    names = Object.keys(w.accounts)
    store = new PostgresBalanceStore(w.db)
    await fundAll(w, {sui: 100_000_000_000n, cusd: 1_000_000_000n})
    chain = testReader(w.sui.url, {deadlineMs: 10_000})
    tokens = new TokenRegistry([
      {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
      {symbol: 'CUSD', coinType: w.coins.CUSD, decimals: 6},
    ])
    opened = await openService()
    // The workers here are other processes; without the invalidation listener this one's memory
    // would keep what it read. Redis is told of every change (the workers' cache outbox).
    opened.service.useLevels({memory: false, redis: true})
    // Every balance gets a base from an exact read.
    for (const address of names) await opened.service.getAllBalances(address)
    assert.deepEqual(await assertExactOrStale(), {stale: 0})
  })

  after(async () => {
    await opened?.close()
    chain?.close()
    await w?.db('balance_drift').whereIn('account_id', Object.values(w.accounts)).delete()
    await w?.close()
  })

  beforeEach(() => w.sui.faults.reset())

  const key = (address: string, token: string): BalanceKey => ({accountId: w.accounts[address]!, token})
  const coinType = (token: string) => (token === 'SUI' ? w.coins.SUI : w.coins.CUSD)

  /** Every row is exact, or stale: never a trusted amount other than the chain's. */
  async function assertExactOrStale(): Promise<{stale: number}> {
    let stale = 0
    for (const address of names) {
      for (const token of TOKENS) {
        const row = await store.read(key(address, token))
        if (!row || row.stale || row.checkpoint === null) stale += 1
        else assert.equal(row.amount, chainBalance(w, address, coinType(token)), `${token} of ${address.slice(0, 8)} is trusted and wrong`)
      }
    }
    return {stale}
  }

  /** Once the chain has moved on, a read of each balance is the chain's, trusted. */
  async function assertReadAgainExact(): Promise<void> {
    await settleChain(w)
    for (const address of names) {
      for (const token of TOKENS) {
        const balance = await opened.service.getBalance(address, token)
        assert.deepEqual([balance.amount, balance.isStale], [chainBalance(w, address, coinType(token)), false], `${token} of ${address.slice(0, 8)} read again`)
      }
    }
  }

  /** A transfer from ben to ada sealed in its own checkpoint; its checkpoint. */
  function transferToAda(amount: bigint): bigint {
    const [ada, ben] = names as [string, string]
    w.sui.ledger.transfer({from: ben, to: ada, coinType: w.coins.CUSD, amount})
    return w.sui.ledger.produceCheckpoint()
  }

  it('a header one above the state: the transfer of that checkpoint is not skipped as already counted', async () => {
    const [ada] = names as [string]
    w.sui.faults.stateHeights({headerAbove: 1})
    // The state one behind is kept from the first reply that needs it: start it, let it fall behind.
    await chain.balance(ada, w.coins.CUSD)
    w.sui.ledger.produceCheckpoint()
    const height = transferToAda(777n)
    // Names the transfer's checkpoint, answers from the one before: 777 short.
    const read = await opened.service.getBalance(ada, 'CUSD', {forceRefresh: true})
    assert.deepEqual([read.checkpoint, read.amount], [height, chainBalance(w, ada, w.coins.CUSD) - 777n])
    await pollOnce(w)
    await drain(w)
    const row = await store.read(key(ada, 'CUSD'))
    assert.equal(row?.stale, true, 'the transfer is inside the read\'s window: the row cannot tell whether the value holds it')
    assert.deepEqual(await assertExactOrStale(), {stale: 1})
    w.sui.faults.reset()
    await assertReadAgainExact()
  })

  it('a header one below the state: the transfer of the checkpoint after it is not counted twice', async () => {
    const [ada] = names as [string]
    w.sui.faults.stateHeights({headerBelow: 1})
    const height = transferToAda(555n)
    // Answers from the transfer's checkpoint, names the one before: the 555 is in it already.
    const read = await opened.service.getBalance(ada, 'CUSD', {forceRefresh: true})
    assert.deepEqual([read.checkpoint, read.amount], [height - 1n, chainBalance(w, ada, w.coins.CUSD)])
    await pollOnce(w)
    await drain(w)
    assert.equal((await store.read(key(ada, 'CUSD')))?.stale, true)
    assert.deepEqual(await assertExactOrStale(), {stale: 1})
    w.sui.faults.reset()
    await assertReadAgainExact()
  })

  it('a node behind the pipeline: verifyCritical asks again until it has caught up, within one deadline, and never returns the older value', async () => {
    const [ada] = names as [string]
    await chain.balance(ada, w.coins.CUSD) // the state one behind is kept from here on
    w.sui.ledger.produceCheckpoint()
    // Sealed by the poll, in the tip checkpoint: a node one behind has not got it.
    w.sui.ledger.transfer({from: names[1]!, to: ada, coinType: w.coins.CUSD, amount: 321n})
    await pollOnce(w)
    await drain(w)
    const exact = chainBalance(w, ada, w.coins.CUSD)
    w.sui.faults.stateHeights({behind: 1})
    const quick = await openService({verifyTimeoutMs: 800})
    quick.service.useLevels({memory: false, redis: true})
    // A trusted row is served trusted only while a poller says the pipeline is caught up; the
    // marker \`poll --once\` left lives 5 s at most, less than this test may take on a busy machine.
    const caughtUp = await keepPipelineCaughtUp(process.env.REDIS_URL as string, w.prefix)
    try {
      const started = Date.now()
      await assert.rejects(quick.service.getBalance(ada, 'CUSD', {verifyCritical: true}), (error: Error & {code?: string}) => {
        assert.equal(error.code, 'BALANCE_UNVERIFIED')
        assert.match(error.message, /still answered at checkpoint \d+ after 800 ms, behind checkpoint \d+/)
        return true
      })
      assert.ok(Date.now() - started < 3_000, `one deadline for the whole call: ${Date.now() - started} ms`)
      // A trusted row is served as it is; a stale one is not cleared by a node that is behind:
      // the chain's older word, stale, and nothing written.
      assert.deepEqual(await quick.service.getBalance(ada, 'CUSD', {forceRefresh: true}).then((b) => [b.amount, b.isStale]), [exact, false])
      await quick.service.markStale(ada, 'CUSD')
      const before = await store.read(key(ada, 'CUSD'))
      const refreshed = await quick.service.getBalance(ada, 'CUSD', {forceRefresh: true})
      assert.deepEqual([refreshed.isStale, refreshed.amount], [true, exact - 321n])
      assert.deepEqual(await store.read(key(ada, 'CUSD')), before)
    } finally {
      await caughtUp.stop()
      await quick.close()
    }
    // The node catches up while the call asks again: the fresh value.
    const verifying = opened.service.getBalance(ada, 'CUSD', {verifyCritical: true})
    setTimeout(() => w.sui.faults.stateHeights({}), 300)
    const verified = await verifying
    assert.deepEqual([verified.amount, verified.isStale, verified.source], [exact, false, 'chain'])
  })

  it('verifyCritical against a node that does not answer: one deadline for the whole call, whatever each attempt may take', async () => {
    const [ada] = names as [string]
    const quick = await openService({verifyTimeoutMs: 500})
    // Each attempt may take the reader's 10 s deadline (and be retried): the call still ends at 500 ms.
    w.sui.faults.latency('GetBalance', 3_000)
    try {
      const started = Date.now()
      await assert.rejects(quick.service.getBalance(ada, 'CUSD', {verifyCritical: true}), /BALANCE_UNVERIFIED|cannot verify the CUSD balance/)
      assert.ok(Date.now() - started < 2_000, `${Date.now() - started} ms`)
    } finally {
      await quick.close()
    }
  })

  it('with both switches on and transfers in nearly every checkpoint, every read path and reconcile leave balances exact or stale, then exact once read again', async () => {
    w.sui.faults.stateHeights({headerAbove: 0.3, headerBelow: 0.3})
    await chain.balance(names[0]!, w.coins.CUSD)
    const pipeline = new ConfioProcess(['run', '--mode', 'poll', '--interval', '100ms', '--log-level', 'warn'], w.env)
    let ticks = 0
    const producer = setInterval(() => {
      ticks += 1
      // Nearly every checkpoint moves some of every account's balances.
      if (ticks % 8 !== 0) {
        const from = names[ticks % 3]!
        const to = names[(ticks + 1) % 3]!
        w.sui.ledger.transfer({from, to, coinType: ticks % 2 ? w.coins.CUSD : w.coins.SUI, amount: BigInt(1_000 + ticks), toAddressBalance: ticks % 3 === 0})
      }
      w.sui.ledger.produceCheckpoint()
    }, 50)
    const reconciles: {drift: unknown[]; outcome: string}[] = []
    const testBalances: {rows: {step: string; token: string; isStale: boolean}[]}[] = []
    try {
      const until = Date.now() + 5_000
      const inProcess = (async () => {
        while (Date.now() < until) {
          for (const address of names) {
            for (const token of TOKENS) {
              await opened.service.getBalance(address, token, {forceRefresh: true})
              await opened.service.getBalance(address, token, {verifyCritical: true}).catch(() => undefined)
            }
            await opened.service.getAllBalances(address)
          }
        }
      })()
      const cli = (async () => {
        while (Date.now() < until) {
          const [ada] = names as [string]
          const email = (await w.db('accounts').where({id: w.accounts[ada]}).first('email')).email as string
          const [testBalance, reconcile] = await Promise.all([runCli(['test-balance', '--user-email', email, '--json'], {env: w.env}), runCli(['reconcile', '--json'], {env: w.env})])
          assert.equal(testBalance.code, 0, testBalance.stderr)
          assert.equal(reconcile.code, 0, reconcile.stderr)
          testBalances.push(jsonOf(testBalance))
          reconciles.push(jsonOf(reconcile))
        }
      })()
      await Promise.all([inProcess, cli])
    } finally {
      clearInterval(producer)
    }
    // The last word: reads of checkpoints that each move every balance, with nothing after them
    // but the pipeline processing those very transfers.
    for (let round = 0; round < 3; round++) {
      for (const [i, from] of names.entries()) {
        for (const token of TOKENS) w.sui.ledger.transfer({from, to: names[(i + 1) % 3]!, coinType: coinType(token), amount: BigInt(100 + round)})
      }
      w.sui.ledger.produceCheckpoint()
      for (const address of names) for (const token of TOKENS) await opened.service.getBalance(address, token, {forceRefresh: true})
    }
    try {
      // The pipeline catches up: every transaction up to the tip stored and processed.
      const tip = w.sui.ledger.produceCheckpoint()
      await eventually(async () => {
        const cursor = (await w.db('ingest_cursors').where({name: POLLER_CURSOR}).first('checkpoint'))?.checkpoint
        const waiting = Number((await w.db('raw_blockchain_events').whereNull('processed_at').count({n: '*'}))[0]?.n)
        return cursor !== undefined && BigInt(cursor) >= tip && waiting === 0
      }, 60_000, 'the pipeline caught up').catch((error: Error) => {
        throw new Error(`${error.message}\n${pipeline.stderr.slice(-3_000)}`)
      })
    } finally {
      pipeline.kill('SIGTERM')
      await pipeline.exited
    }
    assert.ok(reconciles.length > 0 && testBalances.length > 0)
    // There is no drift on this chain: a run that found some "corrected" a right balance.
    assert.deepEqual(reconciles.flatMap((r) => r.drift), [])
    await assertExactOrStale()
    w.sui.faults.reset()
    await assertReadAgainExact()
    const after = await runCli(['reconcile', '--json'], {env: w.env})
    assert.deepEqual([after.code, jsonOf<{outcome: string; drift: unknown[]}>(after).outcome, jsonOf<{drift: unknown[]}>(after).drift], [0, 'agreed', []])
    const shown = jsonOf<{rows: {step: string; token: string; amount: string; isStale: boolean}[]}>(await runCli(['test-balance', '--user-email', (await w.db('accounts').where({id: w.accounts[names[0]!]}).first('email')).email as string, '--json'], {env: w.env}))
    for (const row of shown.rows.filter((r) => TOKENS.includes(r.token as (typeof TOKENS)[number]))) {
      assert.deepEqual([row.step, row.amount, row.isStale], [row.step, chainBalance(w, names[0]!, coinType(row.token)).toString(), false])
    }
  })
})
