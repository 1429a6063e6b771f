// Mainnet-shaped traffic for the ledger: each checkpoint opens with a consensus commit prologue,
// then 40-90 user transactions (mainnet's usual range, see /work/shared/notes/sui.md) from a pool
// of background senders who all pay gas in SUI: coin transfers of several coin types, Move calls
// into many packages with their events, swaps, and a few failures. A chosen share of transactions
// touches the given addresses (deposits, withdrawals) or packages, which is what confio must find.
// Everything goes through the ledger's scenario API, so balances stay consistent.
import {SUI_COIN_TYPE, normalizeAddress, normalizeCoinType} from '../src/sui/identifiers.ts'
import {type Json, idOf} from './chain-builder.ts'
import type {Ledger} from './ledger.ts'
import {Random} from './random.ts'

export interface TrafficOptions {
  checkpoints: number
  /** Transactions per checkpoint, inclusive range, prologue and funding transactions included. */
  txPerCheckpoint?: [number, number]
  /** Share (0..1) of transactions that touch relevantAddresses or relevantPackages. */
  relevantShare?: number
  relevantAddresses?: string[]
  relevantPackages?: string[]
  /** Coin types of deposits to and withdrawals from relevant addresses (default SUI and USDC). */
  relevantCoinTypes?: string[]
  seed?: number
  /** Open each checkpoint with a consensus commit prologue, as mainnet does (default true). */
  prologue?: boolean
}

export interface TrafficSummary {
  firstCheckpoint: bigint
  lastCheckpoint: bigint
  transactions: number
  /** Digests of the transactions that touch the relevant addresses or packages, in order. */
  relevantDigests: string[]
}

const SUI = SUI_COIN_TYPE
/** Mainnet coin types (public identifiers), so logs read like the real chain. */
const USDC = normalizeCoinType('0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC')
const DEEP = normalizeCoinType('0xdeeb7a4662eec9f2f3def03fb937a663dddaa2e215b8078a284d026b7946c270::deep::DEEP')
const WAL = normalizeCoinType('0x356a26eb9e012a68958082340d4c4116e7f55615cf27affcff209cf0ae544f59::wal::WAL')
const MEMES = [1, 2, 3, 4].map((i) => normalizeCoinType(`${idOf('meme', i)}::meme${i}::MEME${i}`))
const COIN_TYPES = [SUI, SUI, SUI, USDC, USDC, DEEP, WAL, ...MEMES]
const MODULES = ['pool', 'router', 'clob_v2', 'oracle', 'game', 'nft', 'staking', 'lending']
const FUNCTIONS = ['swap_exact_in', 'place_order', 'update_price', 'play', 'mint', 'stake', 'deposit', 'claim']
const EVENTS = ['SwapExecuted', 'OrderPlaced', 'PriceUpdated', 'GamePlayed', 'Minted', 'Staked', 'Deposited', 'Claimed']
const POOL_SIZE = 64
const PACKAGE_COUNT = 40
const GAS_RESERVE = 100_000_000n

/** Background senders and packages live as long as the ledger, so repeated calls reuse them. */
interface Pool {
  senders: string[]
  packages: string[]
}
const pools = new WeakMap<Ledger, Pool>()

function poolOf(ledger: Ledger): Pool {
  let pool = pools.get(ledger)
  if (!pool) {
    pool = {
      senders: Array.from({length: POOL_SIZE}, (_, i) => ledger.createAddress(`traffic-sender-${i}`)),
      packages: Array.from({length: PACKAGE_COUNT}, (_, i) => idOf('traffic-package', i)),
    }
    pools.set(ledger, pool)
  }
  return pool
}

export function generateTraffic(ledger: Ledger, opts: TrafficOptions): TrafficSummary {
  const random = new Random(opts.seed)
  const generator = new TrafficGenerator(ledger, poolOf(ledger), random, opts)
  const relevantDigests: string[] = []
  let transactions = 0
  let first: bigint | undefined
  let last = ledger.checkpointHeight
  for (let i = 0; i < opts.checkpoints; i++) {
    const [min, max] = opts.txPerCheckpoint ?? [40, 90]
    const target = random.int(min, max)
    if (opts.prologue ?? true) ledger.submitPrologue()
    while (ledger.pendingTransactions.length < target) {
      const relevant = generator.next(target - ledger.pendingTransactions.length)
      if (relevant) relevantDigests.push(relevant)
    }
    transactions += ledger.pendingTransactions.length
    last = ledger.produceCheckpoint()
    first ??= last
  }
  return {firstCheckpoint: first ?? last + 1n, lastCheckpoint: last, transactions, relevantDigests}
}

class TrafficGenerator {
  #ledger: Ledger
  #pool: Pool
  #random: Random
  #relevantShare: number
  #addresses: string[]
  #packages: string[]
  #relevantCoinTypes: string[]

  constructor(ledger: Ledger, pool: Pool, random: Random, opts: TrafficOptions) {
    this.#ledger = ledger
    this.#pool = pool
    this.#random = random
    this.#relevantShare = opts.relevantShare ?? 0
    this.#addresses = (opts.relevantAddresses ?? []).map(normalizeAddress)
    this.#packages = (opts.relevantPackages ?? []).map(normalizeAddress)
    this.#relevantCoinTypes = (opts.relevantCoinTypes ?? [SUI, USDC]).map(normalizeCoinType)
  }

