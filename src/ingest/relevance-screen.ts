// The relevance rule's screen (chain/transaction-screen.ts). The poller reads every transaction of
// the chain; this lets the checkpoint read decode only those whose sender or balance change owner
// is a monitored account, or that touch a monitored package. Accounts are asked by membership
// alone, whatever their monitored_from (the rule applies that), so the screen lets through at
// least every transaction the rule keeps. Relevance is then decided on the decoded few by the
// decide stage, a little later: an account a refresh adds in between counts from the next
// checkpoint screened (monitored-accounts.ts), so no transaction the screen passed over is one the
// rule would keep.
import type {TransactionScreen} from '../chain/index.ts'
import {AddressSet} from './address-set.ts'

export interface ScreenedAccounts {
  hasText(text: Uint8Array, start: number): boolean
}

export class RelevanceScreen implements TransactionScreen {
  private readonly packages = new AddressSet(16)
  private readonly accounts: ScreenedAccounts

  /** `packages`: normalized package ids, as the relevance filter takes them. */
  constructor(packages: readonly string[], accounts: ScreenedAccounts) {
    for (const id of packages) this.packages.add(id)
    this.accounts = accounts
  }

  watchesAddress(text: Uint8Array, start: number): boolean {
    return this.accounts.hasText(text, start)
  }

  watchesPackage(text: Uint8Array, start: number): boolean {
    return this.packages.hasText(text, start)
  }
}
