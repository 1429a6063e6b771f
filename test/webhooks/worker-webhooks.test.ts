// Webhooks end to end: `confio poll --once`, then `confio worker` in a child process with
// WEBHOOK_URL pointing at a real receiver that drops, hangs and answers 500 part of the time. Every
// history row (fee rows included) becomes one event, queued in the worker's own commit, delivered
// with a valid signature, its data as the row says; a worker killed with SIGKILL mid-delivery
// loses nothing: the next one sends what was left, each event acknowledged at least once.
import assert from 'node:assert/strict'
import {ConfioProcess, eventually, killAll} from '../support/child-process.ts'
import {anchorBalances, chainBalance, fundAll, pollOnce, startWorld, type WorkerWorld} from '../processing/worker-support.ts'
import {freePort} from '../support/free-port.ts'
import {FlakyReceiver} from './flaky-receiver.ts'

const SECRET = 'whsec_worker_test_secret'

interface HistoryRow {
  id: string
  account_id: string
  tx_digest: string
  token: string
  direction: string
  amount: string
  counterparty: string | null
  checkpoint: string
}

describe('webhooks from the worker', function () {
  this.timeout(180_000)
  let w: WorkerWorld
  let alice: string
  let bob: string
  let receiver: FlakyReceiver | undefined
  const children: ConfioProcess[] = []

  const webhookEnv = (url: string) => ({...w.env, WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET, WEBHOOK_TIMEOUT: '1s', WEBHOOK_RETRY_DELAY: '20ms'})
  const startWorker = (url: string) => {
    const child = new ConfioProcess(['worker', '--stall-interval', '1s'], webhookEnv(url))
    children.push(child)
    return child
  }
  const history = async (): Promise<HistoryRow[]> => (await w.db.raw(`SELECT id::text, account_id::text, tx_digest, token, direction, amount::text, counterparty, checkpoint::text FROM account_transactions ORDER BY account_transactions.id`)).rows
  const deliveredCount = async () => Number((await w.db('webhook_deliveries').where({status: 'delivered'}).count('* as n'))[0]!.n)

  before(async () => {
    w = await startWorld(['alice', 'bob'])
    ;[alice, bob] = Object.keys(w.accounts) as [string, string]
    // The funding is worked off by `confio worker --drain` without WEBHOOK_URL: no events.
    await fundAll(w, {sui: 50_000_000_000n, cusd: 1_000_000_000n})
  })
  beforeEach(async () => {
    await w.db.raw('TRUNCATE webhook_deliveries, account_transactions')
  })
  afterEach(async () => {
    await killAll(children)
    await receiver?.close()
    receiver = undefined
  })
  after(async () => {
    await w?.db.raw('TRUNCATE webhook_deliveries')
    await w?.close()
  })

  it('queues nothing when WEBHOOK_URL is not set', async () => {
    w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 5n})
    await pollOnce(w)
    const run = new ConfioProcess(['worker', '--drain', '--stall-interval', '1s'], w.env)
    children.push(run)
    assert.equal(await run.exitWithin(60_000, 'worker --drain'), 0)
    assert.ok((await history()).length > 0)
    assert.equal(Number((await w.db('webhook_deliveries').count('* as n'))[0]!.n), 0)
  })

  it('delivers one signed event per history row, fee rows included, with the balance after it', async () => {
    receiver = await FlakyReceiver.start(SECRET, {drop: 0.1, hang: 0.1, error: 0.2}, 3)
    await anchorBalances(w)
    // One transfer per checkpoint: each balance's order is known, so every event has balanceAfter.
    for (let i = 1n; i <= 4n; i += 1n) {
      w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.SUI, amount: 1_000_000n * i})
      w.sui.ledger.produceCheckpoint()
      w.sui.ledger.transfer({from: bob, to: alice, coinType: w.coins.CUSD, amount: 10_000n * i})
      w.sui.ledger.produceCheckpoint()
    }
    await pollOnce(w)
    const worker = startWorker(receiver.url)
    const rows = await (async () => {
      await eventually(async () => (await history()).length > 0 && (await deliveredCount()) === (await history()).length, 60_000, 'every history row delivered')
      return history()
    })()
    worker.kill('SIGTERM')
    assert.equal(await worker.exitWithin(30_000, 'worker stops'), 0)

    assert.deepEqual(receiver.badSignatures, [])
    const events: {id: string; source: string}[] = await w.db('webhook_deliveries').select('id', 'source')
    assert.deepEqual(events.map((e) => e.source).sort(), rows.map((r) => `account_transactions:${r.id}`).sort(), 'one event per history row')
    assert.deepEqual([...receiver.ids].sort(), events.map((e) => e.id).sort(), 'each acknowledged')
    assert.ok(rows.some((r) => r.direction === 'fee'), 'fee rows too')

    const byRow = new Map(events.map((e) => [e.source, receiver!.events.get(e.id)!]))
    const addressOf = Object.fromEntries(Object.entries(w.accounts).map(([address, id]) => [id, address]))
    const lastAfter = new Map<string, string>()
    for (const row of [...rows].sort((a, b) => Number(BigInt(a.checkpoint) - BigInt(b.checkpoint)))) {
      const event = byRow.get(`account_transactions:${row.id}`)!
      assert.equal(event.type, 'account.transaction')
      const data = event.data as Record<string, unknown>
      const account = data.account as Record<string, unknown>
      assert.deepEqual([account.id, account.address], [row.account_id, addressOf[row.account_id]])
      assert.match(String(account.email), /@worker\.test$/)
      assert.deepEqual(
        [data.digest, data.checkpoint, data.token, data.direction, data.amount, data.counterparty],
        [row.tx_digest, row.checkpoint, row.token, row.direction, row.direction === 'received' ? row.amount : `-${row.amount}`, row.counterparty],
      )
      assert.match(String(data.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      assert.equal(typeof data.balanceAfter, 'string', `balanceAfter of ${row.direction} ${row.token} in ${row.checkpoint}`)
      lastAfter.set(`${row.account_id}/${row.token}`, data.balanceAfter as string)
    }
    // The last event of each balance (in checkpoint order: one transfer per checkpoint) says what
    // the chain holds now.
    for (const address of [alice, bob]) {
      assert.equal(lastAfter.get(`${w.accounts[address]}/SUI`), chainBalance(w, address, w.coins.SUI).toString())
      assert.equal(lastAfter.get(`${w.accounts[address]}/CUSD`), chainBalance(w, address, w.coins.CUSD).toString())
    }
  })

  it('completes every job while the receiver answers nothing at all', async () => {
    receiver = await FlakyReceiver.start(SECRET, {hang: 1})
    const digests = Array.from({length: 10}, (_, i) => w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 100n + BigInt(i)}).digest)
    await pollOnce(w)
    startWorker(receiver.url)
    const completed = async () => Number((await w.db('transaction_processing_log').whereIn('tx_digest', digests).where({status: 'completed'}).count('* as n'))[0]!.n)
    await eventually(async () => (await completed()) === digests.length, 60_000, 'every job completed')
    const rows = await history()
    assert.ok(rows.length >= digests.length * 2)
    assert.equal(Number((await w.db('webhook_deliveries').count('* as n'))[0]!.n), rows.length, 'an event queued per history row')
    assert.equal(await deliveredCount(), 0, 'none acknowledged')
    await eventually(async () => receiver!.requests > 0, 30_000, 'the events were sent')
  })

  it('loses nothing when the worker is killed with SIGKILL mid-delivery', async () => {
    receiver = await FlakyReceiver.start(SECRET, {error: 0.1}, 5)
    receiver.ackDelayMs = 150
    for (let i = 0; i < 30; i += 1) {
      w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.SUI, amount: 1_000n + BigInt(i)})
      w.sui.ledger.transfer({from: bob, to: alice, coinType: w.coins.CUSD, amount: 1_000n + BigInt(i)})
    }
    await pollOnce(w)
    const first = startWorker(receiver.url)
    await eventually(async () => receiver!.ids.size >= 10, 60_000, 'some events acknowledged')
    first.kill('SIGKILL')
    await first.exited
    const rows = await history()
    const left = rows.length - (await deliveredCount())
    assert.ok(left > 0, 'killed mid-delivery')

    const second = startWorker(receiver.url)
    await eventually(async () => (await deliveredCount()) === rows.length && (await history()).length === rows.length, 90_000, 'every history row delivered after the restart')
    second.kill('SIGTERM')
    assert.equal(await second.exitWithin(30_000, 'worker stops'), 0)
    const ids: {id: string}[] = await w.db('webhook_deliveries').select('id')
    assert.equal(ids.length, rows.length, 'one event per history row')
    assert.deepEqual([...receiver.ids].sort(), ids.map((r) => r.id).sort(), 'every event acknowledged at least once')
    assert.deepEqual(receiver.badSignatures, [])
  })

  it('--no-webhook-sender: the worker only queues; confio webhooks send sends them, counts its attempts, and stops on SIGTERM', async () => {
    receiver = await FlakyReceiver.start(SECRET, {error: 0.2}, 7)
    for (let i = 0; i < 5; i += 1) w.sui.ledger.transfer({from: alice, to: bob, coinType: w.coins.CUSD, amount: 500n + BigInt(i)})
    await pollOnce(w)
    const worker = new ConfioProcess(['worker', '--drain', '--no-webhook-sender', '--stall-interval', '1s'], webhookEnv(receiver.url))
    children.push(worker)
    assert.equal(await worker.exitWithin(60_000, 'worker --drain'), 0, worker.stderr)
    const rows = await history()
    assert.ok(rows.length >= 10)
    assert.equal(Number((await w.db('webhook_deliveries').count('* as n'))[0]!.n), rows.length, 'an event queued per history row')
    assert.equal(receiver.requests, 0, 'the worker sent nothing')

    const port = await freePort()
    const sender = new ConfioProcess(['webhooks', 'send', '--metrics-port', String(port)], webhookEnv(receiver.url))
    children.push(sender)
    await eventually(async () => (await deliveredCount()) === rows.length, 60_000, 'every event delivered by confio webhooks send')
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    const attempts = (outcome: string) => Number(new RegExp(`confio_webhook_attempts_total\\{outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1])
    assert.equal(attempts('delivered'), rows.length)
    assert.equal(attempts('failed') + attempts('delivered'), receiver.requests)
    sender.kill('SIGTERM')
    assert.equal(await sender.exitWithin(15_000, 'webhooks send stops'), 0, sender.stderr)
    assert.match(sender.stdout, /Stopped sending webhook events to http:\/\/127\.0\.0\.1:\d+ \(SIGTERM\)/)
    assert.deepEqual(receiver.badSignatures, [])
  })

  it('confio webhooks send without WEBHOOK_URL: one line naming it, exit 2', async () => {
    const result = new ConfioProcess(['webhooks', 'send'], w.env)
    children.push(result)
    assert.equal(await result.exitWithin(30_000, 'webhooks send'), 2)
    assert.match(result.stderr, /WEBHOOK_URL: is not set: there is nowhere to send events/)
  })
})
