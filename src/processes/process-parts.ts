// What every process (src/processes/) is assembled from: the configuration, the process's
// PostgreSQL pool and its logger. The command opens them (and closes them when it finishes).
import type {ConfioConfig} from '../config/config.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'

export interface ProcessParts {
  readonly settings: ConfioConfig
  readonly db: Database
  readonly logger: Logger
}
