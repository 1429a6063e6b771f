// docs/commands.md and the README's configuration table are written from the code (npm run docs,
// scripts/docs.ts): each must be what the script writes now, and the README stays a five-minute read.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {COMMANDS_DOC, commandsMarkdown, PROCESS_VARIABLES, README, readManifest, readmeWithSettingsTable} from '../../scripts/docs.ts'
import {SETTINGS} from '../../src/config/settings.ts'
import {ROOT} from '../support/cli.ts'

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')

describe('generated documentation', () => {
  it(`${COMMANDS_DOC} is up to date with oclif.manifest.json (npm run docs rewrites it)`, () => {
    assert.equal(read(COMMANDS_DOC), commandsMarkdown(readManifest()))
  })

  it(`${README}'s configuration table is up to date with src/config/settings.ts (npm run docs rewrites it)`, () => {
    const readme = read(README)
    assert.equal(readme, readmeWithSettingsTable(readme))
    for (const setting of SETTINGS) assert.match(readme, new RegExp(`^\\| \`${setting.name}\` \\|`, 'm'))
  })

  it('documents every command and flag the manifest has', () => {
    const doc = read(COMMANDS_DOC)
    for (const [id, command] of Object.entries(readManifest().commands)) {
      if (command.hidden) continue
      assert.ok(doc.includes(`\n## confio ${id.replaceAll(':', ' ')}\n`), id)
      for (const flag of Object.values(command.flags)) if (!flag.hidden && flag.helpGroup !== 'GLOBAL') assert.ok(doc.includes(`--${flag.name}`), `${id} --${flag.name}`)
    }
  })

  it(`shows every command in ${README}, where a user learns them`, () => {
    const readme = read(README)
    for (const [id, command] of Object.entries(readManifest().commands)) {
      if (!command.hidden) assert.ok(readme.includes(`confio ${id.replaceAll(':', ' ')}`), `${README} never shows confio ${id.replaceAll(':', ' ')}`)
    }
  })

  it('names only environment variables outside the settings table that confio reads', () => {
    for (const variable of PROCESS_VARIABLES) assert.ok(read(variable.readIn).includes(variable.name), `${variable.name} is not read in ${variable.readIn}`)
  })

  it(`keeps ${README} to 250 lines, its local links pointing at files that exist`, () => {
    const readme = read(README)
    assert.ok(readme.split('\n').length <= 250, `${README} has ${readme.split('\n').length} lines`)
    for (const doc of [README, 'docs/operations.md', 'docs/design.md', COMMANDS_DOC]) {
      for (const [, target] of read(doc).matchAll(/\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)/g)) {
        assert.ok(existsSync(join(ROOT, dirname(doc), target!)), `${doc} links to ${target}, which does not exist`)
      }
    }
  })
})
