// The call policy without a server: retries, deadline, limits and redaction around a fake send.
import assert from 'node:assert/strict'

import {RpcError} from '@mysten/sui/grpc'

import {CallPolicy} from '../../src/chain/transport/call-policy.ts'
import {ChainError, isTransientFailure} from '../../src/chain/chain-error.ts'
import {ChainMetrics} from '../../src/chain/chain-metrics.ts'
import {Redactor} from '../../src/chain/transport/redaction.ts'
import {ConcurrencyLimiter} from '../../src/support/concurrency-limiter.ts'
import {TokenBucket} from '../../src/support/token-bucket.ts'

const SECRET = 'tok-SECRET-4242'

function policy(overrides: Partial<{deadlineMs: number; maxAttempts: number; maxConcurrency: number; rps: number}> = {}) {
  const metrics = new ChainMetrics()
  const warnings: string[] = []
  const p = new CallPolicy(
    {deadlineMs: overrides.deadlineMs ?? 1000, maxAttempts: overrides.maxAttempts ?? 4, backoffBaseMs: 1, backoffMaxMs: 5},
    {
      rateLimiter: new TokenBucket({requestsPerSecond: overrides.rps ?? 10_000}),
      concurrency: new ConcurrencyLimiter(overrides.maxConcurrency ?? 8),
      metrics,
      redactor: Redactor.forOptions({url: 'http://127.0.0.1:1', token: SECRET, headers: {authorization: 'Bearer hdr-SECRET-77'}}),
      logger: {warn: (fields, message) => warnings.push(message + JSON.stringify(fields))},
    },
  )
  return {p, metrics, warnings}
}

