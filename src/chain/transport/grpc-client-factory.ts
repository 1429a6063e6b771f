// Builds the transport and the SDK client from ChainOptions. This is the only place that knows
// how a URL maps onto a transport:
//   https://host:port + 'grpc'  → native HTTP/2 gRPC over TLS (@grpc/grpc-js; to an IP address
//                                 without SNI, see ip-tls-credentials.ts)
//   http://host:port  + 'grpc'  → the same in plaintext (a local node, the test server)
//   any URL + 'grpc-web'        → gRPC-web over fetch (HTTP/1.1 proxies, browsers' protocol)
// Auth travels as call metadata on every request: the token as `x-token` (QuickNode), anything
// else (e.g. `authorization: Bearer …`) through `headers`.
import {isIP} from 'node:net'
import {ChannelCredentials} from '@grpc/grpc-js'
import type {ChannelOptions} from '@grpc/grpc-js'
import {GrpcWebFetchTransport, SuiGrpcClient} from '@mysten/sui/grpc'
import type {RpcTransport} from '@protobuf-ts/runtime-rpc'

import type {ChainOptions} from '../chain-options.ts'
import {validateChainOptions} from '../chain-options.ts'
import {FlowControlledGrpcTransport} from './flow-controlled-transport.ts'
import {IpAddressTlsCredentials} from './ip-tls-credentials.ts'

// grpc-js refuses replies over 4 MB by default; a busy mainnet checkpoint read with a wide mask
// is larger. The keepalive pings find a dead connection under a quiet subscription within a
// minute instead of at the next TCP timeout.
const GRPC_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  // grpc-js has its own retry machinery; the chain layer retries with its own limits instead.
  'grpc.enable_retries': 0,
  // HTTP/2's default 64 KB window lets about one 60-transaction checkpoint through at a time,
  // which halves the range reader's rate; a wide window keeps several in flight.
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
}

export interface ChainTransport {
  transport: RpcTransport
  /** Closes the HTTP/2 channel (grpc); a no-op for grpc-web, whose fetch connections idle out. */
  close(): void
}

/** Metadata sent on every call. The token goes last so `headers` cannot override it silently. */
export function callMetadata(options: Pick<ChainOptions, 'token' | 'headers'>): Record<string, string> {
  const meta: Record<string, string> = {...options.headers}
  if (options.token) meta['x-token'] = options.token
  return meta
}

export function createChainTransport(options: ChainOptions): ChainTransport {
  validateChainOptions(options)
  const url = new URL(options.url)
  const meta = callMetadata(options)
  if (options.transport === 'grpc-web') {
    const baseUrl = options.url.replace(/\/+$/, '')
    return {transport: new GrpcWebFetchTransport({baseUrl, meta}), close: () => {}}
  }
  const tls = url.protocol === 'https:'
  const port = url.port || (tls ? '443' : '80')
  const transport = new FlowControlledGrpcTransport({
    host: `${url.hostname}:${port}`,
    channelCredentials: tls ? tlsCredentials(url.hostname) : ChannelCredentials.createInsecure(),
    clientOptions: GRPC_CHANNEL_OPTIONS,
    meta,
  })
  return {transport, close: () => transport.close()}
}

/** `hostname` as URL gives it: an IPv6 literal keeps its brackets. */
function tlsCredentials(hostname: string): ChannelCredentials {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1')
  return isIP(bare) ? new IpAddressTlsCredentials(bare) : ChannelCredentials.createSsl()
}

export interface ChainClient {
  sui: SuiGrpcClient
  close(): void
}

/** The SDK client over the configured transport. Only src/chain/ holds one. */
export function createSuiClient(options: ChainOptions): ChainClient {
  const {transport, close} = createChainTransport(options)
  return {sui: new SuiGrpcClient({network: options.network, transport}), close}
}
