// The HTTP API of `confio serve` (src/api/, src/processes/api-process.ts) in process, on the real
// PostgreSQL and Redis and the local Sui server, called with Node's fetch: every route with good and
// bad input, the bearer token, pending idempotency, history paging, the critical read's 503 with the
// chain down (while a normal read still answers from the cache), and what reaches the log.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {Redis} from 'ioredis'
import {toBase58} from '@mysten/sui/utils'
import type {ChainReader} from '../../src/chain/index.ts'
import {openApiDocument} from '../../src/api/api-app.ts'
import {type ConfioConfig, loadConfig} from '../../src/config/config.ts'
import {createLogger} from '../../src/logging/logger.ts'
import {ApiProcess} from '../../src/processes/api-process.ts'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {testReader} from '../chain/chain-test-support.ts'
import {emptyDir} from '../support/cli.ts'
import {type CaughtUpPipeline, keepPipelineCaughtUp} from '../support/pipeline-marker.ts'

const TOKEN = randomBytes(24).toString('hex')

interface ApiBalance {
  token: string
  amount: string
  pending: string
  available: string
  decimals: number
  checkpoint: string | null
  lastSynced: string | null
  isStale: boolean
  source: string
}

interface ApiErrorBody {
  error: {code: string; message: string; remedy: string}
}

/** A new digest: base58 of 32 random bytes. */
function digest(): string {
  return toBase58(randomBytes(32))
}

