// The documentation written from the code, so it cannot drift from it: docs/commands.md from
// oclif.manifest.json (every command, its arguments, flags and examples, as `--help` shows them)
// and the README's configuration table from src/config/settings.ts. `npm run docs` rewrites both;
// test/docs/generated-docs.test.ts fails when either differs from what this file writes.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {SETTINGS} from '../src/config/settings.ts'
import {ROOT} from './manifest.ts'

export const COMMANDS_DOC = 'docs/commands.md'
export const README = 'README.md'
const TABLE_BEGIN = '<!-- settings table: written by npm run docs from src/config/settings.ts -->'
const TABLE_END = '<!-- end of settings table -->'

/**
 * What confio reads from the environment outside the settings table: read before the
 * configuration is (bin/ runs them before any of confio's code loads), or naming where it is.
 */
export const PROCESS_VARIABLES: readonly {name: string; fallback: string; description: string; readIn: string}[] = [
  {name: 'CONFIO_CONFIG', fallback: './confio.config.json if present', description: 'path of the JSON config file', readIn: 'src/config/config.ts'},
  {
    name: 'CONFIO_HEAP_MB',
    fallback: '192',
    description: 'V8 old-generation cap of poll and run, in MB; with it 8 MB young-generation semi-spaces, an old generation that starts at 64 MB, and Buffers counted in the global heap limit (0: V8 defaults)',
    readIn: 'bin/heap-limit.js',
  },
  {name: 'NODE_COMPILE_CACHE', fallback: 'node-compile-cache in the temporary directory', description: "folder of Node's compile cache (about 150 ms less per start)", readIn: 'bin/run.js'},
]

interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  summary?: string
  description?: string
  helpGroup?: string
  hidden?: boolean
  default?: unknown
  options?: string[]
  multiple?: boolean
  required?: boolean
  exclusive?: string[]
  dependsOn?: string[]
}
interface ManifestCommand {
  id: string
  summary?: string
  description?: string
  hidden?: boolean
  args: Record<string, {name: string; description?: string; required?: boolean}>
  flags: Record<string, ManifestFlag>
  examples?: (string | {description: string; command: string})[]
}
export interface Manifest {
  commands: Record<string, ManifestCommand>
}

export function readManifest(): Manifest {
  return JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as Manifest
}

/** `accounts:import` as an operator types it. */
const spoken = (id: string): string => `confio ${id.replaceAll(':', ' ')}`
const anchor = (id: string): string => spoken(id).replaceAll(' ', '-')
const bin = (text: string): string => text.replaceAll('<%= config.bin %>', 'confio')
const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ')

function flagUsage(flag: ManifestFlag): string {
  const names = flag.char ? `-${flag.char}, --${flag.name}` : `--${flag.name}`
  if (flag.type === 'boolean') return names
  return `${names} ${flag.options ? flag.options.join('\\|') : 'VALUE'}`
}

