// `confio coins inspect` against the local Sui server, run as an operator runs it.
import assert from 'node:assert/strict'
import type {CoinInspection} from '../../src/coins/coin-inspection.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {startSuiServer, type SuiTestServer} from '../../sui-server/index.ts'
import {CUSD_TYPE} from './coin-support.ts'

describe('confio coins inspect', function () {
  this.timeout(20_000)
  let sui: SuiTestServer
  let alice: string
  let env: Record<string, string>

  before(async () => {
    sui = await startSuiServer()
    alice = sui.ledger.createAddress()
    // 60 cUSD coins of 0.001 to 0.06, 7 cUSD in the address balance, one SUI coin.
    for (let i = 1; i <= 60; i++) sui.ledger.mint(alice, CUSD_TYPE, BigInt(i) * 1_000n)
    sui.ledger.mint(alice, CUSD_TYPE, 7_000_000n, {addressBalance: true})
    sui.ledger.mint(alice, '0x2::sui::SUI', 2_000_000_000n)
    sui.ledger.produceCheckpoint()
    env = {SUI_GRPC_URL: sui.url, SUI_NETWORK: 'localnet', CUSD_ADDRESS: CUSD_TYPE.split('::')[0] as string}
  })
  after(() => sui.close())

  it('reports each token: coins, amounts, dust, and whether consolidation is due and why', async () => {
    const result = await runCli(['coins', 'inspect', '--address', alice], {env})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^CUSD +60 +8\.83 +1\.83 +7 +0\.001 +0\.06 +9 \(0\.045\) +due$/m)
    assert.match(result.stdout, /^SUI +1 +2 +2 +0 +2 +2 +0 +not due$/m)
    assert.match(result.stdout, /^CUSD: consolidation due: 60 coins, more than 50$/m)
    assert.match(result.stdout, /consolidate: confio coins consolidate --address 0x[0-9a-f]{64} --token CUSD$/m)
  })

  it('gives the figures in base units with --json, with the thresholds given as flags', async () => {
    const result = await runCli(['coins', 'inspect', '--address', alice, '--token', 'CUSD', '--dust', '0.005', '--max-coins', '100', '--json'], {env})
    assert.equal(result.code, 0, result.stderr)
    const report = jsonOf<CoinInspection & {tokens: Record<string, unknown>[]}>(result)
    assert.equal(report.limits.source, 'mainnet defaults')
    assert.deepEqual(report.tokens.map((t) => t.token), ['CUSD'])
    const [cusd] = report.tokens
    assert.deepEqual(
      {coins: cusd?.coins, total: cusd?.total, addressBalance: cusd?.addressBalance, smallest: cusd?.smallest, largest: cusd?.largest, dust: cusd?.dust},
      {coins: 60, total: '8830000', addressBalance: '7000000', smallest: '1000', largest: '60000', dust: {threshold: '5000', count: 4, amount: '10000'}},
    )
    // Half of what alice holds (4.415 cUSD) comes out of the address balance: no coin inputs.
    assert.deepEqual(cusd?.consolidation, {due: false, reason: '60 coins (at most 100); paying 4.415 CUSD takes 0 coins (at most 10)', coins: 60, maxCoins: 100, payment: '4415000', paymentInputs: 0})
  })

  it('refuses a bad address, token or threshold with exit 2 before reading anything', async () => {
    const before = sui.faults.calls('ListOwnedObjects')
    const cases = [
      [['--address', '0xnothex'], /--address: "0xnothex" is not a Sui address/],
      [['--address', alice, '--token', 'DOGE'], /unknown token "DOGE"; use one of CUSD, SUI/],
      [['--address', alice, '--dust', '1,5'], /--dust "1,5" is not a decimal amount/],
    ] as const
    const results = await Promise.all(cases.map(([args]) => runCli(['coins', 'inspect', ...args], {env})))
    results.forEach((result, i) => {
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, cases[i]?.[1] as RegExp)
    })
    assert.equal(sui.faults.calls('ListOwnedObjects'), before)
  })

  describe('names the owner by a registered account, as the other commands do', function () {
    this.timeout(60_000)
    let db: Database
    const email = `alice-${process.pid}@coins.test`

    before(async () => {
      db = createDatabase({url: process.env.DATABASE_URL as string})
      await db('accounts').insert({email, sui_address: alice})
    })
    after(async () => {
      await db('accounts').where({email}).delete()
      await db.destroy()
    })

    it('--account takes the email (or address, or id) and reads the same coins as --address', async () => {
      const byAddress = jsonOf(await runCli(['coins', 'inspect', '--address', alice, '--json'], {env}))
      const byEmail = await runCli(['coins', 'inspect', '--account', email.toUpperCase(), '--json'], {env})
      assert.equal(byEmail.code, 0, byEmail.stderr)
      assert.deepEqual(jsonOf(byEmail), byAddress)
      const plan = await runCli(['coins', 'consolidate', '--account', email, '--token', 'CUSD', '--json'], {env})
      assert.equal(plan.code, 0, plan.stderr)
      assert.equal(jsonOf<{address: string; executed: boolean}>(plan).address, alice)
    })

    it('an unknown account, an email given as --address, or no owner at all: exit 2 with one line, nothing read', async () => {
      const before = sui.faults.calls('ListOwnedObjects')
      const cases = [
        [['coins', 'inspect', '--account', 'nobody@coins.test'], 'Error: --account nobody@coins.test: no active account has this id, email or address; see confio accounts list'],
        [['coins', 'consolidate', '--account', 'nobody@coins.test', '--token', 'CUSD'], 'Error: --account nobody@coins.test: no active account has this id, email or address; see confio accounts list'],
        [['coins', 'inspect', '--address', email], `Error: --address: "${email}" is an email, not a Sui address; name the account with --account ${email}`],
        [['coins', 'inspect'], 'Error: say whose coins: --address or --account; add --address 0x… or --account ana@example.com'],
      ] as const
      for (const [args, line] of cases) {
        const result = await runCli([...args], {env})
        assert.equal(result.code, 2, result.stderr)
        assert.equal(result.stderr.split('\n')[0], line)
      }
      assert.equal(sui.faults.calls('ListOwnedObjects'), before)
    })
  })
})
