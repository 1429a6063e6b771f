#!/usr/bin/env bash
# Runs a command with a Node that can run confio first on PATH (see ensure-node.sh): every npm
# script goes through here, so `npm test` and `npm run demo` work on a machine whose Node is 20.
# Every such script needs the dependencies: without node_modules (`npm run demo` on a fresh clone)
# it says so in one line instead of Node's ERR_MODULE_NOT_FOUND trace, before fetching any Node.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -d "$_root/node_modules" ]; then
  echo "confio's dependencies are not installed (no node_modules in $_root): run \`npm ci\` there first" >&2
  exit 2
fi
source "$_root/scripts/ensure-node.sh" || exit 1
exec "$@"
