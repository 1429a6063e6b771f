#!/usr/bin/env node
// Same as run.js, with oclif's development mode: full stack traces and no manifest cache.
import {fileURLToPath} from 'node:url'
import {ensureRuntime} from './node-runtime.js'

await ensureRuntime(fileURLToPath(import.meta.url))
const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
