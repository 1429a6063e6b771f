import assert from 'node:assert/strict'
import {type SpawnedSuiServer, spawnSuiServer} from '../../sui-server/index.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {clientFor} from './client.ts'

describe('sui test server: in a child process', () => {
  let sui: SpawnedSuiServer

  before(async () => {
    sui = await spawnSuiServer({chain: 'localnet'})
  })
  after(() => sui.close())

  it('is driven over IPC and served to the real client', async () => {
    assert.notEqual(sui.pid, process.pid)
    const alice = await sui.createAddress('alice')
    await sui.mint(alice, SUI_COIN_TYPE, 7_000n, {addressBalance: true})
    const summary = await sui.generateTraffic({checkpoints: 3, txPerCheckpoint: [10, 10], seed: 1})
    assert.equal(typeof summary.lastCheckpoint, 'bigint')
    const info = await sui.serviceInfo()
    assert.equal(info.checkpointHeight, summary.lastCheckpoint)
    const client = clientFor(sui.port)
    assert.equal((await client.core.getBalance({owner: alice})).balance.addressBalance, '7000')
    const {response} = await client.ledgerService.getCheckpoint({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: summary.lastCheckpoint}, readMask: {paths: ['transactions.digest']}})
    assert.equal(response.checkpoint?.transactions.length, 10)
    await sui.setFaults({methods: {GetServiceInfo: {unavailable: 1}}})
    await assert.rejects(async () => client.ledgerService.getServiceInfo({}), {code: 'UNAVAILABLE'})
    assert.equal((await sui.callCounts()).GetServiceInfo, 1)
    await sui.resetFaults()
    assert.equal((await client.ledgerService.getServiceInfo({})).response.checkpointHeight, summary.lastCheckpoint)
    assert.equal(await sui.produceCheckpoint(), summary.lastCheckpoint + 1n)
  })
})
