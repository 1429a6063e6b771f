// A consolidation with --execute that stops part-way, against the local Sui server: the error (one
// line, and --json's error.details) names every step executed so far with its checkpoint, and a
// step sent without an answer by its digest, so the operator never sends a step twice. Each fault
// is switched on from a listener on the in-process ledger the moment the first step is sealed, so
// it always hits the step after it.
import assert from 'node:assert/strict'
import {Ed25519Keypair} from '@mysten/sui/keypairs/ed25519'
import type {GrpcChainReader} from '../../src/chain/index.ts'
import {CoinManager} from '../../src/coins/coin-manager.ts'
import {ConsolidationFailure, type ConsolidationProgress} from '../../src/coins/consolidation-failure.ts'
import {planConsolidation} from '../../src/coins/consolidation-plan.ts'
import {executeConsolidation} from '../../src/coins/consolidation-runner.ts'
import {MAINNET_LIMITS} from '../../src/coins/protocol-limits.ts'
import {signerFromPrivateKey} from '../../src/coins/transaction-signer.ts'
import {normalizeAddress} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import type {JsonOutput} from '../../cli/base-command.ts'
import {testReader} from '../chain/chain-test-support.ts'
import {eventually} from '../support/child-process.ts'
import {type CliResult, jsonOf, runCli} from '../support/cli.ts'
import {startSuiServer, type SuiTestServer} from '../../sui-server/index.ts'
import {CUSD, CUSD_TYPE, SUI} from './coin-support.ts'

interface Wallet {
  address: string
  secret: string
}

interface ErrorJson {
  error: {code: string; message: string; remedy: string; exitCode: number; details: JsonOutput<ConsolidationProgress>}
}

/** Where the first step landed, as the ledger sealed it. */
interface Landed {
  digest: string
  checkpoint: bigint
}

function wallet(): Wallet {
  const key = Ed25519Keypair.generate()
  return {address: normalizeAddress(key.toSuiAddress()), secret: key.getSecretKey()}
}

