// Secrets (the gRPC token, header values, passwords inside URLs, private keys) must never reach
// a log line, an error or --json output in full. Values are masked where they are displayed, and
// a scrubber that knows every secret of the running config is the last line of defence on every
// byte a command writes.

const MASK = '***'

/** Shows at most the last 4 characters of a long secret, so an operator can tell two apart. */
export function maskSecret(secret: string): string {
  return secret.length >= 16 ? `${MASK}${secret.slice(-4)}` : MASK
}

/** The URL with its password (and any username that looks like a key) replaced by the mask. */
export function redactUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return value
  }
  if (!url.password) return value
  url.password = MASK
  return url.toString()
}

/** The password of a URL, if it has one, for the scrubber to learn. */
export function urlPassword(value: string): string | undefined {
  try {
    const password = new URL(value).password
    return password ? decodeURIComponent(password) : undefined
  } catch {
    return undefined
  }
}

export class SecretScrubber {
  // Very short values would blank out ordinary words, and no real token is that short.
  static readonly MIN_LENGTH = 4
  private readonly secrets = new Set<string>()

  add(secret: string | undefined): void {
    if (secret && secret.length >= SecretScrubber.MIN_LENGTH) {
      this.secrets.add(secret)
      const encoded = encodeURIComponent(secret)
      if (encoded !== secret) this.secrets.add(encoded)
    }
  }

  scrub(text: string): string {
    let out = text
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(MASK)
    }
    return out
  }
}
