// The standalone server's flags (`npm run sui-server -- --help`): one table gives both the parser
// and the help text, so a switch added here is listed there. A bad flag or value is one line
// naming the flag (a FlagError; main.ts prints it and exits 2), never a stack trace.
import {existsSync, readFileSync} from 'node:fs'
import {parseArgs} from 'node:util'
import {parseAccountsCsv} from '../src/accounts/account-csv.ts'
import {messageOf} from '../src/errors.ts'
import {isSuiAddress, normalizeAddress, normalizeCoinType} from '../src/sui/identifiers.ts'
import type {StateHeightFaults} from './faults.ts'
import type {TrafficOptions} from './index.ts'

export class FlagError extends Error {}

interface FlagSpec {
  readonly type: 'string' | 'boolean'
  /** What the value looks like in the help (`N`, `FILE`). */
  readonly value?: string
  readonly default?: string
  readonly help: string
  /** The switches that make the server behave like an imperfect real node are listed apart. */
  readonly imperfection?: boolean
}

const FLAGS = {
  port: {type: 'string', value: 'N', default: '9123', help: 'port on 127.0.0.1; 0 picks a free one'},
  rate: {type: 'string', value: 'N', default: '4', help: 'checkpoints sealed per second; 0 seals none after the scenario'},
  traffic: {type: 'boolean', help: 'fill each checkpoint with mainnet-shaped traffic: 40-90 transactions of 64 senders over 40 packages'},
  accounts: {
    type: 'string',
    value: 'FILE|ADDR,...',
    help: 'traffic that touches these accounts (implies --traffic): deposits to them and, once they hold coins, withdrawals. FILE is a CSV as `confio accounts import` reads it (email,address,label), or give addresses separated by commas',
  },
  'account-share': {type: 'string', value: 'S', default: '0.05', help: 'share (0 to 1) of the transactions that touch --accounts'},
  'coin-types': {type: 'string', value: 'T,...', help: 'coin types of those deposits and withdrawals (default 0x2::sui::SUI and mainnet USDC); add your cUSD type to see cUSD move'},
  scenario: {
    type: 'string',
    value: 'FILE',
    help: 'JSON file applied first and sealed into a checkpoint: {"addresses": ["alice"], "mint": [{"owner": "alice", "coinType": "0x2::sui::SUI", "amount": "5000000000"}], "transfer": [{"from": "alice", "to": "0x…", "coinType": "0x2::sui::SUI", "amount": "1000"}]}; its named addresses are printed',
  },
  token: {type: 'string', value: 'T', help: 'refuse every call without the header x-token: T, as a provider does (UNAUTHENTICATED)'},
  chain: {type: 'string', value: 'NAME', default: 'localnet', help: 'the chain name the server reports; confio accepts its genesis with SUI_NETWORK=localnet whatever the name'},
  'header-above': {type: 'string', value: 'S', default: '0', imperfection: true, help: 'share of state replies whose x-sui-checkpoint-height names one checkpoint above the state they answer from'},
  'header-below': {type: 'string', value: 'S', default: '0', imperfection: true, help: 'share of state replies whose height header names one checkpoint below their state'},
  behind: {type: 'string', value: 'S', default: '0', imperfection: true, help: 'share of state replies from a node one checkpoint behind, as a load-balanced provider can answer'},
  'split-messages': {type: 'string', value: 'S', default: '0', imperfection: true, help: 'share of transactions in checkpoint and transaction replies sent with transaction and events each in two occurrences (legal proto3, as a proxy may write them)'},
  'seal-delay': {type: 'string', value: 'MS', default: '0', imperfection: true, help: 'with --rate 0, an executed transaction seals into a checkpoint MS after it executed, not at once (with a rate, the next checkpoint seals it)'},
  'state-lag': {type: 'string', value: 'MS', default: '0', imperfection: true, help: 'state replies (balances, owned objects) reach a checkpoint MS after it sealed, and name the height they are as of'},
  help: {type: 'boolean', help: 'print this and exit'},
} as const satisfies Record<string, FlagSpec>

export interface ServerSettings {
  readonly help: boolean
  readonly port: number
  readonly rate: number
  readonly chain: string
  readonly token: string | undefined
  readonly scenario: string | undefined
  /** Traffic options for Ledger.startProducing, or undefined for empty checkpoints. */
  readonly traffic: Omit<TrafficOptions, 'checkpoints'> | undefined
  readonly stateHeights: Required<StateHeightFaults>
  readonly splitMessages: number
  readonly sealDelayMs: number
  readonly stateLagMs: number
}

