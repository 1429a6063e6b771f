// The real SDK client, pointed at a local server the way confio will be: native gRPC over
// HTTP/2 in plaintext on 127.0.0.1.
import {ChannelCredentials} from '@grpc/grpc-js'
import {SuiGrpcClient} from '@mysten/sui/grpc'
import {GrpcTransport} from '@protobuf-ts/grpc-transport'

export function clientFor(port: number, token?: string): SuiGrpcClient {
  const transport = new GrpcTransport({
    host: `127.0.0.1:${port}`,
    channelCredentials: ChannelCredentials.createInsecure(),
    meta: token === undefined ? {} : {'x-token': token},
  })
  return new SuiGrpcClient({network: 'localnet', transport})
}

/** The code of a failed call (RpcError.code is the status name), or 'OK' if it did not fail. */
export async function statusOf(call: PromiseLike<unknown>): Promise<string> {
  try {
    await call
    return 'OK'
  } catch (error) {
    return (error as {code?: string}).code ?? String(error)
  }
}
