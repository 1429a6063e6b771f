// The poller's lease expires unless renewed (issue 12): a poller that is stopped (SIGSTOP) keeps its
// PostgreSQL connection, and once its advisory lock, alive, yet loses the lease to the standby
// within 15 s of its last renewal, and when it wakes it writes nothing and exits 1 saying so; one
// killed outright is replaced within seconds; and the commit fence refuses a stale token in the
// commit's own transaction. A standby poll or beat stops at once when told (issue 25). Real
// processes, real PostgreSQL, the local Sui server.
import assert from 'node:assert/strict'
import {BEAT_LEASE} from '../../src/beat/beat-lease.ts'
import type {CheckpointRecord, GrpcChainReader} from '../../src/chain/index.ts'
import {AddressSet} from '../../src/ingest/address-set.ts'
import {POLLER_CURSOR} from '../../src/ingest/poller-cursor.ts'
import {POLLER_LEASE} from '../../src/ingest/poller-lease.ts'
import {RelevanceFilter} from '../../src/ingest/relevance-filter.ts'
import type {Database} from '../../src/store/database.ts'
import {Lease, LeaseLostError} from '../../src/store/lease.ts'
import {normalizeCoinType} from '../../src/sui/identifiers.ts'
import {formatWait as seconds} from '../../src/support/format-wait.ts'
import {sleep} from '../../src/support/sleep.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {collect, testReader} from '../chain/chain-test-support.ts'
import {ConfioProcess, eventually, killAll} from '../support/child-process.ts'
import {runCli} from '../support/cli.ts'
import {closeWorld, cursorOf, CUSD, pollWorld, type PollWorld, storedDigests, SUI} from './poll-support.ts'
import {CommitStages} from './commit-stages.ts'

const LEASE = POLLER_LEASE
const POLL = ['poll', '--mode', 'poll', '--interval', '200ms']

interface LeaseRow {
  holder: string
  token: bigint
  acquiredAt: Date
  renewedAt: Date
  expiresAt: Date
}

async function leaseRow(db: Database, name = LEASE): Promise<LeaseRow> {
  const row = await db('leases').where({name}).first('holder', 'token', 'acquired_at', 'renewed_at', 'expires_at')
  assert.ok(row, `a ${name} lease row`)
  return {holder: row.holder, token: BigInt(row.token), acquiredAt: row.acquired_at, renewedAt: row.renewed_at, expiresAt: row.expires_at}
}

/** Digests stored more than once (raw_blockchain_events must hold each once). */
async function duplicates(db: Database): Promise<string[]> {
  const rows: {tx_digest: string}[] = await db('raw_blockchain_events').select('tx_digest').groupBy('tx_digest').havingRaw('count(*) > 1')
  return rows.map((r) => r.tx_digest)
}

const sorted = (values: string[]) => [...values].sort()

