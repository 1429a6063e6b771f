#!/usr/bin/env bash
# Runs a command with a Node that can run confio first on PATH (see ensure-node.sh): every npm
# script goes through here, so `npm test` and `npm run demo` work on a machine whose Node is 20.
source "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh" || exit 1
exec "$@"
