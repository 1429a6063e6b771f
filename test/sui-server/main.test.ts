// The standalone server as a developer runs it: `npm run sui-server -- --help` lists its flags, a
// bad flag is one line naming it (exit 2), and --accounts makes the traffic touch given accounts,
// from the CSV confio imports or from addresses on the command line.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {normalizeAddress, SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {emptyDir, ROOT} from '../support/cli.ts'
import {eventually} from '../support/child-process.ts'
import {clientFor} from './client.ts'

const MAIN = fileURLToPath(new URL('../../sui-server/main.ts', import.meta.url))
const EXAMPLE_CSV = join(ROOT, 'examples', 'accounts.csv')

interface Server {
  child: ChildProcess
  port: number
  printed: () => string
}

/** Starts main.ts and waits for its "producing" line. */
async function start(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', ...args], {stdio: ['ignore', 'pipe', 'pipe']})
  let printed = ''
  child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()))
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${printed}`)
    return /^producing /m.test(printed)
  }, 20_000, 'the server producing')
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(printed)?.[1])
  return {child, port, printed: () => printed}
}

async function stop(server: Server | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return
  const exited = new Promise((resolve) => server.child.on('close', resolve))
  server.child.kill('SIGTERM')
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL')
}

/** The accounts' balances of `coinType` as the server answers them, by the real client. */
async function balancesOf(port: number, owners: string[], coinType: string): Promise<bigint[]> {
  const client = clientFor(port)
  return Promise.all(owners.map(async (owner) => BigInt((await client.core.getBalance({owner, coinType})).balance.balance)))
}

describe('npm run sui-server', function () {
  this.timeout(60_000)
  let server: Server | undefined

  afterEach(async () => {
    await stop(server)
    server = undefined
  })

  it('-- --help lists every flag with what it does, and exits 0', () => {
    const run = spawnSync('npm', ['run', '--silent', 'sui-server', '--', '--help'], {cwd: ROOT, encoding: 'utf8'})
    assert.equal(run.status, 0, run.stderr)
    assert.match(run.stdout, /^Usage: npm run sui-server -- \[options\]$/m)
    const flags = ['port', 'rate', 'traffic', 'accounts', 'account-share', 'coin-types', 'scenario', 'token', 'chain', 'header-above', 'header-below', 'behind', 'split-messages', 'help']
    for (const flag of flags) assert.match(run.stdout, new RegExp(`^ {2}(-h, )?--${flag}\\b.* \\S+`, 'm'), `--${flag} with its description`)
    assert.match(run.stdout, /^Imperfections of a real node/m)
  })

  it('refuses a bad flag or value in one line naming it, exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['--acounts', 'x'], /'--acounts'/],
      [['--port', 'abc'], /^--port: "abc" is not a whole number/],
      [['--port'], /'--port <value>' argument missing/],
      [['--behind', '2'], /^--behind: "2" is not a share from 0 to 1/],
      [['--split-messages', '1.5'], /^--split-messages: "1.5" is not a share from 0 to 1/],
      [['--accounts', '0xZZ'], /^--accounts: "0xZZ" is neither a file nor a Sui address/],
      [['--coin-types', '0x2::sui::SUI'], /^--coin-types applies to the traffic of --accounts/],
      [['--accounts', '0x1', '--coin-types', 'sui'], /^--coin-types: "sui" is not a coin type/],
      [['--scenario', join(emptyDir(), 'missing.json')], /^--scenario: there is no file .*missing\.json;/],
    ]
    for (const [args, reason] of cases) {
      const run = spawnSync(process.execPath, [MAIN, '--port', '0', ...args], {encoding: 'utf8'})
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`)
      const lines = run.stderr.trimEnd().split('\n')
      assert.equal(lines.length, 1, run.stderr)
      assert.match(lines[0] ?? '', /^sui-server: .*; see npm run sui-server -- --help$/)
      assert.match((lines[0] ?? '').replace(/^sui-server: /, ''), reason)
    }
  })

  it('a scenario file it cannot apply: one line on stderr, exit 2', () => {
    const file = join(emptyDir(), 'scenario.json')
    writeFileSync(file, '{"mint": [{"owner": "0x1", "coinType": "0x2::sui::SUI", "amount": "lots"}]}')
    const run = spawnSync(process.execPath, [MAIN, '--port', '0', '--scenario', file], {encoding: 'utf8'})
    assert.equal(run.status, 2, run.stderr)
    assert.match(run.stderr, /^sui-server: --scenario: cannot apply .*scenario\.json: Cannot convert lots to a BigInt; see npm run sui-server -- --help\n$/)
  })

  it('--accounts FILE: traffic deposits to every account of the CSV confio imports', async () => {
    const addresses = [...readFileSync(EXAMPLE_CSV, 'utf8').matchAll(/,(0x[0-9a-f]+),/g)].map((m) => normalizeAddress(m[1] as string))
    assert.equal(addresses.length, 3)
    server = await start(['--rate', '20', '--accounts', EXAMPLE_CSV, '--account-share', '0.5'])
    assert.match(server.printed(), /with mainnet-shaped traffic, 0\.5 of it touching 3 accounts/)
    const {port} = server
    await eventually(async () => (await balancesOf(port, addresses, SUI_COIN_TYPE)).every((balance) => balance > 0n), 20_000, 'SUI deposited to each account')
  })

  it('--accounts ADDR,... with --coin-types: deposits of those coin types', async () => {
    const cusd = `0x${'c0de'.repeat(16)}::cusd::CUSD`
    const addresses = ['0xa1', '0xb2'].map(normalizeAddress)
    server = await start(['--rate', '20', '--accounts', addresses.join(','), '--coin-types', cusd, '--account-share', '0.5'])
    const {port} = server
    await eventually(async () => (await balancesOf(port, addresses, cusd)).every((balance) => balance > 0n), 20_000, 'cUSD deposited to each address')
  })
})