describe('CallPolicy', () => {
  it('retries transient statuses and reports the attempts', async () => {
    const {p, metrics} = policy()
    let calls = 0
    const value = await p.unary('GetThing', async () => {
      calls++
      if (calls < 3) throw new RpcError('node restarting', 'UNAVAILABLE')
      return 'ok'
    })
    assert.equal(value, 'ok')
    assert.equal(calls, 3)
    const m = metrics.snapshot().methods.GetThing
    assert.equal(m?.calls, 3)
    assert.equal(m?.retries, 2)
    assert.deepEqual(m?.errors, {UNAVAILABLE: 2})
  })

  it('gives up after maxAttempts with a ChainError naming method, status and attempts', async () => {
    const {p} = policy({maxAttempts: 3})
    let calls = 0
    const error = await p.unary('GetThing', async () => {
      calls++
      throw new RpcError('slow down', 'RESOURCE_EXHAUSTED')
    }).catch((e: unknown) => e)
    assert.ok(error instanceof ChainError)
    assert.equal(calls, 3)
    assert.equal(error.attempts, 3)
    assert.equal(error.status, 'RESOURCE_EXHAUSTED')
    assert.equal(error.method, 'GetThing')
    assert.match(error.message, /GetThing.*RESOURCE_EXHAUSTED/)
    assert.equal(error.transient, true)
  })

  it('fails at once on a non-transient status', async () => {
    const {p} = policy()
    let calls = 0
    const error = await p.unary('GetThing', async () => {
      calls++
      throw new RpcError('no such checkpoint', 'NOT_FOUND')
    }).catch((e: unknown) => e)
    assert.ok(error instanceof ChainError)
    assert.equal(calls, 1)
    assert.equal(error.status, 'NOT_FOUND')
    assert.equal(error.transient, false)
  })

  it('enforces the deadline itself and retries it', async () => {
    const {p} = policy({deadlineMs: 50, maxAttempts: 2})
    let calls = 0
    const started = performance.now()
    const error = await p.unary('Slow', (rpc) => {
      calls++
      // Never answers; only the abort ends it, as with a hung connection.
      return new Promise((_, reject) => rpc.abort?.addEventListener('abort', () => reject(new RpcError('cancelled', 'CANCELLED'))))
    }).catch((e: unknown) => e)
    assert.ok(error instanceof ChainError)
    assert.equal(error.status, 'DEADLINE_EXCEEDED')
    assert.equal(calls, 2)
    assert.ok(performance.now() - started >= 95)
  })

  it('treats connection resets reported as INTERNAL as transient', () => {
    assert.equal(isTransientFailure('INTERNAL', 'Received RST_STREAM with code 2'), true)
    assert.equal(isTransientFailure('UNKNOWN', 'read ECONNRESET'), true)
    assert.equal(isTransientFailure('INTERNAL', 'invalid wire type'), false)
  })

  it('keeps secrets out of error messages and logs, even when the server echoes them', async () => {
    const {p, warnings} = policy({maxAttempts: 2})
    const error = await p.unary('Echo', async () => {
      throw new RpcError(`bad request headers: x-token=${SECRET} authorization=Bearer hdr-SECRET-77`, 'UNAVAILABLE')
    }).catch((e: unknown) => e)
    assert.ok(error instanceof ChainError)
    const everything = [error.message, error.details, String(error), error.stack ?? '', ...warnings].join('\n')
    assert.equal(everything.includes(SECRET), false)
    assert.equal(everything.includes('hdr-SECRET-77'), false)
    assert.match(error.message, /\*\*\*/)
    assert.equal(warnings.length, 1)
  })

  it('rejects with the caller’s reason on abort and does not retry', async () => {
    const {p} = policy()
    const controller = new AbortController()
    let calls = 0
    const pending = p.unary('GetThing', (rpc) => {
      calls++
      return new Promise((_, reject) => rpc.abort?.addEventListener('abort', () => reject(new RpcError('cancelled', 'CANCELLED'))))
    }, {signal: controller.signal})
    setTimeout(() => controller.abort(new Error('stop')), 10)
    await assert.rejects(pending, /stop/)
    assert.equal(calls, 1)
  })

  it('holds at most maxConcurrency calls in flight', async () => {
    const {p} = policy({maxConcurrency: 3})
    let active = 0
    let peak = 0
    await Promise.all(
      Array.from({length: 12}, () =>
        p.unary('Busy', async () => {
          active++
          peak = Math.max(peak, active)
          await new Promise((r) => setTimeout(r, 5))
          active--
          return 1
        }),
      ),
    )
    assert.equal(peak, 3)
  })

  it('retries a stream that fails before its first frame, then yields its frames', async () => {
    const {p} = policy()
    let opens = 0
    const frames: number[] = []
    for await (const frame of p.stream('Stream', () => {
      opens++
      return {responses: fakeStream(opens < 2 ? new RpcError('down', 'UNAVAILABLE') : undefined, [{n: 1}, {n: 2}])}
    }, {idleTimeoutMs: 1000})) frames.push(frame.n)
    assert.equal(opens, 2)
    assert.deepEqual(frames, [1, 2])
  })

  it('fails a reply that does not decode as DATA_LOSS at once, as grpc-js and grpc-web report it', async () => {
    const {p} = policy({maxAttempts: 4})
    // grpc-js wraps what the reply decoder threw; grpc-web passes its text on as INTERNAL. The
    // decoder's words may look like a reset ("terminated"): they are not one.
    const replies = [
      new RpcError('Response message parsing error: malformed BatchGetTransactions reply: truncated varint', 'INTERNAL'),
      new RpcError('malformed BatchGetTransactions reply: unterminated string', 'INTERNAL'),
      new RpcError('Response message parsing error: premature EOF', 'INTERNAL'),
    ]
    for (const reply of replies) {
      let calls = 0
      const error = await p
        .unary('BatchGetTransactions', async () => {
          calls++
          throw reply
        })
        .catch((e: unknown) => e)
      assert.ok(error instanceof ChainError)
      assert.deepEqual([error.status, error.transient, error.attempts, calls], ['DATA_LOSS', false, 1, 1], reply.message)
      assert.match(error.message, /^BatchGetTransactions failed with DATA_LOSS after 1 attempt: /)
    }
  })
})

/** Enough of RpcOutputStream for the policy: async iteration. */
function fakeStream<T>(error: Error | undefined, frames: T[]) {
  return {
    async *[Symbol.asyncIterator]() {
      if (error) throw error
      for (const f of frames) yield f
    },
  } as unknown as import('@protobuf-ts/runtime-rpc').RpcOutputStream<T & object>
}
