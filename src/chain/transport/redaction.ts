// Secrets (the token, header values, a key embedded in the URL) must never reach an error
// message or a log line. Error text from the server is not trusted to be clean either: a proxy
// may echo the request headers back in its status details. Everything the layer puts into a
// message goes through a Redactor built from the options.
import type {ChainOptions} from '../chain-options.ts'

const MASK = '***'

// Shorter values would mask ordinary words in status details; no real credential is that short.
const MIN_SECRET_LENGTH = 4

export class Redactor {
  readonly #secrets: string[]

  constructor(secrets: Iterable<string>) {
    // Longest first, so a secret that contains another is masked whole.
    this.#secrets = [...new Set([...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length)
  }

  static forOptions(options: Pick<ChainOptions, 'url' | 'token' | 'headers'>): Redactor {
    const secrets: string[] = []
    if (options.token) secrets.push(options.token)
    for (const value of Object.values(options.headers ?? {})) {
      secrets.push(value)
      // `authorization: Bearer <key>`: the key alone may be echoed without its scheme word.
      const parts = value.split(/\s+/)
      if (parts.length > 1) secrets.push(...parts.slice(1))
    }
    secrets.push(...urlSecrets(options.url))
    return new Redactor(secrets)
  }

  redact(text: string): string {
    let out = text
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.split(secret).join(MASK)
    }
    return out
  }
}

/**
 * The endpoint as it may be shown: scheme, host and port; user info, query and every path
 * segment masked (QuickNode-style URLs carry the key as a path segment).
 */
export function redactEndpoint(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return '(invalid url)'
  }
  const segments = parsed.pathname.split('/').filter(Boolean)
  const path = segments.length > 0 ? '/' + segments.map(() => MASK).join('/') : ''
  const userInfo = parsed.username || parsed.password ? `${MASK}@` : ''
  const query = parsed.search ? `?${MASK}` : ''
  return `${parsed.protocol}//${userInfo}${parsed.host}${path}${query}`
}

function urlSecrets(url: string): string[] {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return []
  }
  const secrets = [parsed.username, parsed.password, ...parsed.pathname.split('/')]
  for (const value of parsed.searchParams.values()) secrets.push(value)
  return secrets.filter(Boolean).map((s) => decodeURIComponentSafe(s))
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
