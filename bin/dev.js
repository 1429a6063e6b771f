#!/usr/bin/env node
// Same as run.js, with oclif's development mode: full stack traces and no manifest cache.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
