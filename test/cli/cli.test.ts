import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {buildManifest} from '../../scripts/manifest.ts'
import {signerFromPrivateKey} from '../../src/coins/transaction-signer.ts'
import {emptyDir, jsonOf, ROOT, runCli} from '../support/cli.ts'
import {startSuiServer, type SuiTestServer} from '../../sui-server/index.ts'

const manifestCommands = () => Object.keys((JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: object}).commands)

describe('the confio CLI', () => {
  it('has an up-to-date oclif.manifest.json (npm run manifest rewrites it)', async () => {
    assert.equal(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8'), await buildManifest())
  })

  it('lists its topics and commands in --help', async () => {
    const help = await runCli(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /TOPICS\s+accounts\s/)
    assert.match(help.stdout, /migrate\s+Bring the PostgreSQL schema up to date/)
  })

  it('exits 2 with a usage line for an unknown command or flag', async () => {
    const command = await runCli(['nope'])
    assert.equal(command.code, 2)
    assert.equal(command.stderr, 'Error: confio has no command "nope"; confio --help lists the commands\n')
    const flagFirst = await runCli(['--jsn'])
    assert.equal(flagFirst.code, 2)
    assert.equal(flagFirst.stderr, 'Error: confio --jsn: a flag needs a command before it; confio --help lists the commands\n')
    const flag = await runCli(['accounts', 'list', '--frobnicate'])
    assert.equal(flag.code, 2)
    assert.match(flag.stderr, /^Error: Nonexistent flag: --frobnicate/)
  })

  describe('a mistyped command', () => {
    it('is one line naming the closest command as it is typed (spaces, not colons)', async () => {
      for (const [typed, meant] of [
        [['pol'], 'confio poll'],
        [['acounts', 'list'], 'confio accounts list'],
        [['accounts', 'lst'], 'confio accounts list'],
        [['cache', 'rest', '--yes'], 'confio cache reset'],
      ] as const) {
        const result = await runCli([...typed])
        assert.equal(result.code, 2, typed.join(' '))
        const command = typed.filter((word) => !word.startsWith('--')).join(' ')
        assert.equal(result.stderr, `Error: confio has no command "${command}"; did you mean ${meant}?\n`)
        assert.equal(result.stdout, '')
      }
    })

    it('names the command, not the arguments oclif took for words of it', async () => {
      const result = await runCli(['acounts', 'import', 'users.csv'])
      assert.equal(result.code, 2)
      assert.equal(result.stderr, 'Error: confio has no command "acounts import"; did you mean confio accounts import?\n')
    })

    it('after a topic, points at the topic\'s help', async () => {
      const result = await runCli(['accounts', 'frobnicate'])
      assert.equal(result.code, 2)
      assert.equal(result.stderr, 'Error: confio has no command "accounts frobnicate"; confio accounts --help lists its commands\n')
    })

    it('gives the JSON error shape with --json', async () => {
      const result = await runCli(['pol', '--json'])
      assert.equal(result.code, 2)
      assert.deepEqual(jsonOf(result), {error: {code: 'USAGE', message: 'confio has no command "pol"', remedy: 'did you mean confio poll?', exitCode: 2}})
      assert.equal(result.stderr, '')
    })
  })

  it('exits 2 on bad config before connecting to anything', async () => {
    // The database URL points at a closed port: a config error must come first.
    const result = await runCli(['accounts', 'list'], {env: {CUSD_ADDRESS: '0xnothex', DATABASE_URL: 'postgres://127.0.0.1:1/x'}})
    assert.equal(result.code, 2)
    assert.equal(result.stderr.trim(), 'Error: CUSD_ADDRESS (from environment): "0xnothex" is not valid; expected a Sui address: 0x followed by 1 to 64 hex digits')
  })

  it('exits 1 with one line naming the setting when PostgreSQL cannot be reached', async () => {
    const result = await runCli(['accounts', 'list'], {env: {DATABASE_URL: 'postgres://127.0.0.1:1/x'}})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^Error: cannot use PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/x: .*ECONNREFUSED.*; check that PostgreSQL is running and DATABASE_URL/)
    assert.equal(result.stderr.trim().split('\n').length, 1)
  })

  it('shows a stack trace only with --log-level debug', async () => {
    const plain = await runCli(['accounts', 'list'], {env: {DATABASE_URL: 'postgres://127.0.0.1:1/x'}})
    assert.ok(!plain.stderr.includes('    at '))
    const debug = await runCli(['accounts', 'list', '--log-level', 'debug'], {env: {DATABASE_URL: 'postgres://127.0.0.1:1/x'}})
    assert.equal(debug.code, 1)
    assert.match(debug.stderr, /\n\s+at /)
  })

  it('gives errors as JSON with --json', async () => {
    const result = await runCli(['accounts', 'list', '--json'], {env: {SUI_NETWORK: 'moon'}})
    assert.equal(result.code, 2)
    assert.deepEqual(jsonOf(result), {
      error: {
        code: 'CONFIG_INVALID',
        message: 'SUI_NETWORK (from environment): "moon" is not valid; expected one of mainnet, testnet, devnet, localnet',
        remedy: 'correct SUI_NETWORK (flag, environment, .env or confio.config.json) and run again',
        exitCode: 2,
      },
    })
  })

  it('takes --database-url over DATABASE_URL', async () => {
    const result = await runCli(['migrate', '--status', '--json', '--database-url', process.env.DATABASE_URL as string], {env: {DATABASE_URL: 'postgres://127.0.0.1:1/x'}})
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(jsonOf<{pending: string[]}>(result).pending, [])
  })

  describe('never prints a secret', () => {
    const token = 'qn-secret-token-7f3a9c1e5b'
    const bearer = 'bearer-key-55e1d0c2a9'
    const dbPassword = 'pg-pass-1b2c3d4e'
    const apiToken = 'api-token-3e9d1c7b5a'
    const privateKey = 'suiprivkey1qzdlfxn2qa2lj5uprl8pyhexs02sg2wrhdy7qaq50cqgnffw4c2477kg9h3'
    const webhookSecret = 'whsec-9d8c7b6a5f4e'
    const webhookPassword = 'hook-pass-3e4f5a6b'
    const dbUrl = () => (process.env.DATABASE_URL as string).replace('root@', `root:${dbPassword}@`)
    // The node requires the token: a command that reaches it has sent the token, and printed it nowhere.
    let sui: SuiTestServer
    before(async () => {
      sui = await startSuiServer({requireToken: token})
      const someone = sui.ledger.createAddress()
      sui.ledger.mint(someone, '0x2::sui::SUI', 1_000_000_000n)
      sui.ledger.startProducing(5)
    })
    after(async () => sui.close())
    const secretEnv = () => ({
      SUI_GRPC_TOKEN: token,
      SUI_GRPC_HEADERS: `authorization: Bearer ${bearer}`,
      SUI_GRPC_URL: sui.url,
      SUI_NETWORK: 'localnet',
      DATABASE_URL: dbUrl(),
      SUI_PRIVATE_KEY: privateKey,
      // Nothing listens there: the worker's sender fails each event, and says so without the URL.
      WEBHOOK_URL: `http://hook:${webhookPassword}@127.0.0.1:1/hooks`,
      WEBHOOK_SECRET: webhookSecret,
      CONFIO_API_TOKEN: apiToken,
      LOG_LEVEL: 'trace',
    })
    // One invocation per command; the check below fails when a command is added without one.
    const csv = join(emptyDir(), 'a.csv')
    writeFileSync(csv, 'email,address\nsecret-check@x.io,0x5ec\n')
    const invocations: Record<string, string[][]> = {
      migrate: [['migrate', '--status'], ['migrate']],
      'accounts:add': [['accounts', 'add', '--email', 'secret-check2@x.io', '--address', '0x5ed']],
      'accounts:list': [['accounts', 'list']],
      'accounts:remove': [['accounts', 'remove', '--address', '0x5ed']],
      'accounts:import': [['accounts', 'import', csv]],
      'test-connection': [['test-connection', '--count', '2']],
      poll: [['poll', '--once']],
      worker: [['worker', '--drain']],
      run: [['run', '--once']],
      reconcile: [['reconcile'], ['reconcile', '--report']],
      status: [['status'], ['status', '--chain']],
      beat: [['beat', '--once']],
      'test-balance': [['test-balance', '--user-email', 'secret-check@x.io']],
      backfill: [['backfill', '--account', 'secret-check@x.io', '--since', '1h']],
      'cache:reset': [['cache', 'reset']],
      'coins:inspect': [['coins', 'inspect', '--address', '0x5ec']],
      'webhooks:list': [['webhooks', 'list'], ['webhooks', 'list', '--failed']],
      'webhooks:retry': [['webhooks', 'retry', '--all-failed']],
      // --execute loads the key and checks it is the address's: the key's own address, with nothing to consolidate.
      'coins:consolidate': [['coins', 'consolidate', '--address', signerFromPrivateKey(privateKey).address, '--token', 'SUI', '--execute']],
      // A service: on Redis's port, taken, it stops at once (exit 1), with everything opened first.
      serve: [['serve', '--port', new URL(process.env.CONFIO_TEST_REDIS ?? 'redis://127.0.0.1:6379').port]],
      // Another: its metrics port taken, it stops (exit 2) once PostgreSQL is open and WEBHOOK_URL read.
      'webhooks:send': [['webhooks', 'send', '--metrics-port', new URL(process.env.CONFIO_TEST_REDIS ?? 'redis://127.0.0.1:6379').port]],
    }

    // status finds no poller holding the lease here: an alarm, exit 1, with the screen printed.
    const firstExit: Record<string, number> = {status: 1, serve: 1, 'webhooks:send': 2}

    it('covers every command', () => {
      assert.deepEqual(Object.keys(invocations).sort(), manifestCommands().sort())
    })

    for (const [id, runs] of Object.entries(invocations)) {
      it(`in ${id}, in text and --json, on success and on failure`, async () => {
        for (const args of runs) {
          // The first run must succeed; the rest may then fail (an account added twice).
          const first = await runCli(args, {env: secretEnv()})
          const outputs = await Promise.all([
            first,
            runCli([...args, '--json'], {env: secretEnv()}),
            // A connection failure puts the URL in the error.
            runCli(args, {env: {...secretEnv(), DATABASE_URL: `postgres://root:${dbPassword}@127.0.0.1:1/x`, SUI_GRPC_URL: 'http://127.0.0.1:1', SUI_GRPC_DEADLINE_MS: '500'}}),
            // A config failure elsewhere must not echo the secrets either.
            runCli([...args, '--json'], {env: {...secretEnv(), SUI_GRPC_HEADERS: `authorization Bearer ${bearer}`}}),
          ])
          assert.equal(outputs[0]?.code, firstExit[id] ?? 0, outputs[0]?.stderr)
          assert.equal(outputs[2]?.code, 1)
          assert.equal(outputs[3]?.code, 2)
          for (const {stdout, stderr} of outputs) {
            for (const secret of [token, bearer, dbPassword, privateKey, apiToken, webhookSecret, webhookPassword]) {
              assert.ok(!stdout.includes(secret) && !stderr.includes(secret), `${id} printed a secret:\n${stdout}\n${stderr}`)
            }
          }
        }
      })
    }
  })
})
