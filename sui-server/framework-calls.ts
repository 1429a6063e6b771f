// The Sui framework functions the local Sui server executes, with the semantics of their Move
// source (crates/sui-framework/packages/sui-framework/sources/coin.move and balance.move): the
// ones the SDK's coinWithBalance intent emits (coin::redeem_funds, coin::send_funds,
// coin::into_balance, coin::destroy_zero, coin::zero and their balance:: twins) and the usual
// coin and balance helpers. Aborts carry the framework's codes (balance::ENonZero = 0,
// balance::ENotEnough = 2), raised in 0x2::balance as on chain.
//
// Address balances (SIP-58): send_funds deposits into the recipient's address balance, and
// redeem_funds turns a FundsWithdrawal input (Withdrawal<Balance<T>>) into a Balance or a Coin,
// taking the whole reserved amount from the owner's address balance.
import type {CallFrame, Value} from './transaction-executor.ts'
import type {ProgramArgument} from './program.ts'

type Handler = (frame: CallFrame, coinType: string, args: (ProgramArgument | undefined)[]) => Value[]

const E_NON_ZERO = 0n
const E_NOT_ENOUGH = 2n

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['coin::redeem_funds', (f, t, [withdrawal]) => {
    const {owner, amount} = f.takeWithdrawal(withdrawal, t)
    f.adjustAddressBalance(owner, t, -amount)
    return [f.newCoin(t, amount)]
  }],
  ['balance::redeem_funds', (f, t, [withdrawal]) => {
    const {owner, amount} = f.takeWithdrawal(withdrawal, t)
    f.adjustAddressBalance(owner, t, -amount)
    return [balance(t, amount)]
  }],
  ['coin::send_funds', (f, t, [coin, recipient]) => {
    const taken = f.takeCoin(coin, t)
    const to = f.address(recipient)
    f.deleteCoin(taken.objectId)
    f.adjustAddressBalance(to, t, taken.balance)
    return []
  }],
  ['balance::send_funds', (f, t, [value, recipient]) => {
    const amount = f.takeBalance(value, t)
    f.adjustAddressBalance(f.address(recipient), t, amount)
    return []
  }],
  ['coin::into_balance', (f, t, [coin]) => {
    const taken = f.takeCoin(coin, t)
    f.deleteCoin(taken.objectId)
    return [balance(t, taken.balance)]
  }],
  ['coin::from_balance', (f, t, [value]) => [f.newCoin(t, f.takeBalance(value, t))]],
  ['coin::zero', (f, t) => [f.newCoin(t, 0n)]],
  ['balance::zero', (_f, t) => [balance(t, 0n)]],
  ['coin::destroy_zero', (f, t, [coin]) => {
    const taken = f.takeCoin(coin, t)
    if (taken.balance !== 0n) f.abort('destroy_zero', E_NON_ZERO)
    f.deleteCoin(taken.objectId)
    return []
  }],
  ['balance::destroy_zero', (f, t, [value]) => {
    if (f.takeBalance(value, t) !== 0n) f.abort('destroy_zero', E_NON_ZERO)
    return []
  }],
  ['coin::value', (f, t, [coin]) => [u64(f.borrowCoin(coin, t).balance)]],
  ['balance::value', (f, t, [value]) => [u64(f.borrowBalance(value, t))]],
  ['coin::join', (f, t, [self, other]) => {
    const target = f.borrowCoin(self, t)
    const taken = f.takeCoin(other, t)
    f.deleteCoin(taken.objectId)
    f.writeCoin({...target, balance: target.balance + taken.balance})
    return []
  }],
  ['coin::split', (f, t, [self, amount]) => {
    const source = f.borrowCoin(self, t)
    const value = f.u64(amount)
    if (value > source.balance) f.abort('split', E_NOT_ENOUGH)
    f.writeCoin({...source, balance: source.balance - value})
    return [f.newCoin(t, value)]
  }],
  ['balance::join', (f, t, [self, other]) => {
    const joined = f.borrowBalance(self, t) + f.takeBalance(other, t)
    f.setBalance(self, joined)
    return [u64(joined)]
  }],
  ['balance::split', (f, t, [self, amount]) => {
    const held = f.borrowBalance(self, t)
    const value = f.u64(amount)
    if (value > held) f.abort('split', E_NOT_ENOUGH)
    f.setBalance(self, held - value)
    return [balance(t, value)]
  }],
])

/** Modules of 0x2 whose functions move balances: a call into one the table lacks is refused. */
const BALANCE_MODULES: ReadonlySet<string> = new Set(['coin', 'balance', 'pay', 'funds_accumulator', 'sui', 'coin_registry', 'token'])

/** The handler of `0x2::module::function`, if the server executes it. */
export function frameworkHandler(module: string, fn: string): Handler | undefined {
  return HANDLERS.get(`${module}::${fn}`)
}

export function movesBalances(module: string): boolean {
  return BALANCE_MODULES.has(module)
}

function balance(coinType: string, amount: bigint): Value {
  return {kind: 'balance', coinType, amount}
}

/** A u64 return value, as BCS, usable as a later command's pure argument. */
function u64(value: bigint): Value {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64LE(value)
  return {kind: 'pure', bytes: new Uint8Array(bytes)}
}
