// How one raw setting string becomes a typed value. Each parser throws a SettingProblem saying
// what was expected; config.ts adds the setting's name, where it came from and the (redacted) value.
import {isSuiAddress, normalizeAddress, normalizeCoinType} from '../sui/identifiers.ts'
import {formatDuration, parseDuration} from '../support/durations.ts'

export class SettingProblem extends Error {}

export function parseUrl(raw: string, schemes: readonly string[]): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new SettingProblem(`a URL with scheme ${schemes.join(' or ')}`)
  }
  if (!schemes.includes(url.protocol.replace(/:$/, ''))) throw new SettingProblem(`a URL with scheme ${schemes.join(' or ')}`)
  if (!url.hostname) throw new SettingProblem('a URL with a host')
  // WHATWG reads a number as an IPv4 address (`https://9123` is 0.0.35.163): a port written alone.
  const typedHost = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#]*@)?([^:/?#@]*)/i.exec(raw)?.[1]
  if (typedHost !== undefined && /^[\d.]+$/.test(url.hostname) && typedHost !== url.hostname) {
    throw new SettingProblem(`a URL with a host name or a whole IP address ("${typedHost}" would be read as ${url.hostname})`)
  }
  return raw
}

/**
 * gRPC endpoints are often written without a scheme (`host:9000`, as providers print them);
 * those mean TLS. `http://` is kept as plaintext for localnet and tests.
 */
export function parseGrpcUrl(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`
  parseUrl(withScheme, ['http', 'https'])
  const url = new URL(withScheme)
  if (url.pathname !== '/' && url.pathname !== '') throw new SettingProblem('https://host:port or http://host:port with no path (gRPC has none)')
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  return `${url.protocol}//${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${port}`
}

export function parseAddress(raw: string): string {
  if (!isSuiAddress(raw)) throw new SettingProblem('a Sui address: 0x followed by 1 to 64 hex digits')
  return normalizeAddress(raw)
}

export function parseAddressList(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      if (!isSuiAddress(part)) throw new SettingProblem(`a comma-separated list of Sui addresses (0x + 1..64 hex); "${part}" is not one`)
      return normalizeAddress(part)
    })
}

export function parseCoinType(raw: string): string {
  try {
    return normalizeCoinType(raw)
  } catch {
    throw new SettingProblem('a coin type like 0x2::sui::SUI (<address>::<module>::<Name>)')
  }
}

export function parseChoice<T extends string>(raw: string, choices: readonly T[]): T {
  const value = raw.trim().toLowerCase()
  if (!(choices as readonly string[]).includes(value)) throw new SettingProblem(`one of ${choices.join(', ')}`)
  return value as T
}

export function parseInteger(raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new SettingProblem(`a whole number from ${min} to ${max}`)
  const value = Number(raw.trim())
  if (value < min || value > max) throw new SettingProblem(`a whole number from ${min} to ${max}`)
  return value
}

/** A duration with its unit (`30s`, `500ms`, `5m`, `1h`), as milliseconds: the rule flags follow too (src/support/durations.ts). */
export function parseDurationSetting(raw: string, minMs: number, maxMs: number): number {
  const expected = `a duration with its unit from ${formatDuration(minMs)} to ${formatDuration(maxMs)}, e.g. 30s, 500ms or 5m`
  const ms = parseDuration(raw)
  if (ms === undefined || ms < minMs || ms > maxMs) throw new SettingProblem(expected)
  return ms
}

/** `name: value` pairs separated by newlines or commas, e.g. `authorization: Bearer abc`. */
export function parseHeaders(raw: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const pair of raw.split(/[\n,]/).map((p) => p.trim()).filter(Boolean)) {
    const colon = pair.indexOf(':')
    const name = colon > 0 ? pair.slice(0, colon).trim().toLowerCase() : ''
    if (!/^[a-z0-9-]+$/.test(name) || colon === pair.length - 1) {
      throw new SettingProblem('"name: value" pairs separated by commas or newlines, e.g. "authorization: Bearer <key>"')
    }
    headers[name] = pair.slice(colon + 1).trim()
  }
  return headers
}

/** A host name or IP address to listen on (no scheme, no port). */
export function parseHost(raw: string): string {
  const host = raw.trim()
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(host) && !/^[0-9A-Fa-f:]{2,39}$/.test(host)) throw new SettingProblem('a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0')
  return host
}

/** A Sui private key as the CLI exports it (bech32, `suiprivkey1…`). */
export function parsePrivateKey(raw: string): string {
  if (!/^suiprivkey1[02-9ac-hj-np-z]{20,}$/.test(raw.trim())) throw new SettingProblem('a Sui private key in bech32 form (suiprivkey1…)')
  return raw.trim()
}
