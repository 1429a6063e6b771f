// What every process (src/processes/) is assembled from: the configuration, the process's
// PostgreSQL pool, its logger and, with --metrics-port, its metrics server, which each part
// registers its metrics and readiness checks into. The command opens them (and closes them when it
// finishes).
import type {ConfioConfig} from '../config/config.ts'
import type {Logger} from '../logging/logger.ts'
import type {MetricsServer} from '../metrics/metrics-server.ts'
import type {Database} from '../store/database.ts'

export interface ProcessParts {
  readonly settings: ConfioConfig
  readonly db: Database
  readonly logger: Logger
  /** Present with --metrics-port (METRICS_PORT). */
  readonly metrics?: MetricsServer | undefined
}
