// A load generator in a process of its own (so its CPU is not the measured process's, nor the
// bench's), against `confio serve`, cycling through the paths it is given. Two modes:
//
// - as fast as it goes (no `rate`): autocannon, `connections` at once;
// - at a fixed rate: requests sent evenly spaced, `rate` a second, over at most `connections`
//   keep-alive connections, each timed from the moment it was sent on its turn (a request that
//   waits for a free connection counts its wait: no coordinated omission; the timer's own
//   lateness, under a millisecond, does not count). autocannon's own rate
//   mode sends each connection's share of a second in a burst at the start of the second, which
//   measures bursts, not a steady 2,000 a second.
//
// Latencies are kept to the microsecond (autocannon's histogram keeps whole milliseconds, too coarse
// for a 2 ms goal: its answers are timed from its 'response' events instead). Prints one JSON line.
//
//   node bench/http-load.ts '{"base": "http://127.0.0.1:8470", "paths": ["/v1/…"], "headers": {…},
//                              "connections": 32, "seconds": 10, "rate": 2000}'
import {Agent, request} from 'node:http'
import autocannon from 'autocannon'
import {nearestRank} from '../src/support/percentiles.ts'

interface LoadOptions {
  readonly base: string
  readonly paths: readonly string[]
  readonly headers: Record<string, string>
  readonly connections: number
  readonly seconds: number
  /** Requests per second, evenly spaced; absent: as fast as the server answers. */
  readonly rate?: number
}

interface Outcome {
  latencies: number[]
  failures: number
  seconds: number
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions
const outcome = options.rate === undefined ? await flatOut(options) : await paced(options, options.rate)
const latencies = outcome.latencies.sort((a, b) => a - b)
const at = (p: number) => nearestRank(latencies, p)
console.log(
  JSON.stringify({
    answered: latencies.length,
    failures: outcome.failures,
    ratePerSecond: latencies.length / outcome.seconds,
    p50Ms: at(50),
    p99Ms: at(99),
    p999Ms: at(99.9),
    maxMs: latencies.at(-1) ?? 0,
  }),
)

async function flatOut(options: LoadOptions): Promise<Outcome> {
  const latencies: number[] = []
  const done = Promise.withResolvers<autocannon.Result>()
  const instance = autocannon(
    {
      url: options.base,
      connections: options.connections,
      duration: options.seconds,
      headers: options.headers,
      requests: options.paths.map((path) => ({method: 'GET', path})),
    },
    (error, result) => (error ? done.reject(error) : done.resolve(result)),
  )
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    if (status === 200) latencies.push(responseTime)
  })
  const result = await done.promise
  return {latencies, failures: result.non2xx + result.errors + result.timeouts, seconds: result.duration}
}

async function paced(options: LoadOptions, rate: number): Promise<Outcome> {
  const agent = new Agent({keepAlive: true, maxSockets: options.connections})
  const {hostname, port} = new URL(options.base)
  const total = Math.round(rate * options.seconds)
  const spacingMs = 1000 / rate
  const latencies: number[] = []
  let failures = 0
  let finished = 0
  const allDone = Promise.withResolvers<void>()
  const send = (i: number) => {
    const sentAt = performance.now()
    const req = request({agent, hostname, port, path: options.paths[i % options.paths.length], headers: options.headers}, (res) => {
      res.resume()
      res.on('end', () => {
        if (res.statusCode === 200) latencies.push(performance.now() - sentAt)
        else failures += 1
        if (++finished === total) allDone.resolve()
      })
    })
    req.on('error', () => {
      failures += 1
      if (++finished === total) allDone.resolve()
    })
    req.end()
  }
  const started = performance.now()
  let sent = 0
  // Each turn sends every request whose time has come, then yields until the next is due.
  while (sent < total) {
    const now = performance.now()
    while (sent < total && started + sent * spacingMs <= now) {
      send(sent)
      sent += 1
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + sent * spacingMs - performance.now())))
  }
  await allDone.promise
  agent.destroy()
  return {latencies, failures, seconds: (performance.now() - started) / 1000}
}
