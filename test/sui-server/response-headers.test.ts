// The x-sui-* response headers a fullnode sends with every sui.rpc.v2 reply (sui-apis
// proto/sui/rpc/v2/README.md, "HTTP Headers"), read through the real client.
import assert from 'node:assert/strict'
import {type SuiGrpcClient} from '@mysten/sui/grpc'
import type {RpcMetadata} from '@protobuf-ts/runtime-rpc'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {clientFor} from './client.ts'

const CHAIN_ID = '4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S'

describe('sui test server: response headers', () => {
  let sui: SuiTestServer
  let client: SuiGrpcClient

  beforeEach(async () => {
    sui = await startSuiServer({chainId: CHAIN_ID, chain: 'testnet'})
    client = clientFor(sui.port)
  })
  afterEach(() => sui.close())

  /** What a node at the ledger's current tip sends; the names are spelled out, not imported from the server. */
  function expected(): Record<string, string> {
    const tip = sui.ledger.latestCheckpoint()
    const lowest = sui.ledger.lowestAvailableCheckpoint.toString()
    return {
      'x-sui-chain-id': CHAIN_ID,
      'x-sui-chain': 'testnet',
      'x-sui-epoch': '0',
      'x-sui-checkpoint-height': tip.sequenceNumber.toString(),
      'x-sui-timestamp-ms': tip.timestampMs.toString(),
      'x-sui-timestamp': new Date(Number(tip.timestampMs)).toISOString(),
      'x-sui-lowest-available-checkpoint': lowest,
      'x-sui-lowest-available-checkpoint-objects': lowest,
    }
  }

  it('sends every header with a unary reply, agreeing with the reply itself', async () => {
    for (let i = 0; i < 4; i++) sui.ledger.produceCheckpoint()
    sui.ledger.prune(2n)
    const {headers, response} = await client.ledgerService.getServiceInfo({})
    assert.deepEqual(nodeHeaders(headers), expected())
    assert.equal(response.checkpointHeight, 4n)
    assert.equal(headers['x-sui-checkpoint-height'], '4')
    assert.equal(headers['x-sui-lowest-available-checkpoint'], '2')
    const balance = await client.stateService.getBalance({owner: sui.ledger.createAddress(), coinType: '0x2::sui::SUI'})
    assert.deepEqual(nodeHeaders(balance.headers), expected())
  })

  it('sends them when a stream opens, before its first frame, as of where it starts', async () => {
    sui.ledger.produceCheckpoint()
    const abort = new AbortController()
    const subscription = client.subscriptionService.subscribeCheckpoints({readMask: {paths: ['sequence_number']}}, {abort: abort.signal})
    try {
      const opened = expected()
      assert.deepEqual(nodeHeaders(await subscription.headers), opened) // no checkpoint has been produced yet
      sui.ledger.produceCheckpoint()
      for await (const frame of subscription.responses) {
        assert.equal(frame.cursor, BigInt(opened['x-sui-checkpoint-height'] as string) + 1n)
        break
      }
    } finally {
      abort.abort()
    }
    const list = client.ledgerService.listCheckpoints({startCheckpoint: 0n})
    assert.deepEqual(nodeHeaders(await list.headers), expected())
    for await (const frame of list.responses) void frame
    assert.equal((await list.status).code, 'OK')
  })

  it('sends them with the errors the node answers, unary and streaming', async () => {
    sui.ledger.produceCheckpoint()
    const notFound = await errorOf(client.ledgerService.getCheckpoint({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: 99n}}))
    assert.equal(notFound.code, 'NOT_FOUND')
    assert.deepEqual(nodeHeaders(notFound.meta), expected())
    sui.ledger.prune(1n)
    const pruned = client.ledgerService.listCheckpoints({startCheckpoint: 0n})
    const streamError = await errorOf((async () => {
      for await (const frame of pruned.responses) void frame
    })())
    assert.equal(streamError.code, 'NOT_FOUND')
    assert.deepEqual(nodeHeaders(streamError.meta), expected())
    const unimplemented = await errorOf(client.stateService.listDynamicFields({parent: sui.ledger.faucet}))
    assert.equal(unimplemented.code, 'UNIMPLEMENTED')
    assert.deepEqual(nodeHeaders(unimplemented.meta), expected())
  })

  it('sends none with an injected fault, and leaves out or changes the headers a fault names', async () => {
    sui.faults.failRate('GetServiceInfo', 'UNAVAILABLE', 1)
    const unavailable = await errorOf(client.ledgerService.getServiceInfo({}))
    assert.equal(unavailable.code, 'UNAVAILABLE')
    assert.deepEqual(nodeHeaders(unavailable.meta), {})
    sui.faults.reset()

    sui.faults.headers('GetBalance', {'x-sui-checkpoint-height': null}).headers('*', {'x-sui-epoch': 'soon'})
    const owner = sui.ledger.createAddress()
    const {headers} = await client.stateService.getBalance({owner, coinType: '0x2::sui::SUI'})
    const changed: Record<string, string> = {...expected(), 'x-sui-epoch': 'soon'}
    delete changed['x-sui-checkpoint-height']
    assert.deepEqual(nodeHeaders(headers), changed)
    assert.equal((await client.stateService.listBalances({owner})).headers['x-sui-checkpoint-height'], expected()['x-sui-checkpoint-height'])
  })
})

/** The x-sui-* headers of a reply (all of them, so an extra or misspelled one shows). */
function nodeHeaders(headers: RpcMetadata | undefined): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => name.startsWith('x-sui-')))
}

async function errorOf(call: PromiseLike<unknown>): Promise<{code: string; meta: RpcMetadata}> {
  try {
    await call
  } catch (error) {
    return error as {code: string; meta: RpcMetadata}
  }
  throw new Error('expected the call to fail')
}
