// SIGINT at any moment of every long command (issue 25): the command stops within the grace period
// with its summary (a service: exit 0), or, when a one-shot task is cut short, with one line saying
// it was stopped (exit 1). Never a TypeError, a stack trace, or "did not stop in time"; and a
// command that has finished is not turned into one killed by the signal.
//
// The moments: at once (Node is still loading: the process ends by the signal, printing nothing);
// as it starts its work (its first PostgreSQL session, or its first call to the node: the signal
// handlers are set up, and a stop reason was once read as an Error here); and mid-work (a while
// later, or once the node has been asked to execute). One world serves every case; the cases run
// one after another, since poll, run and beat take a lease.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Ed25519Keypair} from '@mysten/sui/keypairs/ed25519'
import {normalizeAddress} from '../../src/sui/identifiers.ts'
import {sleep} from '../../src/support/sleep.ts'
import {closeWorld, CUSD, pollWorld, type PollWorld, SUI} from '../ingest/poll-support.ts'
import {ConfioProcess, killAll} from '../support/child-process.ts'
import {emptyDir} from '../support/cli.ts'

interface LongCommand {
  readonly args: () => string[]
  /** What stdout holds for each exit code of a run that ends normally: a service stopped, or a task that finished before the signal. */
  readonly ends: Readonly<Record<number, RegExp>>
  /** Puts back what a previous case used up (coins consolidated, history backfilled). */
  readonly prepare?: () => Promise<void>
  readonly env?: () => Record<string, string>
  /** The node call that shows it has started (default: its first PostgreSQL session). */
  readonly startedBy?: string
  /** The node call that shows it is mid-work (default: 400 ms after it started). */
  readonly busyWith?: string
}

/** Time the command gets after the signal: the base command's 10 s grace, and a little. */
const STOP_DEADLINE_MS = 12_000