export function parseServerFlags(args: readonly string[]): ServerSettings {
  const options = Object.fromEntries(Object.entries(FLAGS).map(([name, spec]) => [name, {type: spec.type, ...(name === 'help' ? {short: 'h'} : {})}]))
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({args: [...args], options, strict: true, allowPositionals: false}).values as typeof values
  } catch (error) {
    // Node's own words name the flag ("Unknown option '--acounts'"); its advice on positionals is not ours.
    throw new FlagError(messageOf(error).split(/\.\s/)[0] ?? messageOf(error))
  }
  for (const name of ['account-share', 'coin-types'] as const) {
    if (values[name] !== undefined && values.accounts === undefined) throw new FlagError(`--${name} applies to the traffic of --accounts; add --accounts FILE|ADDR,...`)
  }
  const text = (name: keyof typeof FLAGS): string | undefined => (values[name] as string | undefined) ?? (FLAGS[name] as FlagSpec).default
  const accounts = values.accounts === undefined ? undefined : accountAddresses(values.accounts as string)
  return {
    help: values.help === true,
    port: whole('port', text('port'), 65_535),
    rate: number('rate', text('rate')),
    chain: text('chain') ?? 'localnet',
    token: text('token'),
    scenario: scenarioFile(text('scenario')),
    traffic: accounts
      ? {
          relevantAddresses: accounts,
          relevantShare: share('account-share', text('account-share')),
          // traffic.ts has the default (SUI and mainnet USDC).
          ...(values['coin-types'] === undefined ? {} : {relevantCoinTypes: coinTypes(values['coin-types'] as string)}),
        }
      : values.traffic === true
        ? {}
        : undefined,
    stateHeights: {headerAbove: share('header-above', text('header-above')), headerBelow: share('header-below', text('header-below')), behind: share('behind', text('behind'))},
    splitMessages: share('split-messages', text('split-messages')),
    sealDelayMs: whole('seal-delay', text('seal-delay'), 600_000),
    stateLagMs: whole('state-lag', text('state-lag'), 600_000),
  }
}

/** The help text, from the table. */
export function serverHelp(): string {
  const usage = [
    'Usage: npm run sui-server -- [options]',
    '',
    'A local Sui gRPC server (sui.rpc.v2 over an in-memory chain) to point confio at by hand. It prints',
    'the settings to export in another shell, then seals --rate checkpoints a second. Ctrl-C stops it.',
    '',
  ]
  const entries = Object.entries(FLAGS) as [string, FlagSpec][]
  const lines = (imperfection: boolean) =>
    entries
      .filter(([, spec]) => Boolean(spec.imperfection) === imperfection)
      .flatMap(([name, spec]) => {
        const left = `  ${name === 'help' ? '-h, ' : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`
        const help = spec.default === undefined ? spec.help : `${spec.help} (default ${spec.default})`
        return wrap(left, help)
      })
  return [...usage, 'Options:', ...lines(false), '', 'Imperfections of a real node (shares from 0 to 1):', ...lines(true), ''].join('\n')
}

const HELP_COLUMN = 30
const WIDTH = 100

/** `left` padded to the help column, `text` wrapped beside it. */
function wrap(left: string, text: string): string[] {
  const out: string[] = []
  let line = left.length < HELP_COLUMN - 1 ? left.padEnd(HELP_COLUMN) : `${left}\n${' '.repeat(HELP_COLUMN)}`
  let lineLength = line.length - line.lastIndexOf('\n') - 1
  for (const word of text.split(' ')) {
    if (lineLength > HELP_COLUMN && lineLength + word.length + 1 > WIDTH) {
      out.push(line.trimEnd())
      line = ' '.repeat(HELP_COLUMN)
      lineLength = HELP_COLUMN
    }
    const piece = lineLength > HELP_COLUMN ? ` ${word}` : word
    line += piece
    lineLength += piece.length
  }
  out.push(line.trimEnd())
  return out
}

function whole(flag: string, raw: string | undefined, max: number): number {
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) > max) throw new FlagError(`--${flag}: ${JSON.stringify(raw)} is not a whole number from 0 to ${max}`)
  return Number(raw)
}

function number(flag: string, raw: string | undefined): number {
  const value = Number(raw)
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value < 0) throw new FlagError(`--${flag}: ${JSON.stringify(raw)} is not a number from 0`)
  return value
}

function share(flag: string, raw: string | undefined): number {
  const value = Number(raw)
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new FlagError(`--${flag}: ${JSON.stringify(raw)} is not a share from 0 to 1`)
  return value
}

/** Checked before the server starts; what the file holds is checked as it is applied (main.ts). */
function scenarioFile(path: string | undefined): string | undefined {
  if (path !== undefined && !existsSync(path)) throw new FlagError(`--scenario: there is no file ${path}`)
  return path
}

/** A file of accounts (as confio imports them), or addresses separated by commas. */
function accountAddresses(raw: string): string[] {
  if (existsSync(raw)) {
    let bytes: Buffer
    try {
      bytes = readFileSync(raw)
    } catch (error) {
      throw new FlagError(`--accounts: cannot read ${raw} (${messageOf(error)})`)
    }
    let parsed
    try {
      parsed = parseAccountsCsv(bytes, raw)
    } catch (error) {
      throw new FlagError(`--accounts: ${messageOf(error)}`)
    }
    const problem = parsed.problems[0]
    if (problem) throw new FlagError(`--accounts: ${raw} line ${problem.line}: ${problem.reason}`)
    if (parsed.rows.length === 0) throw new FlagError(`--accounts: ${raw} has no accounts`)
    return parsed.rows.map((row) => row.account.address)
  }
  const parts = raw.split(',').map((part) => part.trim()).filter(Boolean)
  const bad = parts.find((part) => !isSuiAddress(part))
  if (bad !== undefined || parts.length === 0) {
    throw new FlagError(`--accounts: ${JSON.stringify(bad ?? raw)} is neither a file nor a Sui address (0x followed by 1 to 64 hex digits)`)
  }
  return parts.map(normalizeAddress)
}

function coinTypes(raw: string): string[] {
  return raw.split(',').map((part) => {
    try {
      return normalizeCoinType(part.trim())
    } catch (error) {
      throw new FlagError(`--coin-types: ${JSON.stringify(part.trim())} is not a coin type (${messageOf(error)})`)
    }
  })
}
