// A scenario file for the standalone server: named addresses, then mints and transfers, sealed
// into a checkpoint. Amounts are strings (JSON has no bigint). Example:
//   {"addresses": ["alice", "bob"],
//    "mint": [{"owner": "alice", "coinType": "0x2::sui::SUI", "amount": "5000000000"}],
//    "transfer": [{"from": "alice", "to": "bob", "coinType": "0x2::sui::SUI", "amount": "1000"}]}
import {readFileSync} from 'node:fs'
import type {Ledger} from './ledger.ts'

interface ScenarioFile {
  addresses?: string[]
  mint?: {owner: string; coinType: string; amount: string; addressBalance?: boolean}[]
  transfer?: {from: string; to: string; coinType: string; amount: string; fail?: boolean; toAddressBalance?: boolean}[]
}

/** Applies the file to the ledger; returns the label → address map. */
export function loadScenario(ledger: Ledger, path: string): Record<string, string> {
  const scenario = JSON.parse(readFileSync(path, 'utf8')) as ScenarioFile
  const named: Record<string, string> = {}
  for (const label of scenario.addresses ?? []) named[label] = ledger.createAddress(label)
  const address = (nameOrAddress: string) => named[nameOrAddress] ?? nameOrAddress
  for (const m of scenario.mint ?? []) ledger.mint(address(m.owner), m.coinType, BigInt(m.amount), {addressBalance: m.addressBalance})
  for (const t of scenario.transfer ?? []) {
    ledger.transfer({from: address(t.from), to: address(t.to), coinType: t.coinType, amount: BigInt(t.amount), fail: t.fail, toAddressBalance: t.toAddressBalance})
  }
  ledger.produceCheckpoint()
  return named
}
