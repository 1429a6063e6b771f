#!/usr/bin/env node
// confio runs its TypeScript sources directly: Node >= 22.18 strips types natively, so there is
// no build step between a checkout and a running poller. An older Node hands over to the one in
// .tools/ (node-runtime.js) before anything of confio's is loaded.
import {fileURLToPath} from 'node:url'
import {applyHeapLimit} from './heap-limit.js'
import {ensureRuntime} from './node-runtime.js'

await ensureRuntime(fileURLToPath(import.meta.url))
applyHeapLimit(fileURLToPath(import.meta.url))
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
