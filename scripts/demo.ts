// `npm run demo [-- --seconds N]`: confio doing its job, on a machine with nothing but PostgreSQL
// and Redis. It starts the project's local Sui server producing mainnet-shaped checkpoints (40-90
// transactions each, a few of them deposits to and withdrawals from the demo accounts), creates
// and migrates a database of its own (DATABASE_URL, default .../confio_demo), imports
// examples/accounts.csv, runs `confio run`, and shows live what it finds: checkpoints followed and
// lag, transactions stored and processed, each account's balances (kept exact by the worker) and
// latest history. Ctrl-C (or --seconds) stops everything and says how to look at what was stored.
import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {parseArgs} from 'node:util'
import {fileURLToPath} from 'node:url'
import {Redis} from 'ioredis'
import {progressMode} from '../cli/progress-mode.ts'
import {withSteps} from '../cli/step-list.ts'
import {whileWaiting} from '../cli/wait-spinner.ts'
import {openBalanceService} from '../src/balances/open-balance-service.ts'
import {CHAIN_OPTION_DEFAULTS, openChainReader} from '../src/chain/index.ts'
import {POLLER_CURSOR} from '../src/ingest/poller-cursor.ts'
import {createLogger} from '../src/logging/logger.ts'
import {SecretScrubber} from '../src/secrets.ts'
import {databaseNameOf} from '../src/store/database-creation.ts'
import {createDatabase} from '../src/store/database.ts'
import {SUI_COIN_TYPE, normalizeAddress} from '../src/sui/identifiers.ts'
import {AmountFormatter} from '../src/tokens/amount-formatter.ts'
import {formatTokenAmount} from '../src/tokens/amounts.ts'
import {TokenRegistry} from '../src/tokens/token-registry.ts'
import {startSuiServer} from '../sui-server/index.ts'

const {values} = parseArgs({options: {seconds: {type: 'string'}}})
const seconds = values.seconds === undefined ? undefined : Number(values.seconds)
if (seconds !== undefined && !(seconds > 0)) {
  console.error(`demo: --seconds ${values.seconds} is not a positive number of seconds`)
  process.exit(2)
}

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const csv = fileURLToPath(new URL('../examples/accounts.csv', import.meta.url))
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/confio_demo'
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0'
const redisPrefix = process.env.REDIS_PREFIX ?? 'confio-demo:'
// Each demo is a new chain: its own database and keys start empty (never a database you named).
if (process.env.DATABASE_URL === undefined) await startEmpty()
else await refuseUsedDatabase()
const cusdPackage = `0x${'c0de'.repeat(16)}`
const cusd = `${cusdPackage}::cusd::CUSD`
const tokens = new TokenRegistry([
  {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
  {symbol: 'CUSD', coinType: cusd, decimals: 6},
])
const amounts = new AmountFormatter(tokens)
const accounts = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((line) => line.split(',')) as [string, string, string][]

// The start-up, as a list of steps on a terminal (cli/step-list.ts); elsewhere each command line
// and its own output, as an operator would type them.
const mode = progressMode({json: false})
const STARTUP = ['Start the local Sui server', 'Create the database and its tables (confio migrate --create)', 'Import examples/accounts.csv (confio accounts import)', 'Start confio run, following the chain']
let starting: Awaited<ReturnType<typeof startSuiServer>> | undefined
let runLog = ''
const {sui, run} = await withSteps(mode, STARTUP, async (steps) => {
  // The chain: demo accounts funded, then 4 checkpoints a second with 1% of transactions theirs:
  // each balance changes every few seconds, like a busy wallet's, not at every checkpoint (a change
  // inside a chain read's height window leaves a balance stale until a later read settles it).
  const sui = (starting = await startSuiServer({chain: 'localnet'}))
  const addresses = accounts.map(([, address]) => normalizeAddress(address))
  for (const address of addresses) {
    sui.ledger.mint(address, SUI_COIN_TYPE, 50_000_000_000n)
    sui.ledger.mint(address, cusd, 2_000_000_000n)
  }
  sui.ledger.produceCheckpoint()
  steps.next(`Start the local Sui server at ${sui.url}`)
  const env = {...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix, SUI_GRPC_URL: sui.url, SUI_NETWORK: 'localnet', CUSD_ADDRESS: cusdPackage, LOG_LEVEL: 'warn'}
  for (const args of [['migrate', '--create'], ['accounts', 'import', csv]]) {
    await confio(args, env)
    steps.next()
  }
  sui.ledger.startProducing(4, {relevantShare: 0.01, relevantAddresses: addresses, relevantCoinTypes: [SUI_COIN_TYPE, cusd]})
  const run: ChildProcess = spawn(process.execPath, [bin, 'run', '--mode', 'stream', '--from-checkpoint', sui.ledger.checkpointHeight.toString()], {env, stdio: ['ignore', 'ignore', 'pipe']})
  run.stderr?.on('data', (chunk: Buffer) => (runLog = (runLog + chunk.toString()).slice(-4_000)))
  return {sui, run}
}).catch(async (error: Error) => {
  console.error(`demo: ${error.message}`)
  await starting?.close()
  return process.exit(1)
})
run.on('exit', (code) => {
  if (!stopping) {
    console.error(`confio run stopped by itself (exit ${code}):\n${runLog}`)
    void stop(1)
  }
})

/** One confio command, run to its end: its output as it comes (plain), or kept for its error (live). */
async function confio(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (mode === 'plain') console.log(`$ confio ${args.join(' ')}`)
  const child = spawn(process.execPath, [bin, ...args], {stdio: mode === 'plain' ? 'inherit' : ['ignore', 'pipe', 'pipe'], env})
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  if (code !== 0) throw new Error(`confio ${args.join(' ')} failed (exit ${code})${mode === 'live' ? `:\n${output.trim()}` : ''}`)
}

const logger = createLogger({level: 'silent', scrubber: new SecretScrubber()})
const chain = openChainReader({...CHAIN_OPTION_DEFAULTS, url: sui.url, network: 'localnet'})
const balances = await openBalanceService({databaseUrl, redisUrl, redisPrefix, chain, tokens, logger, listen: true})
const db = balances.db
const started = Date.now()
let stopping = false
let frames = 0
let shown = {stored: 0, processed: 0}

const timer = setInterval(() => void draw().catch((error: Error) => console.error(`demo: ${error.message}`)), 500)
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))
if (seconds !== undefined) setTimeout(() => void stop(0), seconds * 1000)

