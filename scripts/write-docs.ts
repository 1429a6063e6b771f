import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {COMMANDS_DOC, commandsMarkdown, README, readManifest, readmeWithSettingsTable} from './docs.ts'
import {ROOT} from './manifest.ts'

writeFileSync(join(ROOT, COMMANDS_DOC), commandsMarkdown(readManifest()))
writeFileSync(join(ROOT, README), readmeWithSettingsTable(readFileSync(join(ROOT, README), 'utf8')))
console.log(`wrote ${COMMANDS_DOC} and the configuration table of ${README}`)
