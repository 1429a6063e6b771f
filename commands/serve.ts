import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {metricsPortFlag} from '../cli/pipeline-flags.ts'
import {parseHost, SettingProblem} from '../src/config/setting-kinds.ts'
import {API_CONNECTIONS, ApiProcess, apiToken, type ApiProcessResult} from '../src/processes/api-process.ts'

export default class Serve extends ConfioCommand<typeof Serve> {
  static override summary = "Serve balances, pending amounts and history over HTTP for the wallet's web app."
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    "An HTTP API over BalanceService for services that cannot import it: GET /v1/balances/{account}[/{token}] (?refresh=1, ?verify=critical: the chain only, 503 BALANCE_UNVERIFIED when it cannot confirm), POST /v1/pending and DELETE /v1/pending/{digest} (an in-flight send's amount, idempotent by digest), GET /v1/accounts/{account}/transactions (newest first, paged by cursor), /healthz and /readyz. {account} is an id, an email or a Sui address. The OpenAPI document is at /v1/openapi.json; docs/api.md has the routes, errors and examples.",
    'Every /v1 request needs Authorization: Bearer <CONFIO_API_TOKEN>. Listens on CONFIO_API_HOST:CONFIO_API_PORT (127.0.0.1:8470); --no-auth serves without a token, on a loopback address only.',
    'Runs until stopped: SIGTERM or SIGINT stops taking requests, lets those in flight finish and exits 0.',
  ].join('\n\n')
  static override examples = [
    {description: 'Serve on 127.0.0.1:8470 with the token from the environment.', command: 'CONFIO_API_TOKEN=$(openssl rand -hex 32) <%= config.bin %> serve'},
    {description: 'Listen on every interface, port 9000.', command: '<%= config.bin %> serve --host 0.0.0.0 --port 9000'},
    {description: 'A local test without a token.', command: '<%= config.bin %> serve --no-auth'},
  ]
  static override flags = {
    host: Flags.custom<string>({
      summary: 'Address to listen on (CONFIO_API_HOST; default 127.0.0.1).',
      parse: async (input) => {
        try {
          return parseHost(input)
        } catch (error) {
          throw error instanceof SettingProblem ? new Error(`${JSON.stringify(input)} is not valid; expected ${error.message}`) : error
        }
      },
    })(),
    port: Flags.integer({min: 0, max: 65_535, summary: 'TCP port (CONFIO_API_PORT; default 8470; 0: any free port).'}),
    'no-auth': Flags.boolean({summary: 'Serve without CONFIO_API_TOKEN (a loopback address only: local tests).'}),
    'metrics-port': metricsPortFlag,
  }

  async run(): Promise<ApiProcessResult> {
    const {flags} = this
    const host = flags.host ?? this.settings.api.host
    // Before anything is opened: a missing token is a configuration error, whatever else is down.
    const token = apiToken(this.settings.api, {host, noAuth: flags['no-auth']})
    const db = await this.db({kind: 'api', poolMax: API_CONNECTIONS})
    const redis = await this.redis()
    const metrics = await this.serveMetrics('serve')
    const api = new ApiProcess(
      {settings: this.settings, db, redis, chain: this.chain(), metrics, logger: this.logger},
      {host, port: flags.port ?? this.settings.api.port, token, version: this.config.version},
    )
    const result = await api.run(this.stopSignal)
    if (!this.jsonEnabled()) this.log(`Stopped serving ${result.url} (${result.stoppedBy}).`)
    return result
  }
}
