// bench:queue — what creating and looking up process-transaction jobs costs the poller, against
// bee-queue's own calls on the same queue in the same run:
//  1. enqueue (ADD_JOBS, 1,000 jobs per script run) vs bee-queue's saveAll (a script run per job);
//  2. missing (one HEXISTS script run per 1,000 digests) vs bee-queue's getJob per digest, which the
//     outbox used to ask of every unprocessed event.
// The poller's figure is its own CPU (the process's user + system time), since its one core is what
// a 10% catch-up is short of; wall time is printed beside it. Each pair alternates ROUNDS times on a
// fresh set of digests, and the median round is kept. A scratch Redis prefix, deleted at the end.
//
//   npm run bench:queue
//   JOBS=20000 ROUNDS=7 npm run bench:queue
//
// Environment: JOBS (14000: about 2,500 checkpoints' kept transactions at 10% relevant), ROUNDS (5), CONFIO_TEST_REDIS.
import type BeeQueue from 'bee-queue'

import {type ProcessTransactionJob, TransactionQueue} from '../src/queue/transaction-queue.ts'
import {REDIS, deleteScratchKeys, fmt, num, scratchFor} from './bench-support.ts'

const JOBS = num('JOBS', 14_000)
const ROUNDS = Math.max(1, num('ROUNDS', 5))

interface Cost {
  cpuMs: number
  wallMs: number
}

async function costOf(work: () => Promise<unknown>): Promise<Cost> {
  const cpu = process.cpuUsage()
  const start = performance.now()
  await work()
  const used = process.cpuUsage(cpu)
  return {cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - start}
}

const median = (costs: Cost[]): Cost => {
  const sorted = [...costs].sort((a, b) => a.cpuMs - b.cpuMs)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** bee-queue's own way: saveAll, one addJob script run per job. */
async function saveAll(queue: BeeQueue<ProcessTransactionJob>, digests: readonly string[]): Promise<void> {
  const errors = await queue.saveAll(digests.map((digest) => queue.createJob({digest}).setId(digest)))
  if (errors.size > 0) throw new Error(`saveAll: ${errors.size} jobs failed`)
}

async function getJobs(queue: BeeQueue<ProcessTransactionJob>, digests: readonly string[]): Promise<string[]> {
  const found = await Promise.all(digests.map((digest) => queue.getJob(digest)))
  return digests.filter((_, i) => !found[i])
}

function report(what: string, ours: Cost, theirs: Cost, theirName: string): void {
  const per = (c: Cost) => `${fmt(c.cpuMs)} ms CPU (${fmt((c.cpuMs * 1000) / JOBS, 1)} µs a job), ${fmt(c.wallMs)} ms wall`
  console.log(`${what}: ${per(ours)}`)
  console.log(`  ${theirName}: ${per(theirs)}; confio's takes ${fmt((ours.cpuMs / theirs.cpuMs) * 100, 1)}% of its CPU`)
}

async function main(): Promise<void> {
  const scratch = scratchFor('queue')
  const queue = new TransactionQueue({redisUrl: REDIS, redisPrefix: scratch.redisPrefix})
  console.log(`bench:queue — ${fmt(JOBS)} jobs a round, ${ROUNDS} rounds (node ${process.version}, Redis prefix ${scratch.redisPrefix})`)
  try {
    await queue.ready()
    const costs = {enqueue: [] as Cost[], saveAll: [] as Cost[], missing: [] as Cost[], getJob: [] as Cost[]}
    for (let round = 0; round < ROUNDS; round++) {
      const ours = Array.from({length: JOBS}, (_, i) => `bench-q-${round}-ours-${i}`)
      const theirs = Array.from({length: JOBS}, (_, i) => `bench-q-${round}-theirs-${i}`)
      costs.enqueue.push(await costOf(() => queue.enqueue(ours)))
      costs.saveAll.push(await costOf(() => saveAll(queue.queue, theirs)))
      // Half of each lookup is absent, as after a Redis restart.
      const asked = [...ours.slice(0, JOBS / 2), ...theirs.slice(0, JOBS / 2).map((d) => `${d}-absent`)]
      let missing: string[] = []
      let viaGetJob: string[] = []
      costs.missing.push(await costOf(async () => (missing = await queue.missing(asked))))
      costs.getJob.push(await costOf(async () => (viaGetJob = await getJobs(queue.queue, asked))))
      if (missing.join() !== viaGetJob.join() || missing.length !== asked.length - JOBS / 2) throw new Error('missing and getJob disagree: the figures would be worthless')
    }
    report('enqueue', median(costs.enqueue), median(costs.saveAll), "bee-queue's saveAll")
    report('missing', median(costs.missing), median(costs.getJob), "bee-queue's getJob per digest")
  } finally {
    await queue.close()
    await deleteScratchKeys(scratch)
  }
}

await main()
