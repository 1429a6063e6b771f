#!/usr/bin/env node
// confio runs its TypeScript sources directly: Node >= 22.18 strips types natively,
// so there is no build step between a checkout and a running poller.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
