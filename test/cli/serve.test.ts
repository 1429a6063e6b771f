// `confio serve` as an operator runs it: it will not serve without a token (but on a loopback
// address with --no-auth), says in one line when its port is taken, and on SIGTERM lets the
// request in flight finish before it exits 0.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {createServer} from 'node:net'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {ConfioProcess, killAll} from '../support/child-process.ts'
import {jsonOf, runCli} from '../support/cli.ts'
import {freePort} from '../support/free-port.ts'

describe('confio serve', function () {
  this.timeout(60_000)
  const children: ConfioProcess[] = []
  let sui: SuiTestServer
  let db: Database
  const ids: string[] = []
  const env = () => ({SUI_NETWORK: 'localnet', SUI_GRPC_URL: sui.url, CONFIO_API_TOKEN: undefined, LOG_LEVEL: 'info'})

  before(async () => {
    sui = await startSuiServer()
    db = createDatabase({url: process.env.DATABASE_URL as string})
  })

  after(async () => {
    await killAll(children)
    await db('balance_cache_outbox').whereIn('account_id', ids).delete()
    await db('balances').whereIn('account_id', ids).delete()
    await db('accounts').whereIn('id', ids).delete()
    await db?.destroy()
    await sui?.close()
  })

  it('refuses to serve without CONFIO_API_TOKEN, and --no-auth beyond a loopback address (exit 2)', async () => {
    const noToken = await runCli(['serve', '--json'], {env: env()})
    assert.equal(noToken.code, 2, noToken.stderr)
    assert.equal(jsonOf<{error: {code: string}}>(noToken).error.code, 'CONFIG_INVALID')
    const open = await runCli(['serve', '--no-auth', '--host', '0.0.0.0'], {env: env()})
    assert.equal(open.code, 2)
    assert.match(open.stderr, /--no-auth is refused on 0\.0\.0\.0/)
    const shortToken = await runCli(['serve'], {env: {...env(), CONFIO_API_TOKEN: 'short'}})
    assert.equal(shortToken.code, 2)
    assert.ok(!shortToken.stderr.includes('short"'), 'the token is masked')
  })

  it('a port in use is one line naming it (exit 1)', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const {port} = taken.address() as {port: number}
    try {
      const result = await runCli(['serve', '--no-auth', '--port', String(port)], {env: env()})
      assert.equal(result.code, 1)
      assert.match(result.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use; stop what listens there, or choose another port`))
    } finally {
      taken.close()
    }
  })

  it('--metrics-port: its requests by route and status, its balance reads by level, and readiness, on the metrics port', async () => {
    const address = sui.ledger.createAddress('serve-metrics')
    sui.ledger.mint(address, SUI_COIN_TYPE, 7n)
    sui.ledger.produceCheckpoint()
    const [row] = await db('accounts').insert({email: `metrics-${randomBytes(3).toString('hex')}@serve.test`, sui_address: address}).returning('id')
    ids.push(String(row.id))
    const [port, metricsPort] = [await freePort(), await freePort()]
    const serve = new ConfioProcess(['serve', '--no-auth', '--port', String(port), '--metrics-port', String(metricsPort)], env())
    children.push(serve)
    await serve.waitForLog(/serving the API/)
    const base = `http://127.0.0.1:${port}`
    assert.equal((await fetch(`${base}/v1/balances/${String(row.id)}/SUI`)).status, 200)
    assert.equal((await fetch(`${base}/v1/balances/0xzz`)).status, 400)
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
    assert.match(text, /confio_api_requests_total\{route="\/v1\/balances\/:account\/:token",method="GET",status="200"\} 1\n/)
    assert.match(text, /confio_api_requests_total\{route="\/v1\/balances\/:account",method="GET",status="400"\} 1\n/)
    assert.match(text, /confio_api_request_duration_seconds_count\{route="\/v1\/balances\/:account\/:token"\} 1\n/)
    assert.match(text, /confio_balance_reads_total\{level="chain"\} 1\n/)
    assert.match(text, /confio_process_info\{process="serve"\} 1\n/)
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status, 200)
    serve.kill('SIGTERM')
    assert.equal(await serve.exitWithin(12_000, 'serve stops'), 0, serve.stderr)
  })

  it('SIGTERM: the request in flight is answered, then it exits 0', async () => {
    const address = sui.ledger.createAddress('serve-stop')
    sui.ledger.mint(address, SUI_COIN_TYPE, 42n)
    sui.ledger.produceCheckpoint()
    const [row] = await db('accounts').insert({email: `stop-${randomBytes(3).toString('hex')}@serve.test`, sui_address: address}).returning('id')
    ids.push(String(row.id))
    const port = await freePort()
    const serve = new ConfioProcess(['serve', '--no-auth', '--port', String(port)], env())
    children.push(serve)
    await serve.waitForLog(/serving the API/)
    const base = `http://127.0.0.1:${port}`
    assert.equal((await fetch(`${base}/healthz`)).status, 200)
    // The chain read takes a second: the stop comes while the request waits on it.
    sui.faults.latency('GetBalance', 1_000)
    const before = sui.faults.calls('GetBalance')
    const inFlight = fetch(`${base}/v1/balances/${String(row.id)}/SUI`, {signal: AbortSignal.timeout(15_000)})
    const started = Date.now()
    while (sui.faults.calls('GetBalance') === before) {
      if (Date.now() - started > 10_000) throw new Error(`the read never reached the node:\n${serve.stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    serve.kill('SIGTERM')
    const response = await inFlight
    assert.equal(response.status, 200)
    assert.equal(((await response.json()) as {balances: {amount: string}[]}).balances[0]?.amount, '42')
    assert.equal(await serve.exitWithin(12_000, "serve stops"), 0, serve.stderr + serve.stdout)
    assert.match(serve.stdout, new RegExp(`Stopped serving http://127\\.0\\.0\\.1:${port} \\(SIGTERM\\)`))
    await assert.rejects(fetch(`${base}/healthz`), 'nothing listens any more')
  })
})
