// Prometheus metric families whose values are read when /metrics is scraped, not kept up to date
// on every event: the code that counts keeps plain numbers (or a BucketHistogram) and a family
// reads them, so a hot path pays nothing for being measured. A family is a plain object of the
// shape prom-client's Registry renders (name, help, type, get()), so registering one does not load
// prom-client: only the metrics server does (src/metrics/metrics-server.ts), when it is asked for.
//
// A family's read that fails or takes longer than its deadline (a database that does not answer)
// yields no samples for that scrape, and is counted in confio_metrics_read_failures_total: a
// scrape never fails, or hangs, because one source does.
import type {HistogramSnapshot} from './bucket-histogram.ts'
import {withTimeout} from './with-timeout.ts'

/** What a family is registered in: prom-client's Registry, or anything with its registerMetric. */
export interface MetricsRegistry {
  registerMetric(metric: never): void
}

export type Labels = Readonly<Record<string, string>>

export interface Sample {
  readonly labels?: Labels
  readonly value: number
}

export interface HistogramSample {
  readonly labels?: Labels
  readonly histogram: HistogramSnapshot
}

type Read<T> = () => readonly T[] | Promise<readonly T[]>

interface FamilyDefinition<T> {
  readonly name: string
  readonly help: string
  readonly read: Read<T>
  /** The deadline of an asynchronous read (default 2 s). */
  readonly timeoutMs?: number
}

/** How long an asynchronous read may take before the scrape goes on without it. */
export const READ_TIMEOUT_MS = 2_000

/** Reads that failed, by family: confio_metrics_read_failures_total. One table per process. */
const readFailures = new Map<string, number>()

/** A counter's or a gauge's samples as prom-client takes them. */
const plain = (samples: readonly Sample[]) => samples.map((s) => ({labels: s.labels ?? {}, value: s.value}))

export function registerCounter(registry: MetricsRegistry, family: FamilyDefinition<Sample>): void {
  register(registry, 'counter', family, plain)
}

export function registerGauge(registry: MetricsRegistry, family: FamilyDefinition<Sample>): void {
  register(registry, 'gauge', family, plain)
}

export function registerHistogram(registry: MetricsRegistry, family: FamilyDefinition<HistogramSample>): void {
  register(registry, 'histogram', family, (samples) =>
    samples.flatMap(({labels = {}, histogram}) => [
      ...histogram.buckets.map((b) => ({metricName: `${family.name}_bucket`, labels: {...labels, le: b.le === Number.POSITIVE_INFINITY ? '+Inf' : String(b.le)}, value: b.count})),
      {metricName: `${family.name}_sum`, labels, value: histogram.sum},
      {metricName: `${family.name}_count`, labels, value: histogram.count},
    ]),
  )
}

/** confio_metrics_read_failures_total, for the metrics server to register once per registry. */
export function registerReadFailures(registry: MetricsRegistry): void {
  registerCounter(registry, {
    name: 'confio_metrics_read_failures_total',
    help: 'Reads of a metric at scrape time that failed or passed their deadline (the metric had no samples that scrape), by metric',
    read: () => [...readFailures].map(([metric, value]) => ({labels: {metric}, value})),
  })
}

/**
 * One read shared by the families that show parts of it (one query, several metrics): a call within
 * `ttlMs` of the last gets the same answer, so a scrape reads the source once.
 */
export function sharedRead<T>(read: () => Promise<T>, ttlMs = 1_000): () => Promise<T> {
  let last: {at: number; value: Promise<T>} | undefined
  return () => {
    const now = performance.now()
    if (!last || now - last.at > ttlMs) {
      last = {at: now, value: read()}
      // A failed read is not kept: the next scrape tries again.
      last.value.catch(() => (last = undefined))
    }
    return last.value
  }
}

function register<T>(registry: MetricsRegistry, type: 'counter' | 'gauge' | 'histogram', family: FamilyDefinition<T>, values: (samples: readonly T[]) => object[]): void {
  const {name, help} = family
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({name, help, type, aggregator: 'sum', values: values(await readSafely(family))}),
    reset: () => undefined,
  }
  registry.registerMetric(metric as never)
}

async function readSafely<T>(family: FamilyDefinition<T>): Promise<readonly T[]> {
  try {
    const samples = family.read()
    if (!(samples instanceof Promise)) return samples
    return await withTimeout(samples, family.timeoutMs ?? READ_TIMEOUT_MS, `${family.name} was not read`)
  } catch {
    readFailures.set(family.name, (readFailures.get(family.name) ?? 0) + 1)
    return []
  }
}
