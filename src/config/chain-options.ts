// The chain layer's options as confio's configuration sets them: one translation, used by every
// command (cli/base-command.ts) and by services that import confio (src/index.ts).
import {CHAIN_OPTION_DEFAULTS, type ChainOptions} from '../chain/index.ts'
import type {SuiSettings} from './config.ts'

export function chainOptionsOf(sui: SuiSettings, overrides: Partial<ChainOptions> = {}): ChainOptions {
  return {
    ...CHAIN_OPTION_DEFAULTS,
    url: sui.grpcUrl,
    transport: sui.transport,
    network: sui.network,
    ...(sui.token ? {token: sui.token} : {}),
    headers: {...sui.headers},
    deadlineMs: sui.deadlineMs,
    requestsPerSecond: sui.requestsPerSecond,
    maxConcurrency: sui.maxConcurrency,
    backoffMaxMs: sui.retryMaxDelayMs,
    ...overrides,
  }
}
