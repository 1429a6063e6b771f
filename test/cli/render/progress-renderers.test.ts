// The progress renderers: what each command shows of its counted work live (a step list's updates
// and ends) and plain (the lines it wrote before listr2 and ora came: the same, the same moments).
import assert from 'node:assert/strict'
import {benchmarkProgress} from '../../../cli/render/benchmark-progress.ts'
import {backfillProgress} from '../../../cli/render/backfill-progress.ts'
import {consolidationProgress} from '../../../cli/render/consolidation-progress.ts'
import {reconcileProgress} from '../../../cli/render/reconcile-progress.ts'
import {workRate} from '../../../cli/render/work-rate.ts'
import type {StepList} from '../../../cli/step-list.ts'
import type {ConsolidationPlan} from '../../../src/coins/consolidation-plan.ts'
import type {StepOutcome} from '../../../src/coins/consolidation-runner.ts'

/** A step list that notes what it is told, in order. */
function recording(): StepList & {calls: string[]} {
  const calls: string[] = []
  return {calls, update: (text) => calls.push(`update ${text}`), next: (title) => calls.push(`next ${title ?? ''}`), skip: (reason) => calls.push(`skip ${reason}`)}
}

describe('progress renderers', () => {
  it('workRate: done/total, the rate, the time left; done at the end; ? before any rate', () => {
    assert.equal(workRate(120, 500, 3_000, 'accounts'), '120/500 accounts, 40/s, about 10s left')
    assert.equal(workRate(500, 500, 10_000, 'accounts'), '500/500 accounts, 50/s, done')
    assert.equal(workRate(0, 500, 0, 'accounts'), '0/500 accounts, 0/s, about ? left')
  })

  it('reconcile, plain: a line every tenth of the way, as before; nothing for the settling', () => {
    const lines: string[] = []
    const steps = recording()
    const shown = reconcileProgress('plain', steps, (line) => lines.push(line))
    for (let done = 1; done <= 20; done++) shown.onProgress({done, total: 20, elapsedMs: done * 100})
    shown.onSettle(3)
    shown.finished()
    assert.equal(lines.length, 10)
    assert.equal(lines[0], 'reconcile: 2/20 accounts, 10/s, about 2s left')
    assert.equal(lines[9], 'reconcile: 20/20 accounts, 10/s, done')
    assert.deepEqual(steps.calls, [])
  })

  it('reconcile, live: the reading counted in the first step, then the second step for the accounts in flight', () => {
    const lines: string[] = []
    const steps = recording()
    const shown = reconcileProgress('live', steps, (line) => lines.push(line))
    shown.onProgress({done: 1, total: 4, elapsedMs: 500})
    shown.onProgress({done: 4, total: 4, elapsedMs: 1_000})
    shown.onSettle(2)
    shown.finished()
    assert.deepEqual(lines, [])
    assert.deepEqual(steps.calls, [
      'update 1/4 accounts, 2/s, about 2s left',
      'update 4/4 accounts, 4/s, done',
      'next Read the balances of 4 accounts from the chain',
      'update 2 in flight: waiting for the pipeline to reach them, then reading them again',
    ])
  })

  it('reconcile, live: no account in flight, the settling skipped; no account at all, the same', () => {
    const steps = recording()
    const shown = reconcileProgress('live', steps)
    shown.onProgress({done: 2, total: 2, elapsedMs: 100})
    shown.finished()
    assert.deepEqual(steps.calls, ['update 2/2 accounts, 20/s, done', 'next Read the balances of 2 accounts from the chain', 'skip no account in flight'])
    const none = recording()
    reconcileProgress('live', none).finished()
    assert.deepEqual(none.calls, ['next Read the balances of 0 accounts from the chain', 'skip no account in flight'])
  })

  it('benchmark: plain lines as each stage ends; live, the reads counted and each stage ended with its figures', () => {
    const figures = {reads: 20, minMs: 0.1, p50Ms: 0.2, p95Ms: 0.3, p99Ms: 0.4, perSecond: 5000}
    const events = [
      {stage: 'priming', done: 0, total: 8},
      {stage: 'priming', done: 8, total: 8},
      {stage: 'memory', done: 0, total: 20},
      {stage: 'memory', done: 20, total: 20, figures},
      {stage: 'redis GET', done: 20, total: 20, figures},
    ] as const
    const lines: string[] = []
    let clock = 0
    const plain = benchmarkProgress('plain', recording(), (line) => lines.push(line))
    for (const event of events) plain(event)
    assert.deepEqual(lines, ['priming: 8 reads done', 'memory: 20 reads, p50 0.200 ms, p99 0.400 ms', 'redis GET: 20 reads, p50 0.200 ms, p99 0.400 ms'])
    const steps = recording()
    const live = benchmarkProgress('live', steps, (line) => lines.push(line), () => (clock += 500))
    for (const event of events) live(event)
    assert.equal(lines.length, 3, 'nothing plain in live mode')
    assert.deepEqual(steps.calls.map((c) => c.split(' ')[0]), ['update', 'next', 'update', 'next', 'next'])
    assert.equal(steps.calls[1], `next ${lines[0]}`)
    assert.match(steps.calls[2] ?? '', /^update 0\/20 reads, 0\/s, about \? left$/)
  })

  it('backfill, live: the start found ends the first step, then checkpoints with their rate and the transactions found', () => {
    const steps = recording()
    let clock = 0
    const shown = backfillProgress(steps, () => (clock += 1_000))
    shown.onStart({from: 100n, source: 'scan'})
    shown.onProgress({checkpointsDone: 50n, checkpointsTotal: 200n, found: 1234, stored: 3})
    assert.deepEqual(steps.calls, ['next Start at checkpoint 100, by a checkpoint scan', 'update 50/200 checkpoints, 50/s, about 3s left; 1,234 transactions found'])
  })

  it('consolidation: plain, the line of each transaction (none under --json); live, each step ended with it, a transaction passed over skipped', () => {
    const plan = {token: {symbol: 'SUI', coinType: '0x2::sui::SUI', decimals: 9}, transactions: [{coins: [1, 2]}, {coins: [3]}, {coins: [4, 5]}]} as unknown as ConsolidationPlan
    const outcome = (step: number) => ({step, coins: 2, amount: 1_500_000_000n, digest: `D${step}`, checkpoint: 40n + BigInt(step), status: {success: true}}) as unknown as StepOutcome
    const lines: string[] = []
    const plain = consolidationProgress('plain', recording(), plan, true, (line) => lines.push(line))
    plain.onActivity(1, {kind: 'building'})
    plain.onStep(outcome(1))
    assert.deepEqual(lines, ['transaction 1: 2 coins, 1.5 SUI, executed D1 in checkpoint 41'])
    const quiet = recording()
    consolidationProgress('plain', quiet, plan, true, undefined).onStep(outcome(1))
    assert.deepEqual(quiet.calls, [])
    const steps = recording()
    const live = consolidationProgress('live', steps, plan, true, (line) => lines.push(line))
    live.onActivity(1, {kind: 'building'})
    live.onActivity(1, {kind: 'executing', digest: 'D1'})
    live.onActivity(1, {kind: 'awaiting-checkpoint', digest: 'D1'})
    live.onStep(outcome(1))
    live.onActivity(2, {kind: 'node-catching-up', checkpoint: 41n})
    live.onActivity(3, {kind: 'building'})
    live.onStep(outcome(3))
    assert.equal(lines.length, 1, 'nothing plain in live mode')
    assert.deepEqual(steps.calls, [
      'update building it from the coins as they are now, and simulating it',
      'update executing D1',
      'update executed D1; waiting for its checkpoint',
      'next transaction 1: 2 coins, 1.5 SUI, executed D1 in checkpoint 41',
      'update waiting for the node to reach checkpoint 41 (the coins the last one left)',
      'skip nothing left to do',
      'update building it from the coins as they are now, and simulating it',
      'next transaction 3: 2 coins, 1.5 SUI, executed D3 in checkpoint 43',
    ])
  })
})
