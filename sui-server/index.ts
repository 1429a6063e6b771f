// The local Sui gRPC server confio's tests, benchmarks and demo talk to (the machine has no
// internet); `npm run sui-server` runs it on its own (main.ts). It serves the SDK's own
// sui.rpc.v2 descriptors on @grpc/grpc-js, so the real SuiGrpcClient talks to it over a socket
// on 127.0.0.1; only the chain behind it (ledger.ts) is simulated.
//
//   const sui = await startSuiServer()
//   const alice = sui.ledger.createAddress()
//   sui.ledger.mint(alice, '0x2::sui::SUI', 5_000_000_000n)
//   sui.ledger.produceCheckpoint()   // state replies are as of the latest sealed checkpoint
//   ... point the client at sui.url ...
//   await sui.close()
import type * as grpc from '@grpc/grpc-js'
import {GrpcTypes} from '@mysten/sui/grpc'
import {CheckpointCache} from './checkpoint-cache.ts'
import {Faults, type StateHeightFaults} from './faults.ts'
import {type ServiceParts, listen} from './grpc-server.ts'
import {Ledger} from './ledger.ts'
import {responseHeaders} from './response-headers.ts'
import {executionService} from './services/execution-service.ts'
import {ledgerService, transactionMessage} from './services/ledger-service.ts'
import {TransactionCache} from './transaction-cache.ts'
import {DEFAULT_MAX_LIMIT, DEFAULT_SCAN_LIMIT} from './services/list-transactions.ts'
import {stateService} from './services/state-service.ts'
import {subscriptionService} from './services/subscription-service.ts'

export {Ledger} from './ledger.ts'
export type {BalanceChangeSpec, CoinInfo, EventSpec, LedgerOptions, MoveCallSpec, ServiceInfo, SubmitOptions, TransferOptions} from './ledger.ts'
export {Faults} from './faults.ts'
export type {FaultSettings, FaultStatus, MethodFaults, StateHeightFaults} from './faults.ts'
export type {TrafficOptions, TrafficSummary} from './traffic.ts'
export {spawnSuiServer} from './spawn.ts'
export type {ServerUsage, SpawnedSuiServer} from './spawn.ts'
export {busiestSecond} from './rate-windows.ts'

export interface SuiTestServerOptions {
  /** 0 (default) = a free port. */
  port?: number
  chainId?: string
  /** e.g. 'localnet' (default). */
  chain?: string
  /** Every call must carry this `x-token` header, or it is UNAUTHENTICATED. */
  requireToken?: string
  /** false → ListCheckpoints answers UNIMPLEMENTED, like a node without the mid-2026 list RPCs. */
  listCheckpoints?: boolean
  /** false → ListTransactions answers UNIMPLEMENTED, like a node without it. */
  listTransactions?: boolean
  /**
   * Checkpoints one filtered ListTransactions request examines before it ends with SCAN_LIMIT
   * (the node's per-request scan budget); DEFAULT_SCAN_LIMIT (1,000) unless set.
   */
  listTransactionsScanLimit?: number
  /** The most items one ListTransactions request returns (larger limits are coerced); 1,000 unless set. */
  listTransactionsMaxLimit?: number
  /** State replies whose height header is one off the state, from the start (faults.ts, state-view.ts). */
  stateHeights?: StateHeightFaults
  /** Share (0..1) of transactions sent with embedded messages in two occurrences, from the start (split-messages.ts). */
  splitMessages?: number
  /** ms from an executed transaction to its checkpoint (Ledger.sealDelayMs); 0 (default): at once. */
  sealDelayMs?: number
  /** ms from a checkpoint's seal to state reads answering as of it (Ledger.stateLagMs); 0 (default): at once. */
  stateLagMs?: number
}

export interface SuiTestServer {
  /** http://127.0.0.1:PORT */
  url: string
  port: number
  ledger: Ledger
  faults: Faults
  /** Keeps a read mask's encodings ready for every checkpoint sealed from now on (benchmarks). */
  warmReadMask(paths: string[]): void
  /** Encodes these checkpointed transactions now for BatchGetTransactions with this mask; returns how many. */
  warmTransactions(digests: readonly string[], paths: readonly string[]): number
  close(): Promise<void>
}

/** Services the SDK client constructs stubs for but confio does not use: all UNIMPLEMENTED. */
const UNUSED_SERVICES = [GrpcTypes.MovePackageService, GrpcTypes.SignatureVerificationService, GrpcTypes.NameService, GrpcTypes.ForkingService]

export async function startSuiServer(opts: SuiTestServerOptions = {}): Promise<SuiTestServer> {
  const ledger = new Ledger({chainId: opts.chainId, chain: opts.chain, sealDelayMs: opts.sealDelayMs, stateLagMs: opts.stateLagMs})
  const faults = new Faults({requireToken: opts.requireToken, stateHeights: opts.stateHeights, splitMessages: opts.splitMessages})
  const cache = new CheckpointCache(ledger)
  const transactions = new TransactionCache(ledger)
  const services: ServiceParts[] = [
    ledgerService(ledger, cache, transactions, {
      listCheckpoints: opts.listCheckpoints ?? true,
      listTransactions: opts.listTransactions ?? true,
      listTransactionsLimits: {
        scanLimit: opts.listTransactionsScanLimit ?? DEFAULT_SCAN_LIMIT,
        maxLimit: opts.listTransactionsMaxLimit ?? DEFAULT_MAX_LIMIT,
      },
    }),
    stateService(ledger),
    subscriptionService(ledger, cache),
    executionService(ledger),
    ...UNUSED_SERVICES.map((info) => ({info})),
  ]
  const {server, port} = await listen(services, faults, opts.port ?? 0, (skew, state) => responseHeaders(ledger, skew, state))
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    ledger,
    faults,
    warmReadMask: (paths) => void cache.warm(paths),
    warmTransactions: (digests, paths) => transactions.warm(digests, paths, transactionMessage),
    close: () => close(server, ledger),
  }
}

/** Stops producing, ends open streams (subscriptions never end by themselves) and frees the port. */
async function close(server: grpc.Server, ledger: Ledger): Promise<void> {
  ledger.stopProducing()
  ledger.stopTimers()
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown()
      resolve()
    }, 100)
    server.tryShutdown(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}
