// Coin management executed on the local Sui server, signed with real keys of all three schemes:
// consolidations (the CLI's --execute, and multi-transaction plans in process), exact-amount
// payments from prepareExactAmount, a dry run that sends nothing, a key for another address
// refused, and the poller and worker recording what was executed. The server seals an executed
// transaction only SEAL_DELAY_MS after it executed, and its state replies reach a checkpoint
// STATE_LAG_MS after it sealed, as a real network does: every run waits for its transactions'
// checkpoints and for the state to reach them (consolidation-runner.ts), and the last tests show
// those waits end at their deadline.
import assert from 'node:assert/strict'
import type {Keypair} from '@mysten/sui/cryptography'
import {Ed25519Keypair} from '@mysten/sui/keypairs/ed25519'
import {Secp256k1Keypair} from '@mysten/sui/keypairs/secp256k1'
import {Secp256r1Keypair} from '@mysten/sui/keypairs/secp256r1'
import {Transaction} from '@mysten/sui/transactions'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import type {GrpcChainReader} from '../../src/chain/index.ts'
import {CoinManager} from '../../src/coins/coin-manager.ts'
import {planConsolidation} from '../../src/coins/consolidation-plan.ts'
import {executeConsolidation} from '../../src/coins/consolidation-runner.ts'
import {refOf} from '../../src/coins/coin-commands.ts'
import {MAINNET_LIMITS} from '../../src/coins/protocol-limits.ts'
import {signerFromPrivateKey} from '../../src/coins/transaction-signer.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {normalizeAddress, SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {testReader} from '../chain/chain-test-support.ts'
import {type CliResult, jsonOf, runCli} from '../support/cli.ts'
import {HAVE_SCRIPT, runOnTerminal} from '../support/terminal.ts'
import {anchorBalances, chainBalance, startWorld, type WorkerWorld} from '../processing/worker-support.ts'

const SUI = '0x2::sui::SUI'
const SEAL_DELAY_MS = 250
const STATE_LAG_MS = 150

interface Wallet {
  key: Keypair
  address: string
  secret: string
}

