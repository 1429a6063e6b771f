// Shell completion comes from @oclif/plugin-autocomplete (package.json oclif.plugins): it builds its
// scripts from the same manifests the CLI lists its commands from, so every command and flag
// completes, in the "confio accounts list" form operators type.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {emptyDir, ROOT, runCli} from '../support/cli.ts'

interface Manifest {
  commands: Record<string, {flags: Record<string, {hidden?: boolean}>; hidden?: boolean}>
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as Manifest

describe('shell completion', function () {
  this.timeout(60_000)

  it('completes every command and its flags in bash and zsh', async () => {
    const cache = emptyDir()
    const result = await runCli(['autocomplete', '--refresh-cache'], {env: {XDG_CACHE_HOME: cache}})
    assert.equal(result.code, 0, result.stderr)
    const functions = join(cache, 'confio', 'autocomplete', 'functions')
    const bash = readFileSync(join(functions, 'bash', 'confio.bash'), 'utf8')
    const zsh = readFileSync(join(functions, 'zsh', '_confio'), 'utf8')
    for (const [id, command] of Object.entries(manifest.commands)) {
      if (command.hidden) continue
      const flags = Object.entries(command.flags).filter(([, flag]) => !flag.hidden).map(([name]) => `--${name}`)
      const line = bash.split('\n').find((candidate) => candidate.startsWith(`${id} `))
      assert.ok(line, `bash completion lacks ${id}`)
      for (const flag of flags) assert.ok(line.split(' ').includes(flag), `bash completion of ${id} lacks ${flag}`)
      assert.ok(zsh.includes(`"${id.split(':').at(-1)}`), `zsh completion lacks ${id}`)
    }
  })

  it('prints the setup line a shell profile sources', async () => {
    const cache = emptyDir()
    const result = await runCli(['autocomplete', 'script', 'bash'], {env: {XDG_CACHE_HOME: cache}})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /CONFIO_AC_BASH_SETUP_PATH=.*bash_setup/)
  })
})