const CATCH_UP_DEADLINE_MS = 30_000

async function caughtUp(): Promise<boolean> {
  const cursor = await db('ingest_cursors').where({name: POLLER_CURSOR}).first()
  const {rows} = await db.raw<{rows: {left: string}[]}>('SELECT count(*) AS left FROM raw_blockchain_events WHERE processed_at IS NULL')
  return cursor !== undefined && BigInt(cursor.checkpoint) >= sui.ledger.checkpointHeight && rows[0]?.left === '0'
}

/**
 * Each demo balance as the worker kept it, beside the local chain's. A row the worker had to mark
 * stale (a change it could not place against a chain read's height window) is read again, as a
 * wallet's next read would: once the chain has moved on, that read is exact.
 */
async function compareWithChain(): Promise<{equal: number; total: number; readAgain: number}> {
  let equal = 0
  let total = 0
  let readAgain = 0
  for (const [email, address] of accounts) {
    const account = await balances.service.account(email)
    for (const token of tokens.list()) {
      const row = await db('balances').where({account_id: account.id, token: token.symbol}).first()
      const {coinBalance, addressBalance} = sui.ledger.balance(normalizeAddress(address), token.coinType)
      const chainAmount = coinBalance + addressBalance
      total += 1
      const trusted = row && !row.is_stale && row.base_checkpoint !== null
      if (!trusted) readAgain += 1
      const kept = trusted ? {amount: BigInt(row.amount), isStale: false} : await balances.service.getBalance(email, token.symbol)
      if (!kept.isStale && kept.amount === chainAmount) equal += 1
      else console.error(`demo: ${token.symbol} of ${email}: confio ${kept.amount}${kept.isStale ? ' (stale)' : ''}${trusted ? '' : ' (read again)'}, chain ${chainAmount}`)
    }
  }
  return {equal, total, readAgain}
}

/**
 * A database you named is never dropped; one that followed an earlier demo's chain would follow
 * this new chain from the wrong checkpoint, so it is refused.
 */
async function refuseUsedDatabase(): Promise<void> {
  const admin = createDatabase({url: Object.assign(new URL(databaseUrl), {pathname: '/postgres'}).toString(), poolMax: 1})
  const target = createDatabase({url: databaseUrl, poolMax: 1})
  try {
    const {rows} = await admin.raw<{rows: unknown[]}>('SELECT 1 FROM pg_database WHERE datname = ?', [databaseNameOf(databaseUrl)])
    if (rows.length === 0 || !(await target.schema.hasTable('ingest_cursors'))) return
    const cursor = await target('ingest_cursors').first('checkpoint')
    if (cursor === undefined) return
    console.error(`demo: database ${databaseNameOf(databaseUrl)} (DATABASE_URL) already followed an earlier demo's chain, to checkpoint ${cursor.checkpoint}; each demo is a new chain: name a database that does not exist yet, or leave DATABASE_URL unset`)
    process.exit(2)
  } finally {
    await Promise.all([admin.destroy(), target.destroy()])
  }
}

async function startEmpty(): Promise<void> {
  const admin = createDatabase({url: Object.assign(new URL(databaseUrl), {pathname: '/postgres'}).toString(), poolMax: 1})
  try {
    await admin.raw(`DROP DATABASE IF EXISTS ${databaseNameOf(databaseUrl)} WITH (FORCE)`)
  } finally {
    await admin.destroy()
  }
  const redis = new Redis(redisUrl)
  try {
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.del(...keys)
      if ((cursor = next) === '0') break
    }
  } finally {
    redis.disconnect()
  }
}

