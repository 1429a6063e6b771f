// What a real fullnode's state replies do that this server's do not by default (faults.ts,
// `stateHeights`), so a test can show confio's balances hold anyway (src/chain/reader/height-window.ts):
//   header-above  the reply names one checkpoint above the state it answered from: a fullnode
//                 appends x-sui-checkpoint-height after its handler has read the state, and a
//                 checkpoint sealed in between;
//   header-below  the reply names one checkpoint below the state: the node's indexes were written
//                 before its height mark moved;
//   behind        the reply comes from a node one checkpoint behind (a load-balanced provider's
//                 other node): state and header both one checkpoint back.
// The server picks a skew for a state read (GetBalance, ListBalances, ListOwnedObjects) when it
// admits the call, takes the headers with it and tags the decoded request, so the handler answers
// from the matching state (ledger.ts: previousSealedStore).
import type {CoinStore} from './coin-store.ts'
import type {Ledger} from './ledger.ts'

export type StateSkew = 'header-above' | 'header-below' | 'behind'

/** The methods whose replies are state as of a height. */
export const STATE_METHODS: ReadonlySet<string> = new Set(['GetBalance', 'ListBalances', 'ListOwnedObjects'])

const SKEW = Symbol('state skew')

/** Tags a decoded request with the skew chosen for its reply. */
export function tagRequest(request: unknown, skew: StateSkew): void {
  if (typeof request === 'object' && request !== null) (request as Record<symbol, StateSkew>)[SKEW] = skew
}

/** The state a tagged request answers from: one checkpoint back for header-above and behind. */
export function stateFor(ledger: Ledger, request: object): CoinStore {
  const skew = (request as Record<symbol, StateSkew | undefined>)[SKEW]
  return skew === 'header-above' || skew === 'behind' ? ledger.previousSealedStore() : ledger.sealedStore
}

/** The height a reply's header names for this skew (the latest sealed one, one less for header-below and behind). */
export function headerHeight(height: bigint, skew: StateSkew | undefined): bigint {
  return (skew === 'header-below' || skew === 'behind') && height > 0n ? height - 1n : height
}
