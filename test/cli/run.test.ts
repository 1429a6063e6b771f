// `confio run`: the poller and a worker in one process, on transfers generated while it runs,
// stopped with SIGTERM mid-run and started again: nothing lost, nothing counted twice, and every
// balance kept exact.
import assert from 'node:assert/strict'
import {PostgresBalanceStore} from '../../src/balances/postgres-balance-store.ts'
import {ConfioProcess, eventually} from '../support/child-process.ts'
import {runCli, jsonOf} from '../support/cli.ts'
import {anchorBalances, chainBalance, fundAll, startWorld, type WorkerWorld} from '../processing/worker-support.ts'

describe('confio run', function () {
  this.timeout(120_000)
  let w: WorkerWorld
  let names: string[]
  let traffic: NodeJS.Timeout | undefined
  const digests: string[] = []

  before(async () => {
    w = await startWorld(['ann', 'ben', 'cid'])
    names = Object.keys(w.accounts)
    await fundAll(w, {sui: 100_000_000_000n, cusd: 1_000_000_000n})
    await anchorBalances(w)
  })

  after(async () => {
    clearInterval(traffic)
    await w?.close()
  })

  function startTraffic(): void {
    let i = 0
    traffic = setInterval(() => {
      for (let k = 0; k < 3; k++) {
        i += 1
        const from = names[i % names.length]!
        const to = names[(i + 1) % names.length]!
        digests.push(w.sui.ledger.transfer({from, to, coinType: i % 2 ? w.coins.CUSD : w.coins.SUI, amount: BigInt(1_000 + i)}).digest)
      }
      w.sui.ledger.produceCheckpoint()
    }, 40)
  }

  const processedCount = async () => Number((await w.db('raw_blockchain_events').whereIn('tx_digest', digests).whereNotNull('processed_at').count({n: '*'}))[0]?.n)

  it('SIGTERM mid-run stops both halves cleanly; a restart finishes the rest with nothing lost or doubled', async () => {
    startTraffic()
    const first = new ConfioProcess(['run', '--mode', 'poll', '--interval', '200ms', '--concurrency', '8', '--log-level', 'info'], w.env)
    try {
      await eventually(async () => (await processedCount()) >= 30, 30_000, '30 transfers processed by confio run').catch((error: Error) => {
        throw new Error(`${error.message}\n${first.stderr.slice(-3_000)}`)
      })
      first.kill('SIGTERM')
      assert.equal(await first.exited, 0, first.stderr)
    } finally {
      if (first.child.exitCode === null) first.kill('SIGKILL')
    }
    assert.match(first.stdout, /^Poller stopped \(signal\) at cursor \d+/m)
    assert.match(first.stdout, /^Worker Stopped \(signal\): \d+ completed/m)

    // More transfers while it is down, then catch up and work everything off.
    await new Promise((resolve) => setTimeout(resolve, 300))
    clearInterval(traffic)
    w.sui.ledger.produceCheckpoint()
    const second = await runCli(['run', '--once', '--mode', 'poll', '--json'], {env: w.env})
    assert.equal(second.code, 0, second.stderr)
    const result = jsonOf<{poll: {stoppedBy: string}; worker: {stoppedBy: string; failed: number}}>(second)
    assert.deepEqual([result.poll.stoppedBy, result.worker.stoppedBy, result.worker.failed], ['caught-up', 'drained', 0])

    // Every transfer stored once and processed once: one sent and one received row each.
    const stored = await w.db('raw_blockchain_events').whereIn('tx_digest', digests).select('tx_digest', 'processed_at')
    assert.equal(stored.length, digests.length)
    assert.ok(stored.every((r) => r.processed_at !== null))
    const rows = await w.db('account_transactions').whereIn('tx_digest', digests).whereIn('direction', ['sent', 'received']).count({n: '*'})
    assert.equal(Number(rows[0]?.n), digests.length * 2)
    const store = new PostgresBalanceStore(w.db)
    for (const address of names) {
      for (const [token, coinType] of [['SUI', w.coins.SUI], ['CUSD', w.coins.CUSD]] as const) {
        const row = await store.read({accountId: w.accounts[address]!, token})
        assert.deepEqual([row?.stale, row?.amount], [false, chainBalance(w, address, coinType)], `${token} of ${address.slice(0, 8)}`)
      }
    }
  })
})
