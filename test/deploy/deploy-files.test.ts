// The deploy files (deploy/, Dockerfile, compose.yaml) are read by systemd, Docker and Prometheus,
// none of which runs here: these checks read them as those tools would and hold every command,
// flag and setting they name against the CLI's manifest and the settings table, so a renamed flag
// or setting breaks a test, not a deployment. The systemd units are also verified by
// `systemd-analyze verify` where the machine has it.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, relative, resolve} from 'node:path'
import {parse as parseYaml} from 'yaml'
import {STOP_GRACE_MS} from '../../cli/base-command.ts'
import {PROCESS_VARIABLES, readManifest} from '../../scripts/docs.ts'
import {SETTINGS} from '../../src/config/settings.ts'
import {ROOT, runCli} from '../support/cli.ts'

const manifest = readManifest()
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')
const INSTALL_DIR = '/opt/confio'
const UNITS = ['confio-poll.service', 'confio-worker@.service', 'confio-beat.service', 'confio-serve.service']
/** Every name confio reads: the settings table, its aliases, and what bin/ reads before it. */
const KNOWN_SETTINGS = new Set([...SETTINGS.flatMap((setting) => [setting.name, ...(setting.aliases ?? [])]), ...PROCESS_VARIABLES.map((variable) => variable.name)])

/** A confio command line (`poll --metrics-port 9184`): the command's id and the flags it passes. */
function checkCommandLine(args: readonly string[], where: string): string {
  const words = args.filter((arg) => !arg.startsWith('-'))
  let id: string | undefined
  for (let length = words.length; length > 0 && !id; length--) {
    const candidate = words.slice(0, length).join(':')
    if (manifest.commands[candidate] && args.slice(0, length).every((arg) => !arg.startsWith('-'))) id = candidate
  }
  assert.ok(id, `${where}: "${args.join(' ')}" names no confio command`)
  const flags = manifest.commands[id]!.flags
  for (const arg of args.filter((word) => word.startsWith('--'))) {
    const name = arg.slice(2).split('=')[0]!
    assert.ok(flags[name], `${where}: confio ${id.replaceAll(':', ' ')} has no flag --${name}`)
  }
  return id
}

/** Seconds of a systemd or compose duration: `20s`, `1min 30s`, `20`. */
function seconds(text: string): number {
  let total = 0
  for (const [, value, unit] of text.matchAll(/(\d+)\s*(ms|s|min|m|h)?/g)) {
    total += Number(value) * ({ms: 0.001, s: 1, min: 60, m: 60, h: 3600}[unit ?? 's'] ?? 1)
  }
  return total
}

