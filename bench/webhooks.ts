// bench:webhooks — how fast the worker's WebhookSender delivers queued events to a local receiver
// (node:http on 127.0.0.1, in this process, verifying each signature and answering 204): EVENTS
// rows are queued in webhook_deliveries at once (as a backlog after a receiver outage), then one
// sender, as the worker runs it, delivers them; the figure is events per second from its start
// until every row is marked delivered in PostgreSQL. Goal: at least 1,000 events/s. A scratch
// database, dropped at the end.
//
//   npm run bench:webhooks
//   EVENTS=50000 CONCURRENCY=32 npm run bench:webhooks
//
// Environment: EVENTS (20000), CONCURRENCY (16, the worker's), CONFIO_TEST_PG.
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {createLogger} from '../src/logging/logger.ts'
import {SecretScrubber} from '../src/secrets.ts'
import {sleep} from '../src/support/sleep.ts'
import {WebhookSender} from '../src/webhooks/webhook-sender.ts'
import {verifySignature} from '../src/webhooks/webhook-signature.ts'
import {createScratchDatabase, dropScratchDatabase, fmt, num, reportFigures, scratchFor} from './bench-support.ts'

const EVENTS = num('EVENTS', 20_000)
const CONCURRENCY = num('CONCURRENCY', 16)
const SECRET = 'whsec_bench'
const DEADLINE_MS = 600_000

async function main(): Promise<void> {
  const scratch = scratchFor('webhooks')
  const db = await createScratchDatabase(scratch)
  let acknowledged = 0
  let refused = 0
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      if (!verifySignature(SECRET, String(request.headers['confio-signature']), body, Math.floor(Date.now() / 1000))) {
        refused += 1
        response.writeHead(400).end()
        return
      }
      acknowledged += 1
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`
  const sender = new WebhookSender({db, url, secret: SECRET, concurrency: CONCURRENCY, logger: createLogger({level: 'warn', scrubber: new SecretScrubber()})})
  try {
    console.log(`bench:webhooks — ${fmt(EVENTS)} queued events to a local receiver, ${CONCURRENCY} requests at once (node ${process.version}, database ${scratch.database})`)
    // Payloads shaped like the worker's account.transaction events.
    await db.raw(
      `INSERT INTO webhook_deliveries (source, type, payload)
       SELECT 'account_transactions:' || n, 'account.transaction', jsonb_build_object(
         'account', jsonb_build_object('id', (n % 1000)::text, 'email', 'user' || (n % 1000) || '@example.com', 'address', '0x' || lpad(to_hex(n), 64, '0')),
         'digest', md5(n::text), 'checkpoint', (180000000 + n)::text, 'timestamp', '2026-12-07T12:00:00.000Z', 'token', 'CUSD',
         'amount', '-' || (n * 1000)::text, 'direction', 'sent', 'counterparty', '0x' || lpad(to_hex(n + 1), 64, '0'), 'balanceAfter', (n * 7)::text)
       FROM generate_series(1, ?) AS n`,
      [EVENTS],
    )
    const started = performance.now()
    sender.start()
    let delivered = 0
    while (delivered < EVENTS) {
      if (performance.now() - started > DEADLINE_MS) throw new Error(`only ${delivered} of ${EVENTS} delivered within ${DEADLINE_MS} ms`)
      await sleep(50)
      delivered = Number((await db.raw(`SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'delivered'`)).rows[0].n)
    }
    const seconds = (performance.now() - started) / 1000
    console.log(`delivered ${fmt(EVENTS)} events in ${fmt(seconds, 2)} s: ${fmt(EVENTS / seconds)} events/s (goal 1,000)`)
    console.log(`  receiver: ${fmt(acknowledged)} acknowledged (${fmt(acknowledged - EVENTS)} sent twice), ${fmt(refused)} signatures refused`)
    // A run that lost an event or signed one wrong measured nothing worth having.
    if (refused > 0 || acknowledged < EVENTS) throw new Error(`${fmt(refused)} signatures refused, ${fmt(acknowledged)} of ${fmt(EVENTS)} acknowledged`)
    reportFigures('webhooks', [
      {name: `delivery of a ${fmt(EVENTS)}-event backlog to a local receiver, ${CONCURRENCY} requests at once`, unit: 'events/s', measured: EVENTS / seconds, goal: {on: 'measured', value: 1_000}},
    ])
  } finally {
    await sender.stop()
    receiver.close()
    await db.destroy()
    await dropScratchDatabase(scratch)
  }
}

await main()