describe('a consolidation that stops part-way', function () {
  this.timeout(90_000)
  let sui: SuiTestServer
  let env: Record<string, string>
  let chain: GrpcChainReader
  let manager: CoinManager
  // hana: two transactions at mainnet limits (1,627 coins, then 3); the others 12 coins each.
  const [hana, ivy, jun, kai] = [wallet(), wallet(), wallet(), wallet()]
  const cusdCoins = (who: Wallet) => sui.ledger.coins(who.address, CUSD_TYPE)
  const landed = (digest: string) => async () => sui.ledger.transaction(digest)?.checkpoint !== undefined
  const consolidate = (who: Wallet, extraEnv: Record<string, string> = {}, json = true): Promise<CliResult> =>
    runCli(['coins', 'consolidate', '--address', who.address, '--token', 'CUSD', '--execute', ...(json ? ['--json'] : [])], {env: {...env, SUI_PRIVATE_KEY: who.secret, ...extraEnv}})
  /** Three transactions of 4, 4 and 3 coins, merged into the largest coin. */
  const smallPlan = async (who: Wallet) => planConsolidation(await manager.coins(who.address, 'CUSD'), {...MAINNET_LIMITS, maxInputObjects: 21}, {into: 'coin'})

  /** Runs `then` as soon as a transaction of `owner` is sealed, once; the returned function says where it landed. */
  function afterFirstStep(owner: string, then: () => void): () => Landed {
    let first: Landed | undefined
    const off = sui.ledger.onCheckpoint((checkpoint) => {
      const tx = checkpoint.transactions.find((t) => normalizeAddress(t.sender) === owner)
      if (!tx || first) return
      first = {digest: tx.digest, checkpoint: checkpoint.sequenceNumber}
      off()
      then()
    })
    return () => {
      off()
      assert.ok(first, 'the first step was never executed')
      return first
    }
  }

  before(async () => {
    sui = await startSuiServer()
    const {ledger} = sui
    for (let i = 1; i <= 1_630; i++) ledger.mint(hana.address, CUSD_TYPE, BigInt(i))
    for (const who of [ivy, jun, kai]) for (let i = 1; i <= 12; i++) ledger.mint(who.address, CUSD_TYPE, BigInt(i) * 1_000n)
    for (const who of [hana, ivy, jun, kai]) for (const amount of [2_000_000_000n, 1_000_000_000n]) ledger.mint(who.address, SUI.coinType, amount)
    ledger.produceCheckpoint()
    env = {SUI_GRPC_URL: sui.url, SUI_NETWORK: 'localnet', CUSD_ADDRESS: CUSD_TYPE.split('::')[0] as string}
    chain = testReader(sui.url, {deadlineMs: 800, maxAttempts: 2})
    manager = new CoinManager({chain, tokens: new TokenRegistry([SUI, CUSD])})
    // As on a real network: an executed step seals a moment later, and state reads trail it.
    ledger.sealDelayMs = 150
    ledger.stateLagMs = 100
  })

  afterEach(() => {
    sui.faults.reset()
    sui.ledger.sealOnExecute = true
  })

  after(async () => {
    chain?.close()
    await sui?.close()
  })

  it('names step 1, executed, with its checkpoint when step 2 fails before it is sent, in the line and in --json', async () => {
    const first = afterFirstStep(hana.address, () => sui.faults.failRate('SimulateTransaction', 'UNAVAILABLE', 1))
    const run = await consolidate(hana)
    const step1 = first()
    assert.equal(run.code, 1, run.stderr)
    const {error} = jsonOf<ErrorJson>(run)
    assert.deepEqual([error.code, error.exitCode], ['CONSOLIDATION_FAILED', 1])
    assert.deepEqual(error.details, {stoppedAt: 2, executed: [{step: 1, digest: step1.digest, checkpoint: step1.checkpoint.toString(), success: true}], unknown: []})
    assert.match(error.message, /^consolidation stopped at step 2 of 2, before sending it: Sui node: SimulateTransaction failed with UNAVAILABLE after \d attempts/)
    assert.ok(error.message.endsWith(`; executed: step 1 as ${step1.digest} (checkpoint ${step1.checkpoint})`), error.message)
    assert.ok(!error.message.includes('\n'))
    assert.equal(error.remedy, `confio coins inspect --address ${hana.address} --token CUSD shows what is left; running again plans only the coins still there, so no executed step is sent twice`)
    assert.deepEqual(cusdCoins(hana).map((c) => c.balance).sort(), [1_628n, 1_629n, 1_630n], "step 2's coins are untouched")

    // Once the node answers again, running again sends only what is left: one transaction of those three coins.
    sui.faults.reset()
    const again = await consolidate(hana, {}, false)
    assert.equal(again.code, 0, again.stderr)
    assert.equal(cusdCoins(hana).length, 0)
    assert.match(again.stderr, /^transaction 1: 3 coins, /m)
  })

  it('names a step sent without an answer by its digest, outcome unknown: the digest that then lands', async () => {
    // The node takes 2.5 s to answer ExecuteTransaction; confio waits 1 s a call.
    sui.faults.latency('ExecuteTransaction', 2_500)
    const executes = sui.ledger.executeCount
    const run = await consolidate(ivy, {SUI_GRPC_DEADLINE_MS: '1000'})
    assert.equal(run.code, 1, run.stderr)
    const {error} = jsonOf<ErrorJson>(run)
    assert.deepEqual([error.code, error.exitCode, error.details.stoppedAt, error.details.executed, error.details.unknown.length], ['CONSOLIDATION_FAILED', 1, 1, [], 1])
    const [unknown] = error.details.unknown
    assert.ok(unknown)
    assert.equal(unknown.step, 1)
    // The chain layer's deadline timer or grpc-js's own (given the same deadline) ends the call first.
    assert.match(unknown.reason, /^Sui node: ExecuteTransaction failed with DEADLINE_EXCEEDED after \d attempts: (no answer within 1000 ms|Deadline exceeded( after [\d.]+s)?(,[\w ]+: [\d.]+s)*(,remote_addr=[\d.:]+)?)$/)
    assert.equal(error.message, `consolidation step 1 of 1 was sent as ${unknown.digest}, outcome unknown (${unknown.reason}); executed: none`)
    assert.ok(error.remedy.startsWith(`before running again, look up ${unknown.digest} (`), error.remedy)
    // The node executed it after confio gave up: the digest reported is the one on the ledger, once.
    await eventually(landed(unknown.digest), 10_000, 'the slow execution lands')
    assert.equal(sui.ledger.executeCount, executes + 1)
    assert.equal(cusdCoins(ivy).length, 0)
  })

  it('names step 1 executed and step 2 unknown when step 2 gets no answer', async () => {
    const plan = await smallPlan(jun)
    const first = afterFirstStep(jun.address, () => sui.faults.latency('ExecuteTransaction', 2_000))
    const failure = await executeConsolidation(plan, signerFromPrivateKey(jun.secret), {manager, chain}).then(
      () => assert.fail('the consolidation succeeded'),
      (error: unknown) => error,
    )
    const step1 = first()
    assert.ok(failure instanceof ConsolidationFailure, String(failure))
    const {progress} = failure
    assert.deepEqual([progress.stoppedAt, progress.executed], [2, [{step: 1, digest: step1.digest, checkpoint: step1.checkpoint, success: true}]])
    assert.deepEqual(progress.unknown.map((s) => s.step), [2])
    const step2 = progress.unknown[0]?.digest ?? ''
    assert.ok(failure.message.startsWith(`consolidation step 2 of 3 was sent as ${step2}, outcome unknown (Sui node: ExecuteTransaction failed with DEADLINE_EXCEEDED`), failure.message)
    assert.ok(failure.message.endsWith(`; executed: step 1 as ${step1.digest} (checkpoint ${step1.checkpoint})`), failure.message)
    await eventually(landed(step2), 10_000, 'the slow execution lands')
  })

  it('names a step executed but not seen in a checkpoint as executed, checkpoint unknown', async () => {
    const plan = await smallPlan(kai)
    // From step 2 on, executed transactions wait for a checkpoint that does not come.
    const first = afterFirstStep(kai.address, () => (sui.ledger.sealOnExecute = false))
    const failure = await executeConsolidation(plan, signerFromPrivateKey(kai.secret), {manager, chain, checkpointTimeoutMs: 1_000}).then(
      () => assert.fail('the consolidation succeeded'),
      (error: unknown) => error,
    )
    const step1 = first()
    assert.ok(failure instanceof ConsolidationFailure, String(failure))
    const [executed1, executed2] = failure.progress.executed
    assert.deepEqual([failure.progress.stoppedAt, failure.progress.unknown, failure.progress.executed.length], [2, [], 2])
    assert.deepEqual(executed1, {step: 1, digest: step1.digest, checkpoint: step1.checkpoint, success: true})
    assert.deepEqual([executed2?.step, executed2?.checkpoint, executed2?.success, sui.ledger.transaction(executed2?.digest ?? '')?.checkpoint], [2, null, true, undefined])
    assert.equal(
      failure.message,
      `consolidation step 2 of 3 was executed as ${executed2?.digest}, checkpoint unknown (not in a checkpoint within 1 s); executed: step 1 as ${step1.digest} (checkpoint ${step1.checkpoint}), step 2 as ${executed2?.digest} (checkpoint unknown)`,
    )
    sui.ledger.produceCheckpoint()
  })
})
