// Standalone local Sui server, for pointing confio at by hand:
//   npm run sui-server -- --port 9123 --rate 4 [--scenario file.json] [--traffic] [--token T]
// Prints the URL (and the scenario's named addresses), then seals `rate` checkpoints per second,
// filled with mainnet-shaped traffic when --traffic is given.
import {parseArgs} from 'node:util'
import {startSuiServer} from './index.ts'
import {loadScenario} from './scenario.ts'

const {values} = parseArgs({
  options: {
    port: {type: 'string', default: '9123'},
    rate: {type: 'string', default: '4'},
    scenario: {type: 'string'},
    traffic: {type: 'boolean', default: false},
    token: {type: 'string'},
    chain: {type: 'string', default: 'localnet'},
  },
})

const sui = await startSuiServer({port: Number(values.port), requireToken: values.token, chain: values.chain})
console.log(`sui test server listening on ${sui.url} (chain ${sui.ledger.chain}, chain id ${sui.ledger.chainId})`)
if (values.scenario) {
  for (const [label, address] of Object.entries(loadScenario(sui.ledger, values.scenario))) console.log(`  ${label}: ${address}`)
}
const rate = Number(values.rate)
if (rate > 0) sui.ledger.startProducing(rate, values.traffic ? {} : undefined)
console.log(`producing ${rate} checkpoints/s${values.traffic ? ' with mainnet-shaped traffic' : ''}; Ctrl-C stops`)
// startProducing's timer does not hold the process open; the gRPC server does.
process.on('SIGINT', () => void sui.close().then(() => process.exit(0)))
