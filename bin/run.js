#!/usr/bin/env node
// confio runs its TypeScript sources directly: Node >= 22.18 strips types natively, so there is
// no build step between a checkout and a running poller. An older Node hands over to the one in
// .tools/ (node-runtime.js) before anything of confio's is loaded.
import module from 'node:module'
import {fileURLToPath} from 'node:url'
import {applyHeapLimit} from './heap-limit.js'
import {ensureRuntime} from './node-runtime.js'

await ensureRuntime(fileURLToPath(import.meta.url))
applyHeapLimit(fileURLToPath(import.meta.url))
// Every command is a fresh process that loads a few hundred modules; Node's on-disk compile cache
// (NODE_COMPILE_CACHE, or its default folder under the temporary directory) keeps their stripped
// and compiled code between runs: ~150 ms less per start. A cache it cannot write is skipped.
module.enableCompileCache?.()
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