/** One frame; `last` (at the stop) is printed even where the output is a log. */
async function draw(last = false): Promise<void> {
  const [{rows: counts}, cursorRow] = await Promise.all([
    db.raw<{rows: {stored: string; processed: string}[]}>('SELECT count(*) AS stored, count(processed_at) AS processed FROM raw_blockchain_events'),
    db('ingest_cursors').where({name: POLLER_CURSOR}).first(),
  ])
  const tip = sui.ledger.checkpointHeight
  const cursor = cursorRow ? BigInt(cursorRow.checkpoint) : undefined
  shown = {stored: Number(counts[0]?.stored ?? 0), processed: Number(counts[0]?.processed ?? 0)}
  const lines = [
    `confio demo: local Sui server ${sui.url} (4 checkpoints/s, 40-90 transactions each), ${Math.round((Date.now() - started) / 1000)} s${seconds ? ` of ${seconds}` : ''}; Ctrl-C stops`,
    '',
    `checkpoints followed  ${cursor ?? '-'} of ${tip} (lag ${cursor === undefined ? '-' : tip - cursor})`,
    `transactions stored   ${shown.stored} relevant to the demo accounts or cUSD`,
    `jobs processed        ${shown.processed}`,
    '',
  ]
  for (const [email, , label] of accounts) {
    const parts: string[] = []
    for (const token of tokens.list()) {
      const b = await balances.service.getBalance(email, token.symbol)
      parts.push(`${formatTokenAmount(b.amount, token)} (${b.isStale ? 'stale' : b.source})`)
    }
    lines.push(`${label.padEnd(12)} ${email.padEnd(22)} ${parts.join('   ')}`)
    const account = await balances.service.account(email)
    const history = await db('account_transactions').where({account_id: account.id}).orderBy('id', 'desc').limit(2)
    for (const h of history) {
      lines.push(`    checkpoint ${h.checkpoint}  ${h.direction.padEnd(8)} ${amounts.format(BigInt(h.amount), h.token)} ${h.token}${h.counterparty ? `  ${h.direction === 'sent' ? 'to' : 'from'} ${h.counterparty.slice(0, 10)}…` : ''}`)
    }
  }
  frames += 1
  // Redrawn in place on a terminal; a frame every 5 s where the output is a log.
  if (process.stdout.isTTY) process.stdout.write(`\x1b[H\x1b[J${lines.join('\n')}\n`)
  else if (last || frames % 10 === 1) console.log(`${lines.join('\n')}\n`)
}

async function stop(code: number): Promise<never> {
  if (stopping) return new Promise(() => undefined)
  stopping = true
  clearInterval(timer)
  sui.ledger.stopProducing()
  // A live chain moves on: two empty checkpoints put the last transfers behind the height window of
  // any read made now (src/chain/reader/height-window.ts).
  sui.ledger.produceCheckpoint()
  sui.ledger.produceCheckpoint()
  // Let confio finish what the chain produced, so the balances can be compared with it. (Seconds
  // on an idle machine; the deadline is for a machine busy with other work.)
  const deadline = Date.now() + CATCH_UP_DEADLINE_MS
  await whileWaiting(mode, 'waiting for confio to catch up with the chain', async () => {
    while (code === 0 && run.exitCode === null && Date.now() < deadline && !(await caughtUp())) await new Promise((resolve) => setTimeout(resolve, 200))
  })
  const wasCaughtUp = await caughtUp().catch(() => false)
  if (run && run.exitCode === null) {
    const exited = new Promise((resolve) => run.once('exit', resolve))
    run.kill('SIGTERM')
    await exited
  }
  await draw(true).catch(() => undefined)
  const check = code === 0 ? await compareWithChain() : undefined
  await balances?.close()
  chain?.close()
  await sui.close()
  const ok = code === 0 && shown.stored > 0 && shown.processed > 0 && check?.equal === check?.total
  if (code === 0 && !ok) {
    console.error(
      shown.stored > 0 && shown.processed > 0
        ? `demo: ${check ? check.total - check.equal : '?'} balances differ from the chain's${wasCaughtUp ? '' : `: confio had not caught up with the chain within ${CATCH_UP_DEADLINE_MS / 1000} s (a busy machine?)`}; see the log above`
        : 'demo: no transaction was stored and processed; see the log above',
    )
  }
  console.log(
    [
      '',
      `Stopped. ${shown.stored} transactions stored, ${shown.processed} processed, in ${databaseUrl}.`,
      ...(check ? [`Balances: ${check.equal} of ${check.total} equal the chain's (${check.readAgain} of them stale and read again); the chain was asked for a balance ${sui.faults.calls('GetBalance') + sui.faults.calls('ListBalances')} times in all.`] : []),
      'To look at what was stored:',
      `  export DATABASE_URL=${databaseUrl} REDIS_PREFIX=${redisPrefix}`,
      '  ./bin/run.js accounts list',
      '  psql "$DATABASE_URL" -c "SELECT account_id, token, amount, base_checkpoint, is_stale FROM balances"',
      '  psql "$DATABASE_URL" -c "SELECT checkpoint, direction, amount, token FROM account_transactions ORDER BY id DESC LIMIT 20"',
      'Against mainnet: the README, Quick start, says which settings to give the same commands.',
    ].join('\n'),
  )
  process.exit(ok ? 0 : code || 1)
}
