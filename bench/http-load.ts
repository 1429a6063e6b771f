// A load generator in a process of its own (so its CPU is not the measured process's, nor the
// bench's): autocannon against `confio serve`, at a fixed overall rate or as fast as it goes,
// cycling through the paths it is given. It prints one JSON line: requests sent and answered,
// non-2xx answers, errors and timeouts, the rate reached, and the latencies to the microsecond
// (autocannon's own histogram keeps whole milliseconds, too coarse for a 2 ms goal: each answer's
// time is taken from its 'response' event instead).
//
//   node bench/http-load.ts '{"base": "http://127.0.0.1:8470", "paths": ["/v1/…"], "headers": {…},
//                              "connections": 32, "seconds": 10, "rate": 2000}'
import autocannon from 'autocannon'

interface LoadOptions {
  readonly base: string
  readonly paths: readonly string[]
  readonly headers: Record<string, string>
  readonly connections: number
  readonly seconds: number
  /** Requests per second over all connections; absent: as fast as the server answers. */
  readonly rate?: number
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions
const latencies: number[] = []
const done = Promise.withResolvers<autocannon.Result>()
const instance = autocannon(
  {
    url: options.base,
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate === undefined ? {} : {overallRate: options.rate}),
    headers: options.headers,
    requests: options.paths.map((path) => ({method: 'GET', path})),
  },
  (error, result) => (error ? done.reject(error) : done.resolve(result)),
)
instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
  latencies.push(responseTime)
})
const result = await done.promise
latencies.sort((a, b) => a - b)
const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0
console.log(
  JSON.stringify({
    answered: latencies.length,
    sent: result.requests.sent,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ratePerSecond: latencies.length / result.duration,
    p50Ms: at(50),
    p99Ms: at(99),
    p999Ms: at(99.9),
    maxMs: latencies.at(-1) ?? 0,
  }),
)