describe('poller lease', function () {
  this.timeout(120_000)
  let world: PollWorld | undefined
  const children: ConfioProcess[] = []
  const leases: Lease[] = []

  const start = (args: string[]) => {
    const child = new ConfioProcess(args, world?.env)
    children.push(child)
    return child
  }

  beforeEach(async () => {
    world = await pollWorld()
    // Each test starts with no lease held (a row left by the test before would only be taken over).
    await world.db('leases').delete()
  })

  afterEach(async () => {
    await killAll(children)
    await Promise.all(leases.splice(0).map((lease) => lease.release()))
    await closeWorld(world)
    world = undefined
  })

  /** An active poller that has committed one relevant transfer (of `amount`), and a standby waiting. */
  async function activeWithStandby(amount: bigint) {
    const {sui, db, alice, bob} = world as PollWorld
    const relevant: string[] = []
    const produce = () => {
      relevant.push(sui.ledger.transfer({from: bob, to: alice, coinType: SUI, amount}).digest)
      sui.ledger.produceCheckpoint()
    }
    const first = start([...POLL, '--from-checkpoint', String(sui.ledger.checkpointHeight + 1n)])
    await first.waitForLog(/holding the poller lease/)
    const standby = start(POLL)
    await standby.waitForLog(/waiting as a hot standby/)
    produce()
    await eventually(async () => (await cursorOf(db)) === sui.ledger.checkpointHeight, 10_000, 'the first poller commits')
    // The commit's own line, too: a poller stopped between its COMMIT and that line would print it on waking.
    await first.waitForLog(/checkpoints committed/)
    return {relevant, produce, first, standby, held: await leaseRow(db)}
  }

  it('SIGSTOP: the standby commits within 15 s of the last renewal; the stopped poller, woken, writes nothing and exits 1 saying it lost the lease', async () => {
    const {sui, db} = world as PollWorld
    const {relevant, produce, first, standby, held} = await activeWithStandby(3n)

    first.kill('SIGSTOP')
    const stoppedAt = Date.now()
    // A renewal in flight when the signal came still lands; the one after it never does.
    await sleep(1_000)
    const last = await leaseRow(db)
    assert.equal(last.token, held.token)
    for (let i = 0; i < 3; i++) produce()
    const tip = sui.ledger.checkpointHeight

    await standby.waitForLog(/holding the poller lease/, 20_000)
    await eventually(async () => (await cursorOf(db)) === tip, 20_000, `the standby commits up to ${tip}:\n${standby.stderr}`)
    const wallMs = Date.now() - stoppedAt
    const taken = await leaseRow(db)
    const {rows} = await db.raw(`SELECT updated_at FROM ingest_cursors WHERE name = ?`, [POLLER_CURSOR])
    const committedAt: Date = rows[0].updated_at
    // PostgreSQL's clock throughout: the row's renewal, the takeover and the standby's commit.
    const takeoverMs = taken.acquiredAt.getTime() - last.renewedAt.getTime()
    const commitMs = committedAt.getTime() - last.renewedAt.getTime()
    assert.equal(taken.token, held.token + 1n, 'the takeover raised the token')
    assert.notEqual(taken.holder, held.holder)
    // The stopped poller's connection, and its advisory lock, were alive: the standby had to wait for the expiry.
    assert.ok(taken.acquiredAt >= last.expiresAt, `taken at ${taken.acquiredAt.toISOString()}, before the expiry ${last.expiresAt.toISOString()}`)
    assert.ok(commitMs <= 15_000, `the standby committed ${seconds(commitMs)} after the last renewal (takeover after ${seconds(takeoverMs)})`)
    assert.ok(wallMs <= 16_000, `the standby caught up ${seconds(wallMs)} after SIGSTOP`)
    assert.deepEqual(sorted(await storedDigests(db)), sorted(relevant))

    const cursor = await cursorOf(db)
    const stored = await storedDigests(db)
    const logLines = first.stderr.split('\n').length
    first.kill('SIGCONT')
    assert.equal(await first.exitWithin(15_000, 'the woken poller exits'), 1)
    const said = first.stderr.split('\n').filter((line) => /lost the checkpoints lease/.test(line))
    assert.equal(said.length, 1, first.stderr)
    assert.match(said[0]!, /^Error: lost the checkpoints lease: /)
    assert.doesNotMatch(first.stderr.split('\n').slice(logLines - 1).join('\n'), /checkpoints committed/, 'the woken poller committed nothing')
    assert.equal(await cursorOf(db), cursor, 'the cursor is where the standby left it')
    assert.deepEqual(await storedDigests(db), stored)
    assert.deepEqual(await duplicates(db), [])
    assert.deepEqual(sorted(stored), sorted(relevant), 'every relevant transaction stored once')
    assert.equal((await leaseRow(db)).token, taken.token, 'the standby still holds the lease')

    standby.kill('SIGTERM')
    assert.equal(await standby.exitWithin(15_000, 'the standby stops'), 0, standby.stderr)
  })

  it('kill -9: the standby takes over within seconds, before the lease expires', async () => {
    const {sui, db} = world as PollWorld
    const {relevant, produce, first, standby, held} = await activeWithStandby(4n)

    first.kill('SIGKILL')
    const killedAt = Date.now()
    await standby.waitForLog(/holding the poller lease/, 15_000)
    const wallMs = Date.now() - killedAt
    const taken = await leaseRow(db)
    assert.equal(taken.token, held.token + 1n)
    // Its lease connection closed, the advisory lock was free: no wait for the expiry.
    // (held was read before the kill: the lease expired at that time or later.)
    assert.ok(taken.acquiredAt < held.expiresAt, `taken at ${taken.acquiredAt.toISOString()}, not before the expiry ${held.expiresAt.toISOString()}`)
    assert.ok(wallMs < 5_000, `the standby took over ${seconds(wallMs)} after kill -9`)

    produce()
    await eventually(async () => (await cursorOf(db)) === sui.ledger.checkpointHeight, 10_000, 'the standby commits')
    assert.deepEqual(sorted(await storedDigests(db)), sorted(relevant))
    standby.kill('SIGTERM')
    assert.equal(await standby.exitWithin(15_000, 'the standby stops'), 0, standby.stderr)
  })

  // A standby has no work in hand (issue 25): told to stop (SIGTERM from systemd, SIGINT from a
  // terminal) it stops at once, exit 0, well inside the 10 s grace; `poll --once` beside an active
  // poller has nothing to do and exits 0 at once, as `beat --once` does beside an active beat.
  describe('standbys stop when told', () => {
    /** Below the base command's 10 s grace: a process still running then was waiting for it. */
    const STOP_DEADLINE_MS = 8_000
    // Intervals long enough that the active beat schedules once and then only waits.
    const BEAT = ['beat', '--refresh-every', '30d', '--reconcile-every', '30d', '--expire-every', '30d']

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`a standby poll stops at once on ${signal}: exit 0, its summary naming the database's cursor`, async () => {
        const {first, standby} = await activeWithStandby(6n)
        const cursor = await cursorOf((world as PollWorld).db)
        standby.kill(signal)
        assert.equal(await standby.exitWithin(STOP_DEADLINE_MS, 'the standby stops before the grace runs out'), 0, standby.stderr)
        assert.doesNotMatch(standby.stderr, /did not stop in time/)
        assert.match(standby.stdout, new RegExp(`^Stopped \\(signal\\) as a standby at cursor ${cursor}: 0 checkpoints`, 'm'))
        assert.doesNotMatch(first.stderr, /lost the checkpoints lease/, 'the active poller kept its lease')
      })

      it(`a standby beat stops at once on ${signal}: exit 0`, async () => {
        const active = start(BEAT)
        await active.waitForLog(/holding the beat lease/)
        const standby = start(BEAT)
        await standby.waitForLog(/waiting as a standby/)
        standby.kill(signal)
        assert.equal(await standby.exitWithin(STOP_DEADLINE_MS, 'the standby beat stops before the grace runs out'), 0, standby.stderr)
        assert.doesNotMatch(standby.stderr, /did not stop in time/)
        assert.match(standby.stdout, /^Stopped \(signal\): 0 runs scheduled\./m)
        active.kill(signal)
        assert.equal(await active.exitWithin(15_000, 'the active beat stops'), 0, active.stderr)
      })
    }

    it('poll --once beside an active poller says another poller is active and exits 0 without waiting', async () => {
      const {first} = await activeWithStandby(7n)
      const cursor = await cursorOf((world as PollWorld).db)
      const once = start(['poll', '--once'])
      assert.equal(await once.exitWithin(STOP_DEADLINE_MS, 'poll --once gives up at once'), 0, once.stderr)
      assert.equal(once.stdout.trim(), `Another poller is active (it holds the lease); nothing read. The cursor is at ${cursor}.`)
      const json = start(['poll', '--once', '--json'])
      assert.equal(await json.exitWithin(STOP_DEADLINE_MS, 'poll --once --json gives up at once'), 0, json.stderr)
      assert.deepEqual(JSON.parse(json.stdout), {cursor: String(cursor), checkpoints: 0, relevant: 0, stoppedBy: 'standby'})
      assert.match(json.stderr, /another poller holds the lease and polls; nothing to do/)
      assert.doesNotMatch(first.stderr, /lost the checkpoints lease/, 'the active poller kept its lease')
    })
  })

  describe('in one process', () => {
    let chain: GrpcChainReader

    beforeEach(() => {
      chain = testReader((world as PollWorld).sui.url)
    })
    afterEach(() => chain.close())

    const lease = (options: {renewEveryMs?: number; name?: string} = {}) => {
      const made = new Lease({databaseUrl: process.env.DATABASE_URL as string, name: options.name ?? LEASE, renewEveryMs: options.renewEveryMs ?? 600_000})
      leases.push(made)
      return made
    }

    /** The poller's stages from deciding to queueing, their commits fenced by this lease. */
    function committer(fenced: Lease): CommitStages {
      const w = world as PollWorld
      const accounts = new AddressSet()
      accounts.add(w.alice)
      const tokens = new TokenRegistry([{symbol: 'SUI', coinType: normalizeCoinType(SUI), decimals: 9}, {symbol: 'cUSD', coinType: normalizeCoinType(CUSD), decimals: 6}])
      return new CommitStages({db: w.db, chain, cursorName: POLLER_CURSOR, cursor: undefined, filter: new RelevanceFilter({packages: [], tokens, accounts}), queue: w.queue, fence: fenced.fence})
    }

    async function batch(): Promise<{checkpoints: CheckpointRecord[]; relevant: string[]}> {
      const {sui, alice, bob} = world as PollWorld
      const from = sui.ledger.checkpointHeight + 1n
      const relevant = [sui.ledger.transfer({from: bob, to: alice, coinType: SUI, amount: 5n}).digest]
      sui.ledger.produceCheckpoint()
      return {checkpoints: await collect(chain.checkpoints(from, sui.ledger.checkpointHeight)), relevant}
    }

    it('the fence: a commit under a lease that expired, or was taken over, fails in its own transaction and writes nothing', async () => {
      const {db} = world as PollWorld
      // Renewals far apart: this process believes it holds the lease throughout, so only the fence can refuse.
      const stale = lease()
      const standby = lease()
      assert.equal(await stale.tryAcquire(), true)
      assert.equal(await standby.tryAcquire(), false, 'held by the other')
      const {checkpoints, relevant} = await batch()
      const nothingWritten = async () => {
        assert.equal(await cursorOf(db), undefined)
        assert.deepEqual(await storedDigests(db), [])
      }

      // The holder stopped for longer than the expiry: nobody took the lease yet, but it is gone.
      await db('leases').where({name: LEASE}).update({expires_at: db.raw(`now() - interval '1 second'`)})
      await assert.rejects(committer(stale).commit(checkpoints), (error: Error) => error instanceof LeaseLostError && /^lost the checkpoints lease: it expired/.test(error.message))
      await nothingWritten()

      // The standby takes it (by expiry: the stale holder's connection still holds the advisory lock).
      assert.equal(await standby.tryAcquire(), true)
      assert.equal(standby.token, (stale.token as bigint) + 1n)
      await assert.rejects(committer(stale).commit(checkpoints), /^LeaseLostError: lost the checkpoints lease: taken over by .* \(token 2; this process held 1\)/)
      await nothingWritten()

      const result = await committer(standby).commit(checkpoints)
      assert.equal(result.relevant, 1)
      assert.deepEqual(await storedDigests(db), relevant)
      assert.equal(await cursorOf(db), checkpoints.at(-1)?.sequenceNumber)
    })

    it('a holder whose lease is taken over learns it at its next renewal (how the beat stops); each lease has its own application_name', async () => {
      const {db} = world as PollWorld
      const holder = lease({name: BEAT_LEASE, renewEveryMs: 200})
      const other = lease({name: BEAT_LEASE})
      assert.equal(await holder.tryAcquire(), true)
      await sleep(600)
      await holder.check()
      assert.equal(await other.tryAcquire(), false, 'renewed: still held')
      const {rows} = await db.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'confio-lease:beat'`)
      assert.equal(rows[0].n, 2, 'the holder and the standby, each on a connection of its own')

      await db('leases').where({name: BEAT_LEASE}).update({expires_at: db.raw(`now() - interval '1 second'`)})
      assert.equal(await other.tryAcquire(), true)
      await eventually(
        () => holder.check().then(() => false, (error: Error) => error instanceof LeaseLostError && /^lost the beat lease: (taken over|it expired)/.test(error.message)),
        3_000,
        'the holder knows it lost the beat lease',
      )
    })

    it('a clean release hands the lease over at once; poll --reset-cursor refuses while the lease is held', async () => {
      const {sui, db, env} = world as PollWorld
      sui.ledger.generateTraffic({checkpoints: 10, relevantShare: 0})
      await db('ingest_cursors').insert({name: POLLER_CURSOR, checkpoint: '10'})
      const first = lease()
      const second = lease()
      assert.equal(await first.tryAcquire(), true)
      assert.equal(await second.tryAcquire(), false)
      const refused = await runCli(['poll', '--reset-cursor', '5', '--yes'], {env})
      assert.equal(refused.code, 2, refused.stderr)
      assert.match(refused.stderr, /a poller is running on this database \(it holds the lease\)/)
      assert.equal(await cursorOf(db), 10n)

      await first.release()
      assert.equal(await second.tryAcquire(), true)
      await second.release()
      const reset = await runCli(['poll', '--reset-cursor', '5', '--yes'], {env})
      assert.equal(reset.code, 0, reset.stderr)
      assert.equal(await cursorOf(db), 5n)
    })
  })
})
