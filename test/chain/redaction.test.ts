import assert from 'node:assert/strict'

import {chainMatchesNetwork, networkOfChainId} from '../../src/chain/reader/known-chains.ts'
import {Redactor, redactEndpoint} from '../../src/chain/transport/redaction.ts'

describe('redaction', () => {
  it('masks the token, header values and URL credentials', () => {
    const r = Redactor.forOptions({url: 'https://user:pw-9999@node.example:9000/key-abcdef/', token: 'tok-123456', headers: {authorization: 'Bearer bear-7777'}})
    const out = r.redact('tok-123456 / Bearer bear-7777 / bear-7777 / pw-9999 / key-abcdef')
    assert.equal(/tok-123456|bear-7777|pw-9999|key-abcdef/.test(out), false)
  })

  it('shows an endpoint without user info, path or query', () => {
    assert.equal(redactEndpoint('https://u:p@x.quiknode.pro:9000/abc123/?k=v'), 'https://***@x.quiknode.pro:9000/***?***')
    assert.equal(redactEndpoint('http://127.0.0.1:9000'), 'http://127.0.0.1:9000')
  })
})

describe('known chains', () => {
  it('knows mainnet and testnet in short and base58 form', () => {
    assert.equal(networkOfChainId('35834a8a'), 'mainnet')
    assert.equal(networkOfChainId('4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S'), 'mainnet')
    assert.equal(networkOfChainId('4c78adac'), 'testnet')
    assert.equal(networkOfChainId('deadbeef'), undefined)
  })

  it('accepts any chain for devnet and localnet, only their own for mainnet and testnet', () => {
    assert.equal(chainMatchesNetwork('35834a8a', 'mainnet'), true)
    assert.equal(chainMatchesNetwork('4c78adac', 'mainnet'), false)
    assert.equal(chainMatchesNetwork('deadbeef', 'testnet'), false)
    assert.equal(chainMatchesNetwork('deadbeef', 'localnet'), true)
    assert.equal(chainMatchesNetwork('35834a8a', 'devnet'), true)
  })
})