/** A unit file as systemd reads it: sections of key=value lines; a key given twice keeps every value. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>()
  let section: Map<string, string[]> | undefined
  for (const line of text.split('\n').map((raw) => raw.trim())) {
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header) {
      section = new Map()
      sections.set(header[1]!, section)
      continue
    }
    const [key, ...value] = line.split('=')
    assert.ok(section && value.length > 0, `not a key=value line in a section: ${line}`)
    section.set(key!, [...(section.get(key!) ?? []), value.join('=')])
  }
  return sections
}

describe('deploy files', function () {
  this.timeout(60_000)

  describe('systemd units (deploy/systemd/)', () => {
    const units = UNITS.map((name) => ({name, text: read(`deploy/systemd/${name}`), unit: parseUnit(read(`deploy/systemd/${name}`))}))
    const service = (unit: Map<string, Map<string, string[]>>, key: string): string | undefined => unit.get('Service')?.get(key)?.at(-1)
    /** ExecStart as it runs here: the install folder is this checkout, the worker instance 1. */
    const execStart = (unit: Map<string, Map<string, string[]>>): string[] => service(unit, 'ExecStart')!.replaceAll('%i', '1').split(/\s+/)

    it('restart always, stop gracefully within their stop timeout, and run hardened as the confio user', () => {
      for (const {name, unit} of units) {
        assert.equal(service(unit, 'Restart'), 'always', name)
        assert.equal(service(unit, 'KillSignal'), 'SIGTERM', name)
        // confio gives up on a graceful stop after STOP_GRACE_MS; systemd must not SIGKILL it sooner.
        assert.ok(seconds(service(unit, 'TimeoutStopSec') ?? '90s') >= STOP_GRACE_MS / 1000 + 5, `${name}: TimeoutStopSec leaves confio's ${STOP_GRACE_MS} ms no room`)
        assert.equal(service(unit, 'User'), 'confio', name)
        assert.equal(service(unit, 'NoNewPrivileges'), 'yes', name)
        assert.equal(service(unit, 'ProtectSystem'), 'strict', name)
        assert.equal(service(unit, 'EnvironmentFile'), '/etc/confio/confio.env', name)
        assert.equal(unit.get('Install')?.get('WantedBy')?.[0], 'multi-user.target', name)
      }
    })

    it('start confio commands and flags the CLI has', () => {
      const commands = units.map(({name, unit}) => {
        const [program, ...args] = execStart(unit)
        assert.equal(program, `${INSTALL_DIR}/bin/run.js`, name)
        return checkCommandLine(args, name)
      })
      assert.deepEqual(commands, ['poll', 'worker', 'beat', 'serve'])
      for (const {name, unit} of units) {
        for (const assignment of unit.get('Service')?.get('Environment') ?? []) {
          const setting = assignment.split('=')[0]!
          assert.ok(KNOWN_SETTINGS.has(setting), `${name}: Environment=${setting} is not a setting confio reads`)
        }
      }
    })

    it('have command lines that run (each with --help)', async () => {
      for (const {name, unit} of units) {
        const [, ...args] = execStart(unit)
        const result = await runCli([...args, '--help'])
        assert.equal(result.code, 0, `${name}: ${result.stderr}`)
        assert.match(result.stdout, /^USAGE\n {2}\$ confio /m, name)
      }
    })

    it('pass systemd-analyze verify', function () {
      if (spawnSync('systemd-analyze', ['--version']).status !== 0) this.skip()
      // Verify reads the units as installed: ExecStart must name an executable, here this checkout's.
      const dir = mkdtempSync(join(tmpdir(), 'confio-units-'))
      const paths = units.map(({name, text}) => {
        const path = join(dir, name.replace('@.', '@1.'))
        writeFileSync(path, text.replaceAll(INSTALL_DIR, ROOT.replace(/\/$/, '')))
        return path
      })
      const result = spawnSync('systemd-analyze', ['verify', ...paths], {encoding: 'utf8', env: {...process.env, SYSTEMD_LOG_COLOR: '0'}})
      assert.equal(result.status, 0, result.stderr)
      // Unknown keys and bad values are warnings, exit 0: any line is a failure.
      assert.equal(result.stderr.trim(), '')
    })
  })

  describe('the settings file (deploy/confio.env.example)', () => {
    const text = read('deploy/confio.env.example')
    const lines = text.split('\n')
    const entries = lines.flatMap((line, index) => {
      const match = /^#?([A-Z][A-Z0-9_]*)=/.exec(line)
      return match ? [{name: match[1]!, index}] : []
    })

    it('names every setting, and only settings confio reads', () => {
      const named = new Set(entries.map((entry) => entry.name))
      for (const setting of SETTINGS) assert.ok(named.has(setting.name), `${setting.name} is missing`)
      for (const {name} of entries) assert.ok(KNOWN_SETTINGS.has(name), `${name} is not a setting confio reads`)
    })

    it('marks every secret', () => {
      for (const setting of SETTINGS.filter((candidate) => candidate.secret)) {
        const entry = entries.find((candidate) => candidate.name === setting.name)!
        assert.match(lines[entry.index - 1] ?? '', /SECRET/, `${setting.name} is a secret: the comment line above it must say SECRET`)
      }
    })

    it('is plain KEY=value lines, which systemd and compose read alike', () => {
      for (const line of lines.filter((candidate) => candidate !== '' && !candidate.startsWith('#'))) {
        assert.match(line, /^[A-Z][A-Z0-9_]*=[^"'\s][^"']*$|^[A-Z][A-Z0-9_]*=$/, line)
      }
    })
  })

  describe('Docker (Dockerfile, compose.yaml)', () => {
    const dockerfile = read('Dockerfile')
    const compose = parseYaml(read('compose.yaml'), {merge: true}) as {services: Record<string, ComposeService>; volumes?: Record<string, unknown>}
    interface ComposeService {
      build?: unknown
      image?: string
      command?: string[]
      environment?: Record<string, string>
      env_file?: {path: string; required?: boolean}[]
      depends_on?: Record<string, {condition: string}> | string[]
      deploy?: {replicas?: number}
      restart?: string
      stop_grace_period?: string
      healthcheck?: {test: string[]}
      volumes?: string[]
    }
    const confioServices = Object.entries(compose.services).filter(([, service]) => service.build === '.')

    it('builds Node 24 in stages and runs confio as a user without privileges', () => {
      const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1]!)
      assert.ok(stages.length >= 2, 'a multi-stage build')
      for (const image of stages) assert.match(image, /^node:24[-.]/)
      assert.match(dockerfile, /^RUN npm ci\b/m)
      const user = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1]
      assert.ok(user && user !== 'root' && user !== '0', 'the image runs as a user other than root')
      assert.match(dockerfile, /^ENTRYPOINT \["confio"\]$/m)
    })

    it('copies into the image every folder the CLI loads code from', () => {
      const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))
      const copied = new Set([...runtime.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(/\s+/)))
      const ignored = read('.dockerignore').split('\n').filter((line) => line && !line.startsWith('#'))
      for (const path of copied) {
        assert.ok(existsSync(join(ROOT, path)), `COPY ${path}: no such file`)
        assert.ok(!ignored.includes(path), `COPY ${path}, which .dockerignore leaves out`)
      }
      // Every relative import of the code the CLI runs stays inside the folders copied: from bin/run.js,
      // the commands and the hooks oclif loads by path (package.json's oclif section).
      const oclif = (JSON.parse(read('package.json')) as {oclif: {commands: string; hooks: Record<string, string>}}).oclif
      const commandFiles = readdirSync(join(ROOT, oclif.commands), {recursive: true, encoding: 'utf8'}).filter((path) => path.endsWith('.ts'))
      const pending = ['bin/run.js', ...commandFiles.map((path) => join(oclif.commands, path)), ...Object.values(oclif.hooks).map((path) => relative(ROOT, join(ROOT, path)))]
      const seen = new Set<string>()
      while (pending.length > 0) {
        const file = pending.pop()!
        if (seen.has(file)) continue
        seen.add(file)
        assert.ok(copied.has(file.split('/')[0]!), `${file} is loaded by the CLI but not copied into the image`)
        for (const [, target] of read(file).matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
          pending.push(relative(ROOT, resolve(dirname(join(ROOT, file)), target!)))
        }
      }
      // Loaded by path, not imported: knex's migrations.
      assert.ok(copied.has('src'), 'src/store/migrations is not copied')
      assert.ok(seen.size > 20, `followed only ${seen.size} files from bin/run.js`)
    })

    it('runs every service the issues name: the database, Redis, migrate once, poll, two workers, beat, serve, Prometheus, Grafana', () => {
      assert.deepEqual(Object.keys(compose.services).sort(), ['beat', 'grafana', 'migrate', 'poll', 'postgres', 'prometheus', 'redis', 'serve', 'worker'])
      assert.deepEqual(compose.services.migrate?.command, ['migrate'])
      assert.equal(compose.services.migrate?.restart, 'no')
      assert.equal(compose.services.worker?.deploy?.replicas, 2)
      for (const name of ['poll', 'worker', 'beat', 'serve']) {
        const service = compose.services[name]!
        assert.equal(service.restart, 'always', name)
        assert.deepEqual((service.depends_on as Record<string, {condition: string}>).migrate, {condition: 'service_completed_successfully'}, name)
        assert.ok(seconds(service.stop_grace_period ?? '10s') >= STOP_GRACE_MS / 1000 + 5, `${name}: stop_grace_period leaves confio's ${STOP_GRACE_MS} ms no room`)
      }
    })

    it('passes confio only commands, flags and settings it has', () => {
      for (const [name, service] of confioServices) {
        checkCommandLine(service.command ?? [], `compose service ${name}`)
        for (const setting of Object.keys(service.environment ?? {})) assert.ok(KNOWN_SETTINGS.has(setting), `compose service ${name}: ${setting} is not a setting`)
        for (const file of service.env_file ?? []) assert.ok(existsSync(join(ROOT, `${file.path}.example`)), `${file.path}: no ${file.path}.example to copy it from`)
      }
      assert.deepEqual(confioServices.map(([name]) => name).sort(), ['beat', 'migrate', 'poll', 'serve', 'worker'])
    })

    it('has Prometheus scrape every confio process at its metrics port', () => {
      const prometheus = parseYaml(read('deploy/prometheus/prometheus.yml')) as {
        scrape_configs: {job_name: string; dns_sd_configs?: {names: string[]; port: number}[]}[]
      }
      for (const name of ['poll', 'worker', 'beat', 'serve']) {
        const command = compose.services[name]!.command!
        const port = Number(command[command.indexOf('--metrics-port') + 1])
        assert.ok(command.includes('--metrics-port') && port > 0, `${name} serves no metrics`)
        const job = prometheus.scrape_configs.find((config) => config.dns_sd_configs?.some((sd) => sd.names.includes(name) && sd.port === port))
        assert.ok(job, `no scrape job for ${name} on port ${port}`)
        assert.ok(JSON.stringify(compose.services[name]!.healthcheck?.test).includes(`:${port}/readyz`), `${name}'s health check asks another port than ${port}`)
      }
    })

    it('mounts files that exist, and provisions Grafana with the dashboard folder and the Prometheus data source', () => {
      for (const [name, service] of Object.entries(compose.services)) {
        for (const volume of service.volumes ?? []) {
          const [source] = volume.split(':')
          if (source!.startsWith('.')) assert.ok(existsSync(join(ROOT, source!)), `${name} mounts ${source}, which does not exist`)
          else assert.ok(compose.volumes && source! in compose.volumes, `${name} mounts the undeclared volume ${source}`)
        }
      }
      const grafana = compose.services.grafana!
      const mount = grafana.volumes!.find((volume) => volume.startsWith('./deploy/grafana:'))!.split(':')[1]!
      assert.equal(grafana.environment?.GF_PATHS_PROVISIONING, `${mount}/provisioning`)
      const datasources = parseYaml(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {datasources: {uid: string; type: string; url: string}[]}
      assert.deepEqual(
        datasources.datasources.map(({uid, type, url}) => ({uid, type, url})),
        [{uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090'}],
      )
      const dashboards = parseYaml(read('deploy/grafana/provisioning/dashboards/confio.yml')) as {providers: {options: {path: string}}[]}
      assert.equal(dashboards.providers[0]?.options.path, mount)
    })
  })

  it('are each named in the README', () => {
    const readme = read('README.md')
    const files = ['Dockerfile', 'compose.yaml', ...readdirSync(join(ROOT, 'deploy'), {recursive: true, encoding: 'utf8'}).filter((path) => statSync(join(ROOT, 'deploy', path)).isFile()).map((path) => `deploy/${path}`)]
    // Named itself, or a folder holding it (deploy/grafana/ for its provisioning files).
    const folders = (file: string): string[] => file.split('/').slice(1, -1).map((_, index, parts) => `deploy/${parts.slice(0, index + 1).join('/')}/`)
    for (const file of files) assert.ok(readme.includes(file) || folders(file).some((folder) => readme.includes(folder)), `README.md does not name ${file}`)
  })
})
