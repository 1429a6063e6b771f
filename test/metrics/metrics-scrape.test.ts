// What the alert rules (deploy/prometheus/confio-alerts.yml) and the dashboard
// (deploy/grafana/confio-dashboard.json) use is served: `poll`, `worker` and `beat` run with
// metrics ports against the local Sui server, a transfer goes through the pipeline, each is
// scraped, and every metric named in an alert's expression or a panel's query must be one of
// theirs. Also the alert file's shape (promtool is not assumed): every rule has a summary, a
// severity and a runbook link to an entry that docs/operations.md has.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {parse as parseYaml} from 'yaml'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {ConfioProcess, eventually, killAll} from '../support/child-process.ts'
import {jsonOf, ROOT, runCli} from '../support/cli.ts'
import {freePort} from '../support/free-port.ts'
import {closeWorld, type PollWorld, pollWorld} from '../ingest/poll-support.ts'

interface AlertRule {
  alert: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

const ALERTS = `${ROOT}/deploy/prometheus/confio-alerts.yml`
const DASHBOARD = `${ROOT}/deploy/grafana/confio-dashboard.json`
const OPERATIONS = `${ROOT}/docs/operations.md`

function alertRules(): AlertRule[] {
  const file = parseYaml(readFileSync(ALERTS, 'utf8')) as {groups?: {name?: string; rules?: AlertRule[]}[]}
  assert.ok(Array.isArray(file.groups) && file.groups.length > 0, 'groups: a list')
  return file.groups.flatMap((group) => {
    assert.equal(typeof group.name, 'string', 'each group has a name')
    assert.ok(Array.isArray(group.rules) && group.rules.length > 0, `group ${group.name}: rules`)
    return group.rules
  })
}

/** Every query of every panel (rows' own panels included). */
function dashboardQueries(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {panels: Panel[]}
  type Panel = {type: string; datasource?: {uid?: string}; targets?: {expr: string; datasource?: {uid?: string}}[]; panels?: Panel[]}
  const all = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...all(p.panels ?? [])])
  return all(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => {
      assert.equal(target.datasource?.uid ?? panel.datasource?.uid, 'prometheus', `a panel's data source is the Prometheus one (uid prometheus): ${target.expr}`)
      return target.expr
    }),
  )
}

