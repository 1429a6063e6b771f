// bench:queue — what creating and looking up process-transaction jobs costs the poller, against
// bee-queue's own calls on the same queue in the same run:
//  1. enqueue (ADD_JOBS, 1,000 jobs per script run) vs bee-queue's saveAll (a script run per job);
//  2. missing (one HEXISTS script run per 1,000 digests) vs bee-queue's getJob per digest, which the
//     outbox used to ask of every unprocessed event.
// Each call's cost is the client's CPU (this process's user + system time: the poller's one core is
// what a 10% catch-up is short of) and Redis's (INFO CPU before and after: a script run per job
// moves work into Redis, which shares the machine), with wall time beside them. The figures are
// confio's call against bee-queue's, client and Redis CPU together. Each pair alternates ROUNDS
// times on a fresh set of digests, and the median round is kept. A scratch Redis prefix, deleted
// at the end. Redis's CPU counts every client's commands: on a shared Redis, other work adds to it.
//
//   npm run bench:queue
//   JOBS=20000 ROUNDS=7 npm run bench:queue
//
// Environment: JOBS (14000: about 2,500 checkpoints' kept transactions at 10% relevant), ROUNDS (5), CONFIO_TEST_REDIS.
import type BeeQueue from 'bee-queue'
import {Redis} from 'ioredis'

import {type ProcessTransactionJob, TransactionQueue} from '../src/queue/transaction-queue.ts'
import {type FigureInput, REDIS, deleteScratchKeys, fmt, num, reportFigures, scratchFor} from './bench-support.ts'

const JOBS = num('JOBS', 14_000)
const ROUNDS = Math.max(1, num('ROUNDS', 5))

interface Cost {
  /** This process's CPU. */
  cpuMs: number
  /** Redis's (used_cpu_sys + used_cpu_user), over the same call. */
  redisCpuMs: number
  wallMs: number
}

/** Redis's CPU so far, in ms (INFO CPU: its main thread and its others, user and system). */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN)
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000
}

async function costOf(redis: Redis, work: () => Promise<unknown>): Promise<Cost> {
  const redisBefore = await redisCpuMs(redis)
  const cpu = process.cpuUsage()
  const start = performance.now()
  await work()
  const wallMs = performance.now() - start
  const used = process.cpuUsage(cpu)
  return {cpuMs: (used.user + used.system) / 1000, redisCpuMs: (await redisCpuMs(redis)) - redisBefore, wallMs}
}

const total = (c: Cost) => c.cpuMs + c.redisCpuMs
const median = (costs: Cost[]): Cost => {
  const sorted = [...costs].sort((a, b) => total(a) - total(b))
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
  const per = (c: Cost) => `client ${fmt(c.cpuMs)} ms CPU + Redis ${fmt(c.redisCpuMs)} ms (${fmt((total(c) * 1000) / JOBS, 1)} µs a job), ${fmt(c.wallMs)} ms wall`
  console.log(`${what}: ${per(ours)}`)
  console.log(`  ${theirName}: ${per(theirs)}; confio's takes ${fmt((total(ours) / total(theirs)) * 100, 1)}% of its CPU (client ${fmt((ours.cpuMs / theirs.cpuMs) * 100, 1)}%, Redis ${fmt((ours.redisCpuMs / theirs.redisCpuMs) * 100, 1)}%)`)
}

/** µs a job: client and Redis CPU, each against bee-queue's call (the floor confio set out to beat). */
function figures(what: string, ours: Cost, theirs: Cost, theirName: string): FigureInput[] {
  const perJob = (ms: number) => (ms * 1000) / JOBS
  return [
    {name: `${what}: client + Redis CPU a job (against ${theirName})`, unit: 'µs', measured: perJob(total(ours)), floor: perJob(total(theirs)), higher: false, goal: {on: 'ratio', value: 1}},
    {name: `${what}: client CPU a job (against ${theirName})`, unit: 'µs', measured: perJob(ours.cpuMs), floor: perJob(theirs.cpuMs), higher: false},
    {name: `${what}: Redis CPU a job (against ${theirName})`, unit: 'µs', measured: perJob(ours.redisCpuMs), floor: perJob(theirs.redisCpuMs), higher: false},
  ]
}

async function main(): Promise<void> {
  const scratch = scratchFor('queue')
  const queue = new TransactionQueue({redisUrl: REDIS, redisPrefix: scratch.redisPrefix})
  const redis = new Redis(REDIS)
  console.log(`bench:queue — ${fmt(JOBS)} jobs a round, ${ROUNDS} rounds (node ${process.version}, Redis prefix ${scratch.redisPrefix})`)
  try {
    await queue.ready()
    const costs = {enqueue: [] as Cost[], saveAll: [] as Cost[], missing: [] as Cost[], getJob: [] as Cost[]}
    for (let round = 0; round < ROUNDS; round++) {
      const ours = Array.from({length: JOBS}, (_, i) => `bench-q-${round}-ours-${i}`)
      const theirs = Array.from({length: JOBS}, (_, i) => `bench-q-${round}-theirs-${i}`)
      costs.enqueue.push(await costOf(redis, () => queue.enqueue(ours)))
      costs.saveAll.push(await costOf(redis, () => saveAll(queue.queue, theirs)))
      // Half of each lookup is absent, as after a Redis restart.
      const asked = [...ours.slice(0, JOBS / 2), ...theirs.slice(0, JOBS / 2).map((d) => `${d}-absent`)]
      let missing: string[] = []
      let viaGetJob: string[] = []
      costs.missing.push(await costOf(redis, async () => (missing = await queue.missing(asked))))
      costs.getJob.push(await costOf(redis, async () => (viaGetJob = await getJobs(queue.queue, asked))))
      if (missing.join() !== viaGetJob.join() || missing.length !== asked.length - JOBS / 2) throw new Error('missing and getJob disagree: the figures would be worthless')
    }
    report('enqueue', median(costs.enqueue), median(costs.saveAll), "bee-queue's saveAll")
    report('missing', median(costs.missing), median(costs.getJob), "bee-queue's getJob per digest")
    reportFigures('queue', [
      ...figures('enqueue', median(costs.enqueue), median(costs.saveAll), "bee-queue's saveAll"),
      ...figures('missing', median(costs.missing), median(costs.getJob), "bee-queue's getJob"),
    ])
  } finally {
    redis.disconnect()
    await queue.close()
    await deleteScratchKeys(scratch)
  }
}

await main()
