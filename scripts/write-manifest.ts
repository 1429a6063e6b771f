import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {buildManifest, ROOT} from './manifest.ts'

writeFileSync(join(ROOT, 'oclif.manifest.json'), await buildManifest())
console.log('wrote oclif.manifest.json')