describe('SIGINT at any moment of a long command', function () {
  this.timeout(300_000)
  let w: PollWorld
  const signer = Ed25519Keypair.generate()
  const signerAddress = normalizeAddress(signer.toSuiAddress())
  const csv = join(emptyDir(), 'accounts.csv')

  /** Whether a confio process has opened a PostgreSQL session since `since` (the cases run one at a time). */
  async function openedPostgres(since: Date): Promise<boolean> {
    const {rows} = await w.db.raw<{rows: unknown[]}>(
      "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'confio-%' AND backend_start > ? AND pid <> pg_backend_pid()",
      [since],
    )
    return rows.length > 0
  }

  /** A check for one node method having been called since now. */
  function calledSinceNow(method: string): () => Promise<boolean> {
    const before = w.sui.faults.calls(method)
    return async () => w.sui.faults.calls(method) > before
  }

  /** Waits until `check` holds, or the process has ended first. */
  async function until(confio: ConfioProcess, check: () => Promise<boolean>, what: string): Promise<void> {
    const started = Date.now()
    while (confio.running && !(await check())) {
      if (Date.now() - started > 20_000) throw new Error(`not within 20 s: ${what}\n${confio.stderr}`)
      await sleep(10)
    }
  }

  interface Probes {
    readonly started: () => Promise<boolean>
    readonly busy: (() => Promise<boolean>) | undefined
  }

  const moments: Record<string, (confio: ConfioProcess, probes: Probes) => Promise<void>> = {
    'at once': async () => undefined,
    'as it starts': (confio, probes) => until(confio, probes.started, 'started'),
    'mid-work': async (confio, probes) => {
      await until(confio, probes.started, 'started')
      if (probes.busy) await until(confio, probes.busy, 'busy')
      else await sleep(400)
    },
  }

  /** The account backfills read again: no history stored, monitored from the tip on. */
  async function forgetHistory(): Promise<void> {
    await w.db('accounts').update({monitored_from: String(w.sui.ledger.checkpointHeight + 1n), filled_through: null})
  }

  const commands: Record<string, LongCommand> = {
    poll: {args: () => ['poll'], ends: {0: /^Stopped \(signal\)( as a standby)? at cursor /m}},
    worker: {args: () => ['worker'], ends: {0: /^Stopped \(signal\): \d+ completed/m}},
    run: {args: () => ['run'], ends: {0: /^Poller stopped \(signal\) at cursor /m}},
    beat: {args: () => ['beat'], ends: {0: /^Stopped \(signal\): /m}},
    backfill: {
      args: () => ['backfill', '--account', 'alice@test.io', '--from-checkpoint', '1', '--source', 'scan'],
      ends: {0: /^Backfilled 1 account from checkpoint 1 /m},
      prepare: forgetHistory,
    },
    'accounts import --backfill-from': {
      args: () => ['accounts', 'import', csv, '--backfill-from', '1', '--backfill-source', 'list'],
      ends: {0: /^Backfilled 1 account from checkpoint 1 /m},
      busyWith: 'ListTransactions',
      prepare: async () => {
        await w.db('accounts').where({email: 'imported@test.io'}).delete()
        await forgetHistory()
      },
    },
    reconcile: {args: () => ['reconcile', '--rps', '4', '--concurrency', '1'], ends: {0: /^Checked \d+ of \d+ accounts/m}},
    // Uses no database: it has started once it lists the coins, and is mid-work once it executes.
    'coins consolidate --execute': {
      args: () => ['coins', 'consolidate', '--address', signerAddress, '--token', 'CUSD', '--execute'],
      env: () => ({SUI_PRIVATE_KEY: signer.getSecretKey()}),
      ends: {0: /^Consolidated CUSD of /m},
      startedBy: 'ListOwnedObjects',
      busyWith: 'ExecuteTransaction',
      prepare: async () => {
        for (let i = 1; i <= 30; i++) w.sui.ledger.mint(signerAddress, CUSD, BigInt(i) * 1_000n)
        w.sui.ledger.produceCheckpoint()
      },
    },
    'test-balance --benchmark': {args: () => ['test-balance', '--benchmark', '--accounts', '3', '--iterations', '3000'], ends: {0: /^LEVEL\s+READS/m}},
    // It exits with its last frame's code: 1 (no poller holds the lease), or 0 before the first frame.
    'status --watch': {args: () => ['status', '--watch'], ends: {0: /^$/, 1: /^confio status .*: 1 alarm/m}},
    migrate: {args: () => ['migrate'], ends: {0: /^Already up to date\./m}},
  }

  before(async () => {
    w = await pollWorld()
    const {ledger} = w.sui
    // History for the backfills to read: long enough that a scan is still at it mid-work.
    for (let i = 0; i < 20; i++) {
      ledger.transfer({from: w.bob, to: w.alice, coinType: SUI, amount: 1_000n + BigInt(i)})
      ledger.generateTraffic({checkpoints: 150, txPerCheckpoint: [1, 3], relevantShare: 0})
    }
    for (const [i, who] of [w.bob, w.carol].entries()) await w.db('accounts').insert({email: `other${i}@test.io`, sui_address: who})
    ledger.mint(signerAddress, SUI, 5_000_000_000n)
    ledger.produceCheckpoint()
    writeFileSync(csv, `email,address\nimported@test.io,${normalizeAddress(`0x${'1e'.padStart(64, '0')}`)}\n`)
    // A consolidation's execution, or a listing of history, is in flight when the signal comes mid-work.
    w.sui.faults.latency('ExecuteTransaction', 300).latency('ListTransactions', 300)
    ledger.startProducing(10)
  })

  after(async () => closeWorld(w))

  for (const [name, command] of Object.entries(commands)) {
    for (const [moment, reached] of Object.entries(moments)) {
      it(`${name}: ${moment}`, async () => {
        await command.prepare?.()
        const since = await serverNow()
        const probes = {
          started: command.startedBy ? calledSinceNow(command.startedBy) : () => openedPostgres(since),
          busy: command.busyWith ? calledSinceNow(command.busyWith) : undefined,
        }
        const confio = new ConfioProcess(command.args(), {...w.env, LOG_LEVEL: 'warn', ...command.env?.()})
        await reached(confio, probes)
        confio.kill('SIGINT')
        const signalled = Date.now()
        const code = await confio.exitWithin(STOP_DEADLINE_MS, `the end within ${STOP_DEADLINE_MS} ms of SIGINT`).finally(() => killAll([confio]))
        const output = `exit ${code} (${confio.child.signalCode ?? 'no signal'}) after ${Date.now() - signalled} ms\nstdout:\n${confio.stdout}\nstderr:\n${confio.stderr}`
        assert.doesNotMatch(confio.stderr + confio.stdout, /TypeError|Cannot read properties|\n\s+at |did not stop in time/, output)
        // No line of a stack (or of oclif's indented report of an error thrown while reporting one).
        assert.doesNotMatch(confio.stderr, /^\s+\S/m, output)
        if (code === null) {
          // Ended by the signal itself, before confio had set up its handlers: nothing was started.
          assert.equal(confio.child.signalCode, 'SIGINT', output)
          assert.equal(confio.stdout + confio.stderr, '', output)
          return
        }
        const ends = command.ends[code as number]
        if (ends) {
          assert.match(confio.stdout, ends, output)
        } else {
          // A one-shot task cut short: one line that says it was stopped, and what to do.
          assert.equal(code, 1, output)
          assert.match(confio.stderr, /^Error: [^\n]*\bSIGINT\b[^\n]*$/m, output)
          assert.equal(confio.stderr.split('\n').filter((line) => line.startsWith('Error:')).length, 1, output)
        }
      })
    }
  }

  async function serverNow(): Promise<Date> {
    const {rows} = await w.db.raw<{rows: {now: Date}[]}>('SELECT clock_timestamp() AS now')
    return rows[0]?.now as Date
  }
})
