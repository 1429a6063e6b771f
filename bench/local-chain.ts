// How the benchmarks open the chain layer on the local server: its own cost is the question, so
// the rate limit is set out of the way and the metrics are private to the run.
import {ChainMetrics, type ChainOptions, type ChainReaderDeps} from '../src/chain/index.ts'
import {TokenBucket} from '../src/support/token-bucket.ts'

export function localChainOptions(url: string): ChainOptions {
  return {
    url,
    transport: 'grpc',
    network: 'localnet',
    deadlineMs: 10_000,
    maxAttempts: 3,
    backoffBaseMs: 100,
    backoffMaxMs: 1_000,
    requestsPerSecond: 1_000_000,
    maxConcurrency: 16,
  }
}

export function unlimitedDeps(): ChainReaderDeps {
  return {rateLimiter: new TokenBucket({requestsPerSecond: 1_000_000}), metrics: new ChainMetrics()}
}
