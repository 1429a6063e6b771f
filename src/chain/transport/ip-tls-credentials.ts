// TLS to a node addressed by IP (https://10.0.0.5:9000) without a server name. grpc-js always
// passes the target's host to tls.connect as `servername` (SNI), and for an IP address Node then
// warns "[DEP0123] Setting the TLS ServerName to an IP address is not permitted by RFC 6066"
// (grpc/grpc-node#1919, open). 'grpc.ssl_target_name_override' only swaps in another name, so
// these credentials make the TLS connection themselves: no SNI, as RFC 6066 requires, and the
// certificate still checked against the IP address (Node verifies against `host` when there is no
// servername). Roots are Node's own plus NODE_EXTRA_CA_CERTS; grpc-js's GRPC_DEFAULT_SSL_ROOTS_FILE_PATH
// and GRPC_SSL_CIPHER_SUITES do not apply here. Host names keep grpc-js's createSsl.
import {connect, createSecureContext} from 'node:tls'
import {CallCredentials, ChannelCredentials} from '@grpc/grpc-js'
import type {ChannelOptions, experimental} from '@grpc/grpc-js'

export class IpAddressTlsCredentials extends ChannelCredentials {
  readonly #host: string
  readonly #context = createSecureContext()

  /** `host`: the IP address, without IPv6 brackets. */
  constructor(host: string) {
    super()
    this.#host = host
  }

  _isSecure(): boolean {
    return true
  }

  _equals(other: ChannelCredentials): boolean {
    return other === this
  }

  // The extension point grpc-js's own certificate-provider credentials use (exported under
  // `experimental`); the socket is already connected, through a proxy if one is configured.
  _createSecureConnector(_target: experimental.GrpcUri, _options: ChannelOptions, callCredentials?: CallCredentials): experimental.SecureConnector {
    const host = this.#host
    const secureContext = this.#context
    return {
      connect: (socket) =>
        new Promise((resolve, reject) => {
          const tlsSocket = connect({socket, host, secureContext, ALPNProtocols: ['h2']}, () => {
            if (!tlsSocket.authorized) {
              reject(tlsSocket.authorizationError)
              return
            }
            resolve({socket: tlsSocket, secure: true})
          })
          tlsSocket.on('error', reject)
        }),
      waitForReady: () => Promise.resolve(),
      getCallCredentials: () => callCredentials ?? CallCredentials.createEmpty(),
      destroy: () => {},
    }
  }
}
