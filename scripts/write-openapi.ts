import {writeFileSync} from 'node:fs'
import {buildOpenApi, OPENAPI_PATH} from './openapi.ts'

writeFileSync(OPENAPI_PATH, await buildOpenApi())
console.log('wrote docs/openapi.json')