describe('confio serve: the HTTP API', function () {
  this.timeout(60_000)
  let sui: SuiTestServer
  let db: Database
  let chain: ChainReader
  let redis: Redis
  let settings: ConfioConfig
  let pipeline: CaughtUpPipeline
  let api: ApiProcess
  let running: Promise<unknown>
  const stop = new AbortController()
  let base: string
  const logLines: string[] = []
  const ids: string[] = []
  let alice: {id: string; address: string; email: string}

  async function addAccount(name: string): Promise<{id: string; address: string; email: string}> {
    const address = sui.ledger.createAddress(name)
    const email = `${name}-${randomBytes(3).toString('hex')}@api.test`
    const [row] = await db('accounts').insert({email, sui_address: address, label: name}).returning('id')
    ids.push(String(row.id))
    return {id: String(row.id), address, email}
  }

  async function call<T>(method: string, path: string, options: {body?: unknown; token?: string | null; headers?: Record<string, string>} = {}): Promise<{status: number; body: T}> {
    const token = options.token === undefined ? TOKEN : options.token
    const headers: Record<string, string> = {...(token === null ? {} : {authorization: `Bearer ${token}`}), ...options.headers}
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(`${base}${path}`, {method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: AbortSignal.timeout(20_000)})
    return {status: response.status, body: (await response.json()) as T}
  }

  const get = <T>(path: string, options?: {token?: string | null}) => call<T>('GET', path, options)

  async function expectError(promise: Promise<{status: number; body: unknown}>, status: number, code: string): Promise<ApiErrorBody['error']> {
    const reply = await promise
    assert.equal(reply.status, status, JSON.stringify(reply.body))
    const {error} = reply.body as ApiErrorBody
    assert.equal(error.code, code, JSON.stringify(error))
    assert.ok(error.message && error.remedy, 'a message and a remedy')
    return error
  }

  before(async () => {
    sui = await startSuiServer()
    db = createDatabase({url: process.env.DATABASE_URL as string})
    const prefix = `${process.env.REDIS_PREFIX}api${randomBytes(3).toString('hex')}:`
    settings = loadConfig({
      cwd: emptyDir(),
      env: {
        DATABASE_URL: process.env.DATABASE_URL,
        REDIS_URL: process.env.REDIS_URL,
        REDIS_PREFIX: prefix,
        SUI_NETWORK: 'localnet',
        SUI_GRPC_URL: sui.url,
        CUSD_ADDRESS: `0x${randomBytes(32).toString('hex')}`,
        CONFIO_API_TOKEN: TOKEN,
        BALANCE_VERIFY_TIMEOUT: '1s',
      },
    })
    const logger = createLogger({level: 'debug', scrubber: settings.scrubber, pretty: false, write: (line) => logLines.push(line)})
    chain = testReader(sui.url, {maxAttempts: 1, deadlineMs: 2_000})
    redis = new Redis(settings.redisUrl, {maxRetriesPerRequest: 1})
    pipeline = await keepPipelineCaughtUp(settings.redisUrl, prefix)
    api = new ApiProcess({settings, db, redis, chain, logger}, {host: '127.0.0.1', port: 0, token: TOKEN, version: '0.0.0-test'})
    running = api.run(stop.signal)
    base = await Promise.race([api.ready, running.then(() => assert.fail('stopped before listening'))])
    alice = await addAccount('alice')
    sui.ledger.mint(alice.address, settings.tokens.require('CUSD').coinType, 12_500_000n)
    sui.ledger.mint(alice.address, settings.tokens.require('SUI').coinType, 3_000_000_000n)
    sui.ledger.produceCheckpoint()
  })

  after(async () => {
    stop.abort('SIGTERM')
    await running?.catch(() => undefined)
    await pipeline?.stop()
    await db('balance_cache_outbox').whereIn('account_id', ids).delete()
    await db('pending_balance_changes').whereIn('account_id', ids).delete()
    await db('account_transactions').whereIn('account_id', ids).delete()
    await db('balances').whereIn('account_id', ids).delete()
    await db('accounts').whereIn('id', ids).delete()
    await db.destroy()
    redis?.disconnect()
    chain?.close()
    await sui?.close()
  })

  describe('probes and auth', () => {
    it('/healthz and /readyz answer without a token', async () => {
      assert.deepEqual(await get('/healthz', {token: null}), {status: 200, body: {status: 'ok'}})
      assert.deepEqual(await get('/readyz', {token: null}), {status: 200, body: {status: 'ready', checks: {database: 'ok', redis: 'ok'}}})
    })

    it('a /v1 route without the bearer token, or with a wrong one, is 401', async () => {
      await expectError(get(`/v1/balances/${alice.id}`, {token: null}), 401, 'UNAUTHORIZED')
      await expectError(get(`/v1/balances/${alice.id}`, {token: `${TOKEN}x`}), 401, 'UNAUTHORIZED')
      await expectError(call('GET', `/v1/balances/${alice.id}`, {token: null, headers: {authorization: `Basic ${TOKEN}`}}), 401, 'UNAUTHORIZED')
      await expectError(call('POST', '/v1/pending', {token: null, body: {}}), 401, 'UNAUTHORIZED')
      await expectError(get('/v1/openapi.json', {token: null}), 401, 'UNAUTHORIZED')
    })

    it('serves the OpenAPI document of its routes at /v1/openapi.json', async () => {
      const served = await get<Record<string, unknown>>('/v1/openapi.json')
      assert.equal(served.status, 200)
      assert.deepEqual(served.body, await openApiDocument('0.0.0-test'))
    })

    it('an unknown route is 404 in the same error shape', async () => {
      await expectError(get('/v1/nothing-here'), 404, 'NOT_FOUND')
    })
  })

  describe('GET /v1/balances', () => {
    it("every registered token, the account named by id, email or address (short form too)", async () => {
      const byId = await get<{balances: ApiBalance[]}>(`/v1/balances/${alice.id}`)
      assert.equal(byId.status, 200)
      assert.deepEqual(byId.body.balances.map((b) => b.token), settings.tokens.list().map((t) => t.symbol))
      const cusd = byId.body.balances.find((b) => b.token === 'CUSD') as ApiBalance
      assert.deepEqual([cusd.amount, cusd.pending, cusd.available, cusd.decimals, cusd.isStale], ['12500000', '0', '12500000', 6, false])
      assert.equal(cusd.checkpoint, String(sui.ledger.checkpointHeight))
      assert.ok(cusd.lastSynced && !Number.isNaN(Date.parse(cusd.lastSynced)))
      const sui9 = byId.body.balances.find((b) => b.token === 'SUI') as ApiBalance
      assert.deepEqual([sui9.amount, sui9.decimals], ['3000000000', 9])
      for (const ref of [alice.email, alice.address, alice.address.toUpperCase().replace('0X', '0x')]) {
        const other = await get<{balances: ApiBalance[]}>(`/v1/balances/${encodeURIComponent(ref)}`)
        assert.equal(other.status, 200, ref)
        assert.deepEqual(other.body.balances.map((b) => [b.token, b.amount]), byId.body.balances.map((b) => [b.token, b.amount]))
      }
    })

    it('one token: cached once read, ?refresh=1 and ?verify=critical from the chain', async () => {
      const cached = await get<{balances: ApiBalance[]}>(`/v1/balances/${alice.email}/cusd`)
      assert.equal(cached.status, 200)
      assert.equal(cached.body.balances.length, 1)
      assert.notEqual(cached.body.balances[0]?.source, 'chain')
      const before = sui.faults.calls('GetBalance')
      const refreshed = await get<{balances: ApiBalance[]}>(`/v1/balances/${alice.email}/CUSD?refresh=1`)
      assert.equal(refreshed.body.balances[0]?.amount, '12500000')
      assert.equal(sui.faults.calls('GetBalance'), before + 1)
      const critical = await get<{balances: ApiBalance[]}>(`/v1/balances/${alice.id}/CUSD?verify=critical`)
      assert.deepEqual([critical.status, critical.body.balances[0]?.source, critical.body.balances[0]?.isStale], [200, 'chain', false])
      const all = await get<{balances: ApiBalance[]}>(`/v1/balances/${alice.id}?refresh=true`)
      assert.equal(all.status, 200)
      assert.ok(all.body.balances.every((b) => b.source === 'chain' || b.source === 'postgres'))
    })

    it('bad input is 400, each named; an unknown account is 404', async () => {
      await expectError(get('/v1/balances/0xnothex'), 400, 'INVALID_ADDRESS')
      await expectError(get(`/v1/balances/0x${'a'.repeat(65)}`), 400, 'INVALID_ADDRESS')
      await expectError(get(`/v1/balances/0x${'a'.repeat(65)}/CUSD`), 400, 'INVALID_ADDRESS')
      await expectError(get('/v1/balances/alice'), 400, 'INVALID_ACCOUNT')
      await expectError(get(`/v1/balances/${alice.id}/NOPE`), 400, 'INVALID_TOKEN')
      await expectError(get(`/v1/balances/${alice.id}/c$usd`), 400, 'INVALID_TOKEN')
      await expectError(get(`/v1/balances/${alice.id}/CUSD?verify=yes`), 400, 'INVALID_REQUEST')
      await expectError(get(`/v1/balances/${alice.id}?refresh=maybe`), 400, 'INVALID_REQUEST')
      await expectError(get('/v1/balances/nobody@api.test'), 404, 'ACCOUNT_NOT_FOUND')
      await expectError(get(`/v1/balances/0x${'b'.repeat(64)}/CUSD`), 404, 'ACCOUNT_NOT_FOUND')
      await expectError(get('/v1/balances/999999999999'), 404, 'ACCOUNT_NOT_FOUND')
    })
  })

  describe('pending amounts', () => {
    it('POST records an in-flight send once per digest; DELETE releases it, once', async () => {
      const bob = await addAccount('bob')
      sui.ledger.mint(bob.address, settings.tokens.require('CUSD').coinType, 5_000_000n)
      sui.ledger.produceCheckpoint()
      const send = {account: bob.email, token: 'CUSD', amount: '1500000', digest: digest()}
      const first = await call<{balances: ApiBalance[]}>('POST', '/v1/pending', {body: send})
      assert.equal(first.status, 200, JSON.stringify(first.body))
      assert.deepEqual([first.body.balances[0]?.pending, first.body.balances[0]?.token], ['1500000', 'CUSD'])
      const again = await call<{balances: ApiBalance[]}>('POST', '/v1/pending', {body: send})
      assert.equal(again.status, 200)
      assert.equal(again.body.balances[0]?.pending, '1500000', 'the same digest twice adds nothing')
      const read = await get<{balances: ApiBalance[]}>(`/v1/balances/${bob.id}/CUSD`)
      assert.deepEqual([read.body.balances[0]?.amount, read.body.balances[0]?.pending, read.body.balances[0]?.available], ['5000000', '1500000', '3500000'])
      const rows = await db('pending_balance_changes').where({tx_digest: send.digest})
      assert.equal(rows.length, 1)
      await expectError(call('POST', '/v1/pending', {body: {...send, amount: '1500001'}}), 409, 'PENDING_CONFLICT')
      // The same digest for another token of the send (its gas in SUI) is a row of its own.
      const gas = await call<{balances: ApiBalance[]}>('POST', '/v1/pending', {body: {...send, token: 'SUI', amount: '2000'}})
      assert.deepEqual([gas.status, gas.body.balances[0]?.token, gas.body.balances[0]?.pending], [200, 'SUI', '2000'])

      const released = await call<{balances: ApiBalance[]}>('DELETE', `/v1/pending/${send.digest}`)
      assert.equal(released.status, 200)
      assert.deepEqual(released.body.balances.map((b) => [b.token, b.pending]), [['CUSD', '0'], ['SUI', '0']])
      assert.equal(released.body.balances[0]?.available, '5000000')
      const twice = await call<{balances: ApiBalance[]}>('DELETE', `/v1/pending/${send.digest}`)
      assert.deepEqual([twice.status, twice.body.balances], [200, []])
      const after = await get<{balances: ApiBalance[]}>(`/v1/balances/${bob.id}/CUSD`)
      assert.equal(after.body.balances[0]?.pending, '0')
    })

    it('bad input is 400, each named; an unknown account is 404', async () => {
      const good = {account: alice.email, token: 'CUSD', amount: '10', digest: digest()}
      await expectError(call('POST', '/v1/pending', {body: {...good, amount: '1.5'}}), 400, 'INVALID_AMOUNT')
      await expectError(call('POST', '/v1/pending', {body: {...good, amount: '0'}}), 400, 'INVALID_AMOUNT')
      await expectError(call('POST', '/v1/pending', {body: {...good, amount: '-5'}}), 400, 'INVALID_AMOUNT')
      await expectError(call('POST', '/v1/pending', {body: {...good, amount: 10}}), 400, 'INVALID_AMOUNT')
      await expectError(call('POST', '/v1/pending', {body: {...good, amount: '18446744073709551616'}}), 400, 'INVALID_AMOUNT')
      await expectError(call('POST', '/v1/pending', {body: {...good, token: 'NOPE'}}), 400, 'INVALID_TOKEN')
      await expectError(call('POST', '/v1/pending', {body: {...good, digest: 'not-a-digest'}}), 400, 'INVALID_DIGEST')
      await expectError(call('POST', '/v1/pending', {body: {...good, digest: toBase58(randomBytes(20))}}), 400, 'INVALID_DIGEST')
      await expectError(call('POST', '/v1/pending', {body: {...good, account: '0x12zz'}}), 400, 'INVALID_ADDRESS')
      const {digest: _left, ...noDigest} = good
      await expectError(call('POST', '/v1/pending', {body: noDigest}), 400, 'INVALID_DIGEST')
      await expectError(call('POST', '/v1/pending', {body: {...good, account: 'nobody@api.test'}}), 404, 'ACCOUNT_NOT_FOUND')
      const notJson = await fetch(`${base}/v1/pending`, {method: 'POST', headers: {authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json'}, body: '{"account":'})
      assert.equal(notJson.status, 400)
      assert.equal(((await notJson.json()) as ApiErrorBody).error.code, 'INVALID_REQUEST')
      await expectError(call('DELETE', '/v1/pending/0OIl'), 400, 'INVALID_DIGEST')
      assert.equal(await db('pending_balance_changes').where({tx_digest: good.digest}).count('* as n').first().then((r) => Number(r?.n)), 0, 'nothing recorded')
    })
  })

  describe('GET /v1/accounts/{account}/transactions', () => {
    it('newest first, paged by an opaque cursor', async () => {
      const carol = await addAccount('carol')
      const rows = [10, 11, 12, 12, 13].map((checkpoint, i) => ({account_id: carol.id, tx_digest: digest(), token: 'CUSD', direction: i % 2 ? 'sent' : 'received', amount: String(100 + i), counterparty: null, checkpoint, timestamp_ms: 1_700_000_000_000 + checkpoint}))
      await db('account_transactions').insert(rows)
      type Page = {transactions: {digest: string; amount: string; checkpoint: string; direction: string; decimals: number; timestamp: string}[]; nextCursor: string | null}
      const first = await get<Page>(`/v1/accounts/${carol.email}/transactions?limit=2`)
      assert.equal(first.status, 200)
      assert.deepEqual(first.body.transactions.map((t) => t.checkpoint), ['13', '12'])
      assert.equal(first.body.transactions[0]?.decimals, 6)
      assert.equal(first.body.transactions[0]?.timestamp, new Date(1_700_000_000_013).toISOString())
      assert.ok(first.body.nextCursor)
      const seen = [...first.body.transactions]
      let cursor: string | null = first.body.nextCursor
      while (cursor) {
        const page: {status: number; body: Page} = await get<Page>(`/v1/accounts/${carol.id}/transactions?limit=2&cursor=${cursor}`)
        assert.equal(page.status, 200)
        seen.push(...page.body.transactions)
        cursor = page.body.nextCursor
      }
      assert.deepEqual(seen.map((t) => t.checkpoint), ['13', '12', '12', '11', '10'])
      assert.equal(new Set(seen.map((t) => t.digest)).size, 5, 'no row twice')
      const all = await get<Page>(`/v1/accounts/${carol.id}/transactions`)
      assert.deepEqual([all.body.transactions.length, all.body.nextCursor], [5, null])
    })

    it('bad input is 400, each named; an unknown account is 404', async () => {
      await expectError(get(`/v1/accounts/${alice.id}/transactions?limit=0`), 400, 'INVALID_LIMIT')
      await expectError(get(`/v1/accounts/${alice.id}/transactions?limit=501`), 400, 'INVALID_LIMIT')
      await expectError(get(`/v1/accounts/${alice.id}/transactions?cursor=nonsense`), 400, 'INVALID_CURSOR')
      await expectError(get(`/v1/accounts/${alice.id}/transactions?cursor=${Buffer.from("1.1' OR 1=1").toString('base64url')}`), 400, 'INVALID_CURSOR')
      await expectError(get('/v1/accounts/0xg/transactions'), 400, 'INVALID_ADDRESS')
      await expectError(get('/v1/accounts/nobody@api.test/transactions'), 404, 'ACCOUNT_NOT_FOUND')
    })
  })

  describe('the log', () => {
    it('names routes, never what the client sent (emails, addresses, the token)', async () => {
      await get(`/v1/balances/${encodeURIComponent(alice.email)}/CUSD`)
      await get(`/v1/balances/${alice.email}`, {token: 'wrong-token-value-123'})
      const text = logLines.join('')
      assert.match(text, /"route":"\/v1\/balances\/:account\/:token"/)
      for (const secret of [alice.email, alice.address, TOKEN, 'wrong-token-value-123']) assert.ok(!text.includes(secret), `the log holds ${secret}`)
    })
  })

  describe('with the chain down', () => {
    it('a critical read is 503 BALANCE_UNVERIFIED, a normal read answers from the cache', async () => {
      // Read once so the cache holds it; then the node goes away for good (the last test).
      assert.equal((await get(`/v1/balances/${alice.id}/SUI`)).status, 200)
      const dave = await addAccount('dave')
      await sui.close()
      const error = await expectError(get(`/v1/balances/${alice.id}/SUI?verify=critical`), 503, 'BALANCE_UNVERIFIED')
      assert.match(error.message, /cannot verify the SUI balance/)
      const cached = await get<{balances: ApiBalance[]}>(`/v1/balances/${alice.id}/SUI`)
      assert.equal(cached.status, 200)
      assert.deepEqual([cached.body.balances[0]?.amount, cached.body.balances[0]?.isStale], ['3000000000', false])
      assert.notEqual(cached.body.balances[0]?.source, 'chain')
      // A refresh falls back to the last value, stale; a token never read cannot be answered: 503.
      const refreshed = await get<{balances: ApiBalance[]}>(`/v1/balances/${alice.id}/SUI?refresh=1`)
      assert.deepEqual([refreshed.status, refreshed.body.balances[0]?.isStale], [200, true])
      await expectError(get(`/v1/balances/${dave.id}/CUSD`), 503, 'BALANCE_UNAVAILABLE')
    })
  })
})