function flagMeaning(flag: ManifestFlag): string {
  const parts = [flag.summary ?? flag.description ?? '']
  if (flag.default !== undefined && flag.default !== false) parts.push(`Default: \`${String(flag.default)}\`.`)
  if (flag.required) parts.push('Required.')
  if (flag.multiple && !/repeatable/i.test(parts[0] ?? '')) parts.push('Repeatable.')
  if (flag.exclusive?.length) parts.push(`Not with ${flag.exclusive.map((name) => `\`--${name}\``).join(', ')}.`)
  if (flag.dependsOn?.length) parts.push(`Needs ${flag.dependsOn.map((name) => `\`--${name}\``).join(', ')}.`)
  return parts.filter(Boolean).join(' ')
}

/** A description's paragraphs; an indented one (a sample file) is kept as it is, in a code block. */
function paragraphs(description: string): string[] {
  return description.split('\n\n').flatMap((paragraph, index) => {
    const lines = paragraph.split('\n')
    const block = lines.every((line) => line.startsWith('  ')) ? ['```', ...lines.map((line) => line.slice(2)), '```'] : [paragraph]
    return index === 0 ? block : ['', ...block]
  })
}

/** docs/commands.md: every visible command of the manifest, in the order `confio --help` lists them. */
export function commandsMarkdown(manifest: Manifest): string {
  const commands = Object.values(manifest.commands).filter((command) => !command.hidden)
  const lines: string[] = [
    '# confio commands',
    '',
    '<!-- Written by `npm run docs` from oclif.manifest.json; a test fails when it is out of date. Do not edit. -->',
    '',
    'Every command takes `--json` (its result, or `{"error": {code, message, remedy, exitCode}}`), `--log-level`,',
    '`--database-url`, `--redis-url` and `--grpc-url` (the settings `LOG_LEVEL`, `DATABASE_URL`, `REDIS_URL` and',
    '`SUI_GRPC_URL` for this run). Exit codes: `0` ok, `1` runtime failure, `2` bad usage or configuration.',
    '`confio COMMAND --help` shows the same as this page; [operations.md](operations.md) tells how the',
    'commands run as processes. `confio autocomplete` sets up shell completion (see the README).',
    '',
    ...commands.map((command) => `- [\`${spoken(command.id)}\`](#${anchor(command.id)}): ${command.summary ?? ''}`),
  ]
  for (const command of commands) {
    const args = Object.values(command.args)
    const flags = Object.values(command.flags).filter((flag) => !flag.hidden && flag.helpGroup !== 'GLOBAL')
    const usage = [spoken(command.id), ...args.map((arg) => (arg.required ? arg.name.toUpperCase() : `[${arg.name.toUpperCase()}]`)), ...(flags.length ? ['[FLAGS]'] : [])]
    lines.push('', `## ${spoken(command.id)}`, '', command.summary ?? '', '', '```', usage.join(' '), '```')
    if (command.description) lines.push('', ...paragraphs(command.description))
    if (args.length) {
      lines.push('', '| argument | meaning |', '| --- | --- |')
      for (const arg of args) lines.push(`| \`${arg.name.toUpperCase()}\` | ${cell(`${arg.description ?? ''}${arg.required ? ' Required.' : ''}`)} |`)
    }
    if (flags.length) {
      lines.push('', '| flag | meaning |', '| --- | --- |')
      for (const flag of flags) lines.push(`| \`${flagUsage(flag)}\` | ${cell(flagMeaning(flag))} |`)
    }
    if (command.examples?.length) {
      lines.push('', 'Examples:', '', '```bash')
      for (const example of command.examples) {
        if (typeof example === 'string') lines.push(bin(example))
        else lines.push(`# ${example.description}`, bin(example.command))
      }
      lines.push('```')
    }
  }
  return `${lines.join('\n')}\n`
}

/** The README's configuration table: every setting, its default and meaning, secrets marked. */
function settingsTable(): string {
  const rows = SETTINGS.map((setting) => {
    const fallback = typeof setting.fallback === 'string' ? (setting.fallback === '' ? '' : `\`${setting.fallback}\``) : setting.fallback ? 'see meaning' : ''
    const aliases = setting.aliases?.length ? ` (also read as ${setting.aliases.map((alias) => `\`${alias}\``).join(', ')})` : ''
    const secret = setting.secret ? ' (**secret**)' : ''
    return `| \`${setting.name}\` | ${fallback} | ${cell(setting.description)}${aliases}${secret} |`
  })
  const variables = PROCESS_VARIABLES.map((variable) => `| \`${variable.name}\` | ${variable.fallback} | ${cell(variable.description)} |`)
  return ['| setting | default | meaning |', '| --- | --- | --- |', ...rows, ...variables].join('\n')
}

/** The README with its configuration table as settingsTable() writes it. */
export function readmeWithSettingsTable(readme: string): string {
  return betweenMarkers(readme, README, TABLE_BEGIN, TABLE_END, settingsTable())
}

/** `doc` (named `name` in errors) with what stands between its two marker lines replaced by `body`. */
export function betweenMarkers(doc: string, name: string, begin: string, end: string, body: string): string {
  const from = doc.indexOf(begin)
  const to = doc.indexOf(end)
  if (from < 0 || to < from) throw new Error(`${name} has no "${begin}" … "${end}" markers`)
  return `${doc.slice(0, from + begin.length)}\n${body}\n${doc.slice(to)}`
}
