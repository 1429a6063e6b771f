// Standalone local Sui server, for pointing confio at by hand: `npm run sui-server -- --help` lists
// its flags (server-flags.ts). Prints the URL and the exact settings that point confio at it
// (confio's defaults are mainnet's public fullnode), the scenario's named addresses, then seals
// `rate` checkpoints per second, filled with mainnet-shaped traffic with --traffic or --accounts.
// A bad flag is one line naming it, exit 2.
import {shortChainId} from '../src/chain/index.ts'
import {messageOf} from '../src/errors.ts'
import {FlagError, parseServerFlags, serverHelp, type ServerSettings} from './server-flags.ts'

const EXIT_USAGE = 2
const settings = parsed(process.argv.slice(2))
if (settings.help) {
  process.stdout.write(serverHelp())
  process.exit(0)
}

// The server's modules (gRPC, the SDK's descriptors) load only once the flags are known to be good.
const [{startSuiServer}, {loadScenario}] = await Promise.all([import('./index.ts'), import('./scenario.ts')])
const {stateHeights, traffic, splitMessages, sealDelayMs, stateLagMs} = settings
const sui = await startSuiServer({port: settings.port, requireToken: settings.token, chain: settings.chain, stateHeights, splitMessages, sealDelayMs, stateLagMs})
const {chain, chainId} = sui.ledger
console.log(`sui test server listening on ${sui.url}, chain ${shortChainId(chainId) ?? chainId} (${chain})`)
// The genesis is this server's own, so only SUI_NETWORK=localnet (or devnet) accepts it: confio
// checks mainnet and testnet by their chain ids, whatever --chain names it.
const exported: [string, string][] = [['SUI_NETWORK', 'localnet'], ['SUI_GRPC_URL', sui.url]]
if (settings.token) exported.push(['SUI_GRPC_TOKEN', settings.token])
console.log('point confio at it (e.g. bin/run.js test-connection) from a shell with:')
console.log(`  export ${exported.map(([name, value]) => `${name}=${shellWord(value)}`).join(' ')}`)
if (settings.scenario) {
  let named: Record<string, string>
  try {
    named = loadScenario(sui.ledger, settings.scenario)
  } catch (error) {
    await sui.close()
    fail(`--scenario: cannot apply ${settings.scenario}: ${messageOf(error)}`)
  }
  for (const [label, address] of Object.entries(named)) console.log(`  ${label}: ${address}`)
}
if (settings.rate > 0) sui.ledger.startProducing(settings.rate, traffic)
const touching = traffic?.relevantAddresses ? `, ${traffic.relevantShare} of it touching ${traffic.relevantAddresses.length} accounts` : ''
console.log(`producing ${settings.rate} checkpoints/s${traffic ? ` with mainnet-shaped traffic${touching}` : ''}; Ctrl-C stops`)
if (stateHeights.headerAbove > 0 || stateHeights.headerBelow > 0 || stateHeights.behind > 0) {
  console.log(`state replies naming a height one above their state: ${stateHeights.headerAbove}, one below: ${stateHeights.headerBelow}; from a node one behind: ${stateHeights.behind}`)
}
if (sealDelayMs > 0 || stateLagMs > 0) console.log(`executed transactions seal after ${sealDelayMs} ms; state replies reach a checkpoint ${stateLagMs} ms after it seals`)
if (splitMessages > 0) console.log(`transactions sent with transaction and events in two occurrences: ${splitMessages}`)
// startProducing's timer does not hold the process open; the gRPC server does.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void sui.close().then(() => process.exit(0)))

function parsed(args: string[]): ServerSettings {
  try {
    return parseServerFlags(args)
  } catch (error) {
    if (error instanceof FlagError) fail(error.message)
    throw error
  }
}

function fail(line: string): never {
  console.error(`sui-server: ${line}; see npm run sui-server -- --help`)
  process.exit(EXIT_USAGE)
}

/** As a POSIX shell reads it back: plain when safe, single-quoted otherwise. */
function shellWord(value: string): string {
  return /^[\w.:/@%+=,-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`
}
