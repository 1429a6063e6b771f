// oclif.manifest.json lets the CLI list commands without loading every command file. It is
// committed, so it must match the commands: `npm run manifest` rewrites it and a test compares.
import {Plugin} from '@oclif/core'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export async function buildManifest(): Promise<string> {
  const plugin = new Plugin({root: ROOT, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true})
  await plugin.load()
  return `${JSON.stringify(plugin.manifest, null, 2)}\n`
}
