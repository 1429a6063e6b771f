// Shared by the chain layer's integration tests: a reader on the local Sui server with its own
// rate limiter and metrics, so tests neither share the process bucket nor each other's counts.
import {ChainMetrics} from '../../src/chain/chain-metrics.ts'
import type {ChainOptions} from '../../src/chain/chain-options.ts'
import {GrpcChainReader} from '../../src/chain/reader/grpc-chain-reader.ts'
import type {ChainReaderDeps} from '../../src/chain/reader/grpc-chain-reader.ts'
import {TokenBucket} from '../../src/support/token-bucket.ts'

export function testOptions(url: string, overrides: Partial<ChainOptions> = {}): ChainOptions {
  return {
    url,
    transport: 'grpc',
    network: 'localnet',
    deadlineMs: 2_000,
    maxAttempts: 3,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    requestsPerSecond: 10_000,
    maxConcurrency: 8,
    ...overrides,
  }
}

export function testReader(url: string, overrides: Partial<ChainOptions> = {}, logs: string[] = [], deps: ChainReaderDeps = {}): GrpcChainReader {
  const options = testOptions(url, overrides)
  return new GrpcChainReader(options, {
    rateLimiter: new TokenBucket({requestsPerSecond: options.requestsPerSecond}),
    metrics: new ChainMetrics(),
    logger: {warn: (fields, message) => logs.push(`${message} ${JSON.stringify(fields)}`)},
    ...deps,
  })
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}
