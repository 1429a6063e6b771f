// Read masks on replies that are built per request (transactions, objects, epochs, simulations):
// the requested paths, or the method's documented default when the request has none; an unknown
// path answers INVALID_ARGUMENT as a node does.
import {rpcError} from './grpc-server.ts'
import {type ReflectedType, InvalidReadMask, applyMask, parseMask, validateMask} from './read-mask.ts'

export function masked<T extends object>(type: {create(): T}, message: T, paths: readonly string[] | undefined, defaults: readonly string[]): T {
  const reflected = type as unknown as ReflectedType
  const tree = parseMask(paths?.length ? paths : defaults)
  try {
    validateMask(reflected, tree)
  } catch (error) {
    if (error instanceof InvalidReadMask) throw rpcError('INVALID_ARGUMENT', error.message)
    throw error
  }
  return applyMask(reflected, message, tree)
}