/** Waits for `done`, or fails after `timeoutMs` naming what it waited for. */
async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`no ${what} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function wallet(key: Keypair): Wallet {
  return {key, address: normalizeAddress(key.toSuiAddress()), secret: key.getSecretKey()}
}

describe('coin management executed on the local Sui server', function () {
  this.timeout(60_000)
  let w: WorkerWorld
  let chain: GrpcChainReader
  let manager: CoinManager
  const [alice, carol, dave, erin, frank, gina, hana] = [
    wallet(Ed25519Keypair.generate()),
    wallet(Ed25519Keypair.generate()),
    wallet(Secp256k1Keypair.generate()),
    wallet(Secp256r1Keypair.generate()),
    wallet(Ed25519Keypair.generate()),
    wallet(Ed25519Keypair.generate()),
    wallet(Ed25519Keypair.generate()),
  ] as [Wallet, Wallet, Wallet, Wallet, Wallet, Wallet, Wallet]
  const bob = normalizeAddress(`0x${'b0b'.padStart(64, '0')}`)
  /** Digests of everything executed for a monitored account, for the poller and worker check. */
  const executed: string[] = []
  const coinsOf = (who: Wallet, type: string) => w.sui.ledger.coins(who.address, type)
  const total = (who: string, type: string) => chainBalance(w, who, type)
  /** Until the transaction is sealed and the state replies have its checkpoint. */
  const untilInState = async (digest: string) => {
    const {ledger} = w.sui
    await until(() => ledger.transaction(digest)?.checkpoint !== undefined, 5_000, `${digest} in a checkpoint`)
    const sealedIn = ledger.transaction(digest)!.checkpoint!.sequenceNumber
    await until(() => ledger.stateHeight >= sealedIn, 5_000, `the state at checkpoint ${sealedIn}`)
  }
  const consolidate = (who: Wallet, args: string[], key?: Wallet): Promise<CliResult> =>
    runCli(['coins', 'consolidate', '--address', who.address, ...args, '--json'], {env: {...w.env, ...(key ? {SUI_PRIVATE_KEY: key.secret} : {})}})

  before(async () => {
    w = await startWorld([])
    const {ledger} = w.sui
    for (const who of [alice, carol, dave, erin, frank, gina, hana]) {
      const [row] = await w.db('accounts').insert({email: `${who.address.slice(2, 10)}@coins.test`, sui_address: who.address}).returning('id')
      w.accounts[who.address] = String(row.id)
    }
    // Dust: 40 cUSD coins for alice and gina, 12 for erin; SUI coins for gas, and 30 for carol and dave.
    for (let i = 1; i <= 40; i++) for (const who of [alice, gina]) ledger.mint(who.address, w.coins.CUSD, BigInt(i) * 10_000n)
    for (let i = 1; i <= 12; i++) for (const who of [erin, hana]) ledger.mint(who.address, w.coins.CUSD, BigInt(i) * 1_000n)
    for (let i = 1; i <= 30; i++) for (const who of [carol, dave]) ledger.mint(who.address, SUI, BigInt(i) * 10_000_000n)
    for (const who of [alice, erin, frank, gina, hana]) for (const amount of [2_000_000_000n, 1_000_000_000n]) ledger.mint(who.address, SUI, amount)
    for (const amount of [5_000_000n, 3_000_000n, 2_000_000n]) ledger.mint(frank.address, w.coins.CUSD, amount)
    ledger.mint(frank.address, w.coins.CUSD, 4_000_000n, {addressBalance: true})
    ledger.produceCheckpoint()
    // The poller starts here, from balances anchored at this checkpoint.
    await w.db('ingest_cursors').where({name: POLLER_CURSOR}).update({checkpoint: ledger.checkpointHeight.toString()})
    await anchorBalances(w)
    chain = testReader(w.sui.url)
    const tokens = new TokenRegistry([
      {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
      {symbol: 'CUSD', coinType: w.coins.CUSD, decimals: 6},
    ])
    manager = new CoinManager({chain, tokens})
    // From here on, executed transactions seal late and state reads trail the checkpoints.
    ledger.sealDelayMs = SEAL_DELAY_MS
    ledger.stateLagMs = STATE_LAG_MS
  })

  after(async () => {
    chain?.close()
    await w?.close()
  })

  it('sends nothing in a dry run, and refuses a key for another address', async () => {
    const [executes, listings] = [w.sui.ledger.executeCount, w.sui.faults.calls('ListOwnedObjects')]
    const [dry, refused] = await Promise.all([consolidate(gina, ['--token', 'CUSD'], gina), consolidate(gina, ['--token', 'CUSD', '--execute'], alice)])
    assert.equal(dry.code, 0, dry.stderr)
    const plan = jsonOf<{executed: boolean; transactions: {outcome: {status: {success: boolean}}}[]; after: {coins: number}}>(dry)
    assert.deepEqual([plan.executed, plan.transactions.length, plan.transactions[0]?.outcome.status.success, plan.after.coins], [false, 1, true, 0])
    assert.equal(refused.code, 2, refused.stderr)
    assert.equal(jsonOf<{error: {message: string}}>(refused).error.message, `the key in SUI_PRIVATE_KEY is for ${alice.address}, not ${gina.address}; nothing was sent`)
    assert.equal(w.sui.ledger.executeCount, executes, 'the dry run and the refused run executed nothing')
    assert.equal(w.sui.faults.calls('ListOwnedObjects') - listings, 2, 'the refused run read nothing (the dry run read cUSD and SUI)')
    assert.equal(coinsOf(gina, w.coins.CUSD).length, 40)
    for (const {stdout, stderr} of [dry, refused]) assert.ok(!`${stdout}${stderr}`.includes(gina.secret) && !`${stdout}${stderr}`.includes(alice.secret))
  })

  it('folds cUSD into the address balance with --execute, printing digests and checkpoints, never the key', async () => {
    const [cusdBefore, suiBefore] = [total(alice.address, w.coins.CUSD), total(alice.address, SUI)]
    const run = await consolidate(alice, ['--token', 'CUSD', '--execute'], alice)
    assert.equal(run.code, 0, run.stderr)
    assert.ok(!run.stdout.includes(alice.secret) && !run.stderr.includes(alice.secret), 'the key is in the output')
    const result = jsonOf<{executed: boolean; gasUsed: string; transactions: {outcome: {digest: string; checkpoint: string}}[]}>(run)
    assert.deepEqual([result.executed, result.transactions.length], [true, 1])
    for (const t of result.transactions) {
      assert.equal(w.sui.ledger.transaction(t.outcome.digest)?.checkpoint?.sequenceNumber.toString(), t.outcome.checkpoint)
      executed.push(t.outcome.digest)
    }
    // No cUSD coin left, all of it in the address balance; only gas came off her SUI.
    assert.equal(coinsOf(alice, w.coins.CUSD).length, 0)
    assert.deepEqual(w.sui.ledger.balance(alice.address, w.coins.CUSD), {coinType: w.coins.CUSD, coinBalance: 0n, addressBalance: cusdBefore})
    assert.equal(total(alice.address, SUI), suiBefore - BigInt(result.gasUsed))
  })

  it('merges SUI into one coin through the gas payment: the total minus gas', async () => {
    const before = total(carol.address, SUI)
    const plan = await manager.planConsolidation(carol.address, 'SUI', {into: 'coin'})
    assert.deepEqual(plan.transactions.map((t) => [t.coins.length, t.gasPaymentCoins]), [[29, 28]])
    const run = await executeConsolidation(plan, signerFromPrivateKey(carol.secret), {manager, chain})
    assert.deepEqual(coinsOf(carol, SUI).map((c) => [c.objectId, c.balance]), [[plan.target?.objectId, before - run.gasUsed]])
    assert.deepEqual(run.after, {coins: 1, coinBalance: before - run.gasUsed, addressBalance: 0n})
    executed.push(...run.steps.map((s) => s.digest))
  })

  it('runs plans of several transactions, each built on what the previous left, for SUI (gas coin) and cUSD', async () => {
    const options = {manager, chain, checkpointTimeoutMs: 5_000}
    // dave: 30 SUI coins into the address balance, 6 a transaction (3 in the gas payment, 3 merged).
    const daveBefore = total(dave.address, SUI)
    const suiPlan = planConsolidation(await manager.coins(dave.address, 'SUI'), {...MAINNET_LIMITS, maxInputObjects: 7, maxGasPaymentObjects: 4})
    assert.equal(suiPlan.transactions.length, 5)
    const suiRun = await executeConsolidation(suiPlan, signerFromPrivateKey(dave.secret), options)
    assert.equal(suiRun.steps.length, 5)
    assert.ok(suiRun.steps.every((s) => s.status.success && s.checkpoint !== undefined))
    assert.equal(coinsOf(dave, SUI).length, 1, 'the gas coin stays')
    assert.equal(total(dave.address, SUI), daveBefore - suiRun.gasUsed)
    assert.deepEqual(suiRun.after, {coins: 1, coinBalance: w.sui.ledger.balance(dave.address, SUI).coinBalance, addressBalance: w.sui.ledger.balance(dave.address, SUI).addressBalance})
    assert.ok(suiRun.after.addressBalance > 0n)
    // erin: 12 cUSD coins merged into the largest, 4 a transaction.
    const erinCusd = total(erin.address, w.coins.CUSD)
    // Room for 16 SUI gas coins and the target leaves 4.
    const tokenPlan = planConsolidation(await manager.coins(erin.address, 'CUSD'), {...MAINNET_LIMITS, maxInputObjects: 21}, {into: 'coin'})
    assert.deepEqual(tokenPlan.transactions.map((t) => t.coins.length), [4, 4, 3])
    const tokenRun = await executeConsolidation(tokenPlan, signerFromPrivateKey(erin.secret), options)
    assert.deepEqual(coinsOf(erin, w.coins.CUSD).map((c) => [c.objectId, c.balance]), [[tokenPlan.target?.objectId, erinCusd]])
    executed.push(...suiRun.steps.map((s) => s.digest), ...tokenRun.steps.map((s) => s.digest))
  })

  it('builds exact-amount payments that move exactly the amount: from the address balance, from coins, and from the gas coin', async () => {
    const pay = async (token: 'CUSD' | 'SUI', amount: bigint, gasPaid: boolean) => {
      const tx = new Transaction()
      tx.setSender(frank.address)
      tx.setGasPrice(750n)
      tx.setGasBudget(10_000_000n)
      if (gasPaid) {
        const largest = (await manager.coins(frank.address, 'SUI')).coins.at(-1)
        tx.setGasPayment([refOf(largest!)])
      }
      const exact = await manager.prepareExactAmount(tx, frank.address, token, amount)
      tx.transferObjects([exact.coin], bob)
      const bytes = await tx.build(exact.buildOptions)
      const {signature} = await frank.key.signTransaction(bytes)
      const result = await chain.execute({txBytes: bytes, signatures: [signature]})
      assert.ok(result.status.success, JSON.stringify(result.status))
      executed.push(result.digest)
      // The next payment spends what this one left: its coins are read once the node's state has
      // this one (it seals late and the state trails it), as any caller paying twice must wait.
      await untilInState(result.digest)
      return {exact, result}
    }
    const type = w.coins.CUSD
    // 4 cUSD in the address balance: the SDK's intent takes 2.5 from there, no coin touched.
    const fromBalance = await pay('CUSD', 2_500_000n, true)
    assert.deepEqual([fromBalance.exact.source, total(bob, type), w.sui.ledger.balance(frank.address, type).addressBalance, coinsOf(frank, type).length], ['address-balance', 2_500_000n, 1_500_000n, 3])
    // 7.5 cUSD: more than the address balance; the 5 and 3 coins are merged and split.
    const fromCoins = await pay('CUSD', 7_500_000n, true)
    assert.deepEqual([fromCoins.exact.source, fromCoins.exact.coins.map((c) => c.balance)], ['coins', [5_000_000n, 3_000_000n]])
    assert.equal(total(bob, type), 10_000_000n)
    assert.equal(total(frank.address, type), 14_000_000n - 10_000_000n)
    // SUI from the gas coin: bob gets exactly 1.25 SUI; frank pays that and the gas.
    const frankSui = total(frank.address, SUI)
    const fromGas = await pay('SUI', 1_250_000_000n, false)
    assert.equal(fromGas.exact.source, 'gas-coin')
    assert.equal(total(bob, SUI), 1_250_000_000n)
    assert.equal(total(frank.address, SUI), frankSui - 1_250_000_000n - fromGas.result.gasUsed)
  })

  it('gives up at its deadline on a checkpoint that does not come, naming the step executed', async () => {
    const {ledger} = w.sui
    const plan = planConsolidation(await manager.coins(hana.address, 'CUSD'), {...MAINNET_LIMITS, maxInputObjects: 21}, {into: 'coin'})
    ledger.sealDelayMs = 3_000
    try {
      const started = Date.now()
      const failure = await executeConsolidation(plan, signerFromPrivateKey(hana.secret), {manager, chain, checkpointTimeoutMs: 400}).then(
        () => assert.fail('the run waited past its deadline for a checkpoint sealed 3 s later'),
        (error: unknown) => error as Error,
      )
      assert.match(failure.message, /step 1 of 3 was executed as \S+, checkpoint unknown \(not in a checkpoint within 0.4 s\)/)
      // The deadline, and the 200 ms between two looks: not the 3 s the seal takes.
      assert.ok(Date.now() - started < 2_500, `gave up after ${Date.now() - started} ms`)
      const digest = /executed as (\S+),/.exec(failure.message)?.[1] as string
      executed.push(digest)
      ledger.produceCheckpoint() // rather than wait the 3 s out
      await untilInState(digest)
    } finally {
      ledger.sealDelayMs = SEAL_DELAY_MS
    }
  })

  it('gives up at its deadline on a state that does not reach the step\'s checkpoint', async () => {
    const {ledger} = w.sui
    const plan = planConsolidation(await manager.coins(hana.address, 'CUSD'), {...MAINNET_LIMITS, maxInputObjects: 21}, {into: 'coin'})
    ledger.stateLagMs = 1_500
    try {
      const failure = await executeConsolidation(plan, signerFromPrivateKey(hana.secret), {manager, chain, checkpointTimeoutMs: 400}).then(
        () => assert.fail('the run read coins the state, 1.5 s behind, did not show yet'),
        (error: unknown) => error as Error,
      )
      // Step 1 landed in its checkpoint; the coins for step 2 are read only once the state has it.
      assert.match(failure.message, /stopped at step 2 of 2, before sending it: the node's state did not reach checkpoint \d+ within 0.4 s/)
      const checkpoint = BigInt(/checkpoint (\d+) within/.exec(failure.message)?.[1] as string)
      executed.push(...ledger.checkpoint(checkpoint)!.transactions.map((t) => t.digest).filter((d) => ledger.transaction(d)?.record.sender === hana.address))
      await until(() => ledger.stateHeight >= checkpoint, 5_000, 'the state to reach the step')
    } finally {
      ledger.stateLagMs = STATE_LAG_MS
    }
  })

  it('is recorded by the poller and the worker: every transaction stored and processed, balances exact', async () => {
    w.sui.ledger.produceCheckpoint()
    const run = await runCli(['run', '--once', '--mode', 'poll', '--json'], {env: w.env})
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(jsonOf<{worker: {failed: number}}>(run).worker.failed, 0)
    const stored = await w.db('raw_blockchain_events').whereIn('tx_digest', executed).select('tx_digest', 'processed_at')
    assert.deepEqual(stored.map((r) => r.tx_digest).sort(), [...executed].sort())
    assert.ok(stored.every((r) => r.processed_at !== null))
    const store = new PostgresBalanceStore(w.db)
    for (const who of [alice, carol, dave, erin, frank, hana]) {
      for (const [token, coinType] of [['SUI', SUI], ['CUSD', w.coins.CUSD]] as const) {
        const row = await store.read({accountId: w.accounts[who.address]!, token})
        assert.deepEqual([row?.stale, row?.amount], [false, total(who.address, coinType)], `${token} of ${who.address.slice(0, 10)}`)
      }
    }
  })
  it('--execute on a terminal: a step per transaction, ticked off with its digest and checkpoint; the same result, the key nowhere', async function () {
    if (!HAVE_SCRIPT) this.skip()
    // gina's 40 cUSD coins, left alone by the tests before (a dry run only).
    const run = await runOnTerminal(['coins', 'consolidate', '--address', gina.address, '--token', 'CUSD', '--execute'], {...w.env, SUI_PRIVATE_KEY: gina.secret})
    assert.equal(run.code, 0, run.screen)
    assert.ok(!run.raw.includes(gina.secret), 'the key is in the output')
    const ticked = [...run.screen.matchAll(/✔ transaction (\d): \d+ coins, [\d.]+ CUSD, executed (\w+) in checkpoint (\d+) \[[\d.]+m?s\]/g)]
    assert.ok(ticked.length >= 1, run.screen)
    for (const [, , digest, checkpoint] of ticked) assert.equal(w.sui.ledger.transaction(digest!)?.checkpoint?.sequenceNumber.toString(), checkpoint)
    assert.match(run.screen, /Transaction 1: \d+ coins: build, simulate, sign, execute and wait for its checkpoint/)
    assert.equal(coinsOf(gina, w.coins.CUSD).length, 0)
  })
})

