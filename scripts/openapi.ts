// docs/openapi.json is the OpenAPI document `confio serve` serves at /v1/openapi.json, built from
// the route schemas (src/api/). It is committed, so it must match them: `npm run openapi` rewrites
// it and a test compares (test/api/openapi.test.ts).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {openApiDocument} from '../src/api/api-app.ts'
import {ROOT} from './manifest.ts'

export const OPENAPI_PATH = join(ROOT, 'docs', 'openapi.json')

export async function buildOpenApi(): Promise<string> {
  const {version} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
  return `${JSON.stringify(await openApiDocument(version), null, 2)}\n`
}