/** The metric names a PromQL expression reads (label names and functions are not metrics). */
function metricsOf(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '')
  return [...withoutLabels.matchAll(/\b((?:confio|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!)
}

/** The names a scrape serves: each family's `# TYPE` line, and a histogram's series names. */
function servedNames(text: string): Set<string> {
  const names = new Set<string>()
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!)
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`)
  }
  return names
}

/** Each metric the alert rules and the dashboard name, with where (the first place found). */
function usedMetrics(): Map<string, string> {
  const used = new Map<string, string>()
  for (const rule of alertRules()) for (const name of metricsOf(rule.expr)) if (!used.has(name)) used.set(name, `alert ${rule.alert}`)
  for (const expr of dashboardQueries()) for (const name of metricsOf(expr)) if (!used.has(name)) used.set(name, `dashboard query ${expr}`)
  return used
}

/** GitHub's anchor of a Markdown heading. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-')
}

describe('metrics used by the alerts and the dashboard', function () {
  this.timeout(120_000)
  let world: PollWorld | undefined
  const children: ConfioProcess[] = []

  afterEach(async () => {
    await killAll(children)
    await closeWorld(world)
    world = undefined
  })

  it('the alert rules are well formed, each with a summary, a severity and a runbook entry that exists', () => {
    const anchors = new Set([...readFileSync(OPERATIONS, 'utf8').matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)))
    const rules = alertRules()
    const names = rules.map((rule) => rule.alert)
    assert.equal(new Set(names).size, names.length, `alert names are unique: ${names.join(', ')}`)
    for (const rule of rules) {
      assert.match(rule.alert, /^Confio[A-Za-z]+$/)
      assert.ok(typeof rule.expr === 'string' && metricsOf(rule.expr).length > 0, `${rule.alert}: an expression over confio's metrics`)
      assert.match(rule.for ?? '', /^\d+[smh]$/, `${rule.alert}: for`)
      assert.match(rule.labels?.severity ?? '', /^(critical|warning)$/, `${rule.alert}: severity`)
      assert.ok(rule.annotations?.summary, `${rule.alert}: summary`)
      const link = /^docs\/operations\.md#([a-z0-9-]+)$/.exec(rule.annotations?.runbook_url ?? '')
      assert.ok(link, `${rule.alert}: runbook_url docs/operations.md#<anchor>`)
      assert.ok(anchors.has(link[1]!), `${rule.alert}: docs/operations.md has no heading for #${link[1]}`)
    }
  })

  it('poll, worker and beat serve every metric the alert rules and the dashboard name', async () => {
    const w = (world = await pollWorld())
    const [pollPort, workerPort, beatPort] = [await freePort(), await freePort(), await freePort()]
    children.push(new ConfioProcess(['poll', '--mode', 'poll', '--interval', '200ms', '--from-checkpoint', '1', '--metrics-port', String(pollPort)], w.env))
    children.push(new ConfioProcess(['worker', '--metrics-port', String(workerPort)], w.env))
    children.push(new ConfioProcess(['beat', '--metrics-port', String(beatPort)], w.env))
    w.sui.ledger.transfer({from: w.alice, to: w.bob, coinType: SUI_COIN_TYPE, amount: 5n})
    w.sui.ledger.produceCheckpoint()
    const scrape = async (port: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, {signal: AbortSignal.timeout(5_000)})
      return res.ok ? res.text() : ''
    }
    const texts: string[] = []
    // The transfer's job processed: the pipeline ran end to end with metrics on.
    await eventually(
      async () => {
        const scraped = await Promise.all([pollPort, workerPort, beatPort].map((port) => scrape(port).catch(() => '')))
        texts.splice(0, texts.length, ...scraped)
        return /^confio_jobs_processed_total\{kind="process-transaction"\} [1-9]/m.test(scraped[1]!) && /^confio_queue_jobs\{/m.test(scraped[2]!)
      },
      60_000,
      `the worker processed the transfer and the beat counted the queues:\n${children.map((c) => c.stderr.slice(-2_000)).join('\n')}`,
    )
    for (const [i, port] of [pollPort, workerPort, beatPort].entries()) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`, {signal: AbortSignal.timeout(5_000)})
      assert.equal(ready.status, 200, `${['poll', 'worker', 'beat'][i]} /readyz: ${await ready.text()}`)
    }
    assert.match(texts[0]!, /^confio_process_info\{process="poll"\} 1$/m)
    assert.match(texts[1]!, /^confio_job_duration_seconds_count\{kind="process-transaction"\} [1-9]/m)
    const served = new Set(texts.flatMap((text) => [...servedNames(text)]))
    const used = usedMetrics()
    assert.ok(used.size > 20, `the alerts and the dashboard name ${used.size} metrics`)
    const missing = [...used].filter(([name]) => !served.has(name)).map(([name, where]) => `${name} (${where})`)
    assert.deepEqual(missing, [], 'metrics named in the alert rules or the dashboard but served by none of poll, worker, beat')
  })

  it('run, the three in one process, serves them all from one port', async () => {
    const w = (world = await pollWorld())
    const port = await freePort()
    children.push(new ConfioProcess(['run', '--mode', 'poll', '--interval', '200ms', '--from-checkpoint', '1', '--metrics-port', String(port)], w.env))
    w.sui.ledger.transfer({from: w.alice, to: w.bob, coinType: SUI_COIN_TYPE, amount: 6n})
    w.sui.ledger.produceCheckpoint()
    let text = ''
    await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, {signal: AbortSignal.timeout(5_000)}).catch(() => undefined)
        text = res?.ok ? await res.text() : ''
        return /^confio_jobs_processed_total\{kind="process-transaction"\} [1-9]/m.test(text)
      },
      60_000,
      `run processed the transfer:\n${children[0]?.stderr.slice(-2_000)}`,
    )
    assert.match(text, /^confio_lease_held\{lease="poller"\} 1$/m)
    assert.match(text, /^confio_lease_held\{lease="beat"\} [01]$/m)
    const served = servedNames(text)
    const missing = [...usedMetrics()].filter(([name]) => !served.has(name)).map(([name]) => name)
    assert.deepEqual(missing, [], 'metrics named in the alert rules or the dashboard but not served by run')
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`, {signal: AbortSignal.timeout(5_000)})
    assert.equal(ready.status, 200, await ready.text())
  })

  it('a metrics port that is taken stops the start: exit 2, naming the port and the setting', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const {port} = taken.address() as {port: number}
    try {
      const result = await runCli(['beat', '--once', '--json'], {env: {METRICS_PORT: String(port)}})
      assert.equal(result.code, 2, result.stderr)
      const {error} = jsonOf<{error: {message: string; remedy: string}}>(result)
      assert.match(error.message, new RegExp(`^cannot serve metrics on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`))
      assert.match(error.remedy, /--metrics-port or METRICS_PORT/)
    } finally {
      taken.close()
    }
  })
})
