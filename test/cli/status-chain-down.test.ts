// `confio status --chain` when the node does not answer: the alarm and the chain line say why in
// words (grpc-js's wrapping, down to its empty "Resolution note: ", left out), and nothing dangles.
import assert from 'node:assert/strict'
import {jsonOf, runCli} from '../support/cli.ts'

describe('confio status --chain with the node down', function () {
  this.timeout(60_000)
  const env = {SUI_NETWORK: 'localnet', SUI_GRPC_URL: 'http://127.0.0.1:1'}

  it('names the failure in one clause, in the alarm and on the chain line', async () => {
    const text = await runCli(['status', '--chain'], {env})
    assert.equal(text.code, 1, text.stdout + text.stderr)
    const alarm = text.stdout.split('\n').find((line) => line.includes('CHAIN_UNAVAILABLE'))
    assert.match(alarm ?? '', /the chain did not answer \(Sui node: GetServiceInfo failed with UNAVAILABLE after 1 attempt: connect ECONNREFUSED 127\.0\.0\.1:1\): the lag is unknown$/)
    assert.match(text.stdout, /^ {2}chain +did not answer: Sui node: GetServiceInfo failed with UNAVAILABLE after 1 attempt: connect ECONNREFUSED 127\.0\.0\.1:1$/m)
    assert.doesNotMatch(text.stdout, /Resolution note|Last error|No connection established/)

    const json = jsonOf<{poller: {chain: {available: boolean; error: string}}}>(await runCli(['status', '--chain', '--json'], {env}))
    assert.deepEqual(json.poller.chain, {available: false, error: 'Sui node: GetServiceInfo failed with UNAVAILABLE after 1 attempt: connect ECONNREFUSED 127.0.0.1:1'})
  })
})
