// oclif.manifest.json lets the CLI list commands without loading every command file. It is
// committed, so it must match the commands: `npm run manifest` rewrites it and a test compares.
import {Plugin} from '@oclif/core'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export async function buildManifest(): Promise<string> {
  const plugin = new Plugin({root: ROOT, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true})
  await plugin.load()
  // oclif lists the commands in the order their modules finished loading, which varies from run
  // to run: sorted, the file is the same whoever writes it.
  const {commands, ...rest} = plugin.manifest
  const sorted = Object.fromEntries(Object.entries(commands).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return `${JSON.stringify({commands: sorted, ...rest}, null, 2)}\n`
}