  /**
   * Adds one transaction (maybe after funding ones); returns its digest when it is relevant. With
   * fewer than 3 slots left it picks a sender that needs no funding, so checkpoints hit their size.
   */
  next(slotsLeft: number): string | undefined {
    const funded = slotsLeft < 3 ? this.#pool.senders.find((s) => this.#ledger.balance(s, SUI).coinBalance >= GAS_RESERVE) : undefined
    if (funded) return void this.#moveCall(this.#random.pick(this.#pool.packages), funded)
    const hasTargets = this.#addresses.length > 0 || this.#packages.length > 0
    if (hasTargets && this.#random.chance(this.#relevantShare)) return this.#relevant()
    const roll = this.#random.next()
    if (roll < 0.3) this.#transfer()
    else if (roll < 0.45) this.#swap()
    else if (roll < 0.98) this.#moveCall(this.#random.pick(this.#pool.packages))
    else this.#failedCall()
    return undefined
  }

  #relevant(): string {
    const useAddress = this.#packages.length === 0 || (this.#addresses.length > 0 && this.#random.chance(0.5))
    if (!useAddress) return this.#moveCall(this.#random.pick(this.#packages))
    const address = this.#random.pick(this.#addresses)
    const coinType = this.#random.pick(this.#relevantCoinTypes)
    const amount = this.#amount(coinType)
    const counterparty = this.#sender()
    // Withdrawals need the relevant address to hold the coin and SUI for gas; otherwise deposit.
    const canWithdraw = this.#ledger.balance(address, coinType).coinBalance >= amount + (coinType === SUI ? GAS_RESERVE : 0n)
      && this.#ledger.balance(address, SUI).coinBalance >= GAS_RESERVE
    if (canWithdraw && this.#random.chance(0.3)) return this.#ledger.transfer({from: address, to: counterparty, coinType, amount}).digest
    this.#fund(counterparty, coinType, amount)
    return this.#ledger.transfer({from: counterparty, to: address, coinType, amount}).digest
  }

  #transfer(): void {
    const from = this.#sender()
    const to = this.#random.chance(0.8) ? this.#sender() : this.#ledger.createAddress()
    const coinType = this.#random.pick(COIN_TYPES)
    const amount = this.#amount(coinType)
    this.#fund(from, coinType, amount)
    this.#ledger.transfer({from, to, coinType, amount, toAddressBalance: this.#random.chance(0.1)})
  }

  /** A DEX swap: the sender pays one coin into a pool object and gets another back. */
  #swap(): void {
    const sender = this.#sender()
    const pkg = this.#random.pick(this.#pool.packages)
    const [sold, bought] = [this.#random.pick(COIN_TYPES), this.#random.pick(COIN_TYPES.filter((t) => t !== SUI))]
    const amountIn = this.#amount(sold)
    const amountOut = this.#amount(bought)
    this.#fund(sender, sold, amountIn)
    this.#ledger.submit({
      sender,
      moveCalls: [{package: pkg, module: 'pool', function: 'swap_exact_in', typeArguments: [sold, bought]}],
      events: [{type: `${pkg}::pool::SwapExecuted`, json: {pool_id: idOf('pool', pkg), amount_in: amountIn.toString(), amount_out: amountOut.toString(), a_to_b: true}}],
      balanceChanges: [{address: sender, coinType: sold, amount: -amountIn}, {address: sender, coinType: bought, amount: amountOut}],
    })
  }

  #moveCall(pkg: string, sender = this.#sender()): string {
    const slot = this.#random.int(0, MODULES.length - 1)
    const module = MODULES[slot] ?? 'pool'
    const events = Array.from({length: this.#random.int(0, 3)}, () => ({type: `${pkg}::${module}::${EVENTS[slot] ?? 'Event'}`, json: this.#eventJson(sender)}))
    this.#fund(sender, SUI, 0n)
    return this.#ledger.submit({sender, moveCalls: [{package: pkg, module, function: FUNCTIONS[slot] ?? 'call'}], events}).digest
  }

  #failedCall(): void {
    const sender = this.#sender()
    this.#fund(sender, SUI, 0n)
    const pkg = this.#random.pick(this.#pool.packages)
    this.#ledger.submit({sender, moveCalls: [{package: pkg, module: 'clob_v2', function: 'place_order'}], success: false})
  }

  #eventJson(sender: string): Json {
    return {sender, amount: this.#random.bigint(1n, 1_000_000_000n).toString(), object_id: idOf('obj', this.#random.next()), timestamp_ms: Date.now().toString()}
  }

  #sender(): string {
    return this.#random.pick(this.#pool.senders)
  }

  #amount(coinType: string): bigint {
    return coinType === SUI ? this.#random.bigint(10_000_000n, 100_000_000_000n) : this.#random.bigint(1_000_000n, 10_000_000_000n)
  }

  /** Tops the sender up from the faucet (a transaction of its own) when it could not pay. */
  #fund(address: string, coinType: string, amount: bigint): void {
    const sui = this.#ledger.balance(address, SUI)
    const gasNeeded = GAS_RESERVE + (coinType === SUI ? amount : 0n)
    if (sui.coinBalance + sui.addressBalance < gasNeeded) this.#ledger.mint(address, SUI, gasNeeded * 100n)
    if (coinType === SUI) return
    const held = this.#ledger.balance(address, coinType)
    if (held.coinBalance + held.addressBalance < amount) this.#ledger.mint(address, coinType, amount * 100n)
  }
}
