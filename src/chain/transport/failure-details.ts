// A failed call's details as a person should read them. grpc-js wraps a connection failure in
// its own words ("No connection established. Last error: Error: connect ECONNREFUSED
// 127.0.0.1:1. Resolution note: ") and OpenSSL adds its error queue with source file names; what
// helps is the cause in the middle. ChainError keeps the raw text (logs, --log-level debug); this
// is for the one line confio prints.

// Each pattern is a wrapper seen from grpc-js 1.14 or Node 24; the cause sits between them.
const WRAPPERS: readonly RegExp[] = [
  /\.?\s*Resolution note:[\s\S]*$/, // grpc-js: the resolver's note, empty for a plain host:port
  /^No connection established\. Last error:\s*/, // grpc-js: the subchannel's last error follows
  /^Error(?: \[[A-Z_]+\])?:\s*/, // an Error's toString(), e.g. "Error [ERR_TLS_CERT_ALTNAME_INVALID]: "
  / \(\d{4}-\d\d-\d\dT[\d:.]+Z\)/, // grpc-js stamps "Failed to connect" and "Protocol error" with a time
  /; if the root CA is installed locally, try running Node\.js with --use-system-ca/, // Node 24; the remedy says it
]

// OpenSSL: "40BD…:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/…c:77:"
const OPENSSL_REASON = /SSL routines:[^:]*:([^:]+):/

export function readableDetails(details: string): string {
  let text = details
  for (const wrapper of WRAPPERS) text = text.replace(wrapper, '')
  const ssl = OPENSSL_REASON.exec(text)
  if (ssl?.[1]) text = ssl[1]
  const line = (text.split('\n')[0] ?? '').trim().replace(/\.$/, '')
  return line.length > 160 ? `${line.slice(0, 157)}...` : line
}
