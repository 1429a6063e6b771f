// Standalone local Sui server, for pointing confio at by hand:
//   npm run sui-server -- --port 9123 --rate 4 [--scenario file.json] [--traffic] [--token T]
//                         [--header-above P] [--header-below P] [--behind P]
// Prints the URL and the exact settings that point confio at it (confio's defaults are mainnet's
// public fullnode), the scenario's named addresses, then seals `rate` checkpoints per second,
// filled with mainnet-shaped traffic when --traffic is given. --port 0 picks a free port.
// --header-above / --header-below: the share (0..1) of state replies whose x-sui-checkpoint-height
// names one checkpoint above / below the state they answer from, as a real fullnode's can;
// --behind: the share answered by a node one checkpoint behind, as a load-balanced provider's can
// (state-view.ts).
import {parseArgs} from 'node:util'
import {shortChainId} from '../../../src/chain/known-chains.ts'
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
    'header-above': {type: 'string', default: '0'},
    'header-below': {type: 'string', default: '0'},
    behind: {type: 'string', default: '0'},
  },
})

const stateHeights = {headerAbove: share('header-above'), headerBelow: share('header-below'), behind: share('behind')}
const sui = await startSuiServer({port: Number(values.port), requireToken: values.token, chain: values.chain, stateHeights})
const {chain, chainId} = sui.ledger
console.log(`sui test server listening on ${sui.url}, chain ${shortChainId(chainId) ?? chainId} (${chain})`)
// The genesis is this server's own, so only SUI_NETWORK=localnet (or devnet) accepts it: confio
// checks mainnet and testnet by their chain ids, whatever --chain names it.
const settings: [string, string][] = [['SUI_NETWORK', 'localnet'], ['SUI_GRPC_URL', sui.url]]
if (values.token) settings.push(['SUI_GRPC_TOKEN', values.token])
console.log('point confio at it (e.g. bin/run.js test-connection) from a shell with:')
console.log(`  export ${settings.map(([name, value]) => `${name}=${shellWord(value)}`).join(' ')}`)
if (values.scenario) {
  for (const [label, address] of Object.entries(loadScenario(sui.ledger, values.scenario))) console.log(`  ${label}: ${address}`)
}
const rate = Number(values.rate)
if (rate > 0) sui.ledger.startProducing(rate, values.traffic ? {} : undefined)
console.log(`producing ${rate} checkpoints/s${values.traffic ? ' with mainnet-shaped traffic' : ''}; Ctrl-C stops`)
if (stateHeights.headerAbove > 0 || stateHeights.headerBelow > 0 || stateHeights.behind > 0) {
  console.log(`state replies naming a height one above their state: ${stateHeights.headerAbove}, one below: ${stateHeights.headerBelow}; from a node one behind: ${stateHeights.behind}`)
}
// startProducing's timer does not hold the process open; the gRPC server does.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void sui.close().then(() => process.exit(0)))

/** A probability flag, 0..1; anything else ends the program with the flag named. */
function share(flag: 'header-above' | 'header-below' | 'behind'): number {
  const value = Number(values[flag])
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    console.error(`--${flag}: ${JSON.stringify(values[flag])} is not a share from 0 to 1`)
    process.exit(2)
  }
  return value
}

/** As a POSIX shell reads it back: plain when safe, single-quoted otherwise. */
function shellWord(value: string): string {
  return /^[\w.:/@%+=,-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`
}
