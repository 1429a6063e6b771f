// sui.rpc.v2.TransactionFilter over the ledger's records, for ListTransactions: a DNF filter whose
// terms are OR-ed and whose literals within a term are AND-ed, each literal optionally negated.
// Only the `sender` and `affected_address` predicates are modelled; a filter naming any other
// answers UNIMPLEMENTED, so a test that needs one finds out at once instead of matching nothing.
import type {GrpcTypes} from '@mysten/sui/grpc'
import type {TransactionRecord} from './chain-builder.ts'
import {normalizeAddress} from '../src/sui/identifiers.ts'
import {rpcError} from './grpc-server.ts'

export type TransactionPredicate = (t: TransactionRecord) => boolean

/** undefined: no filter, every transaction matches. Throws INVALID_ARGUMENT / UNIMPLEMENTED as a node would. */
export function compileFilter(filter: GrpcTypes.TransactionFilter | undefined): TransactionPredicate | undefined {
  if (filter === undefined) return undefined
  // filter.proto: "A present filter must have at least one term."
  if (filter.terms.length === 0) throw rpcError('INVALID_ARGUMENT', 'filter: a present filter must have at least one term')
  const terms = filter.terms.map((term, i) => compileTerm(term, i))
  return (t) => terms.some((term) => term(t))
}

function compileTerm(term: GrpcTypes.TransactionTerm, index: number): TransactionPredicate {
  if (term.literals.length === 0) throw rpcError('INVALID_ARGUMENT', `filter: term ${index} has no literals`)
  const literals = term.literals.map((literal) => compileLiteral(literal))
  return (t) => literals.every((literal) => literal(t))
}

function compileLiteral(literal: GrpcTypes.TransactionLiteral): TransactionPredicate {
  const predicate = compilePredicate(literal.predicate)
  return literal.negated ? (t) => !predicate(t) : predicate
}

function compilePredicate(predicate: GrpcTypes.TransactionLiteral['predicate']): TransactionPredicate {
  switch (predicate.oneofKind) {
    case 'sender': {
      const address = filterAddress(predicate.sender.address, 'sender')
      return (t) => t.sender === address
    }
    case 'affectedAddress': {
      const address = filterAddress(predicate.affectedAddress.address, 'affected_address')
      return (t) => affectedAddresses(t).has(address)
    }
    case undefined:
      throw rpcError('INVALID_ARGUMENT', 'filter: a literal without a predicate')
    default:
      throw rpcError('UNIMPLEMENTED', `filter predicate ${predicate.oneofKind} is not modelled by the confio test server (only sender and affected_address are)`)
  }
}

function filterAddress(value: string | undefined, predicate: string): string {
  try {
    return normalizeAddress(value ?? '')
  } catch {
    throw rpcError('INVALID_ARGUMENT', `filter: ${predicate} address ${JSON.stringify(value ?? '')} is not a Sui address`)
  }
}

// Sealed records never change, so what they affect can be remembered with them.
const AFFECTED = new WeakMap<TransactionRecord, ReadonlySet<string>>()

/**
 * Every address whose state the transaction moved, as far as the records tell: its sender (as
 * Sui's indexers count it, even when a sponsor pays), the gas owner, every address in its balance
 * changes (coins and SIP-58 address balances alike), and the owners before and after of every
 * changed object (the records model coin objects only).
 */
export function affectedAddresses(t: TransactionRecord): ReadonlySet<string> {
  // A filter with one term per address asks this of the same transaction once per term.
  const known = AFFECTED.get(t)
  if (known) return known
  const out = new Set<string>([t.sender, t.gasPayment.owner])
  for (const change of t.balanceChanges) out.add(change.address)
  for (const object of t.changedObjects) {
    if (object.input) out.add(object.input.owner)
    if (object.output) out.add(object.output.owner)
  }
  AFFECTED.set(t, out)
  return out
}
