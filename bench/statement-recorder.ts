// Loaded into a `confio worker` child with --import by bench/worker.ts (BENCH_RECORD_STATEMENTS
// names the file): keeps the text of each batch message the worker sends to PostgreSQL (the
// multi-statement messages of src/store/statement-message.ts, which only
// src/processing/job-batch-transaction.ts sends), with the connection it went on, and writes them
// out when the process exits. The benchmark replays them on the same rows: the worker's own
// statements, without the queue, decoding or routing, are its floor. Kept in memory meanwhile, so
// recording costs the measured run one array push per message, and one search for the first
// statement's end (a search of the whole text for a table name cost the worker 4% of its CPU).
import {writeFileSync} from 'node:fs'
import pg from 'pg'

export interface RecordedMessage {
  /** Which of the worker's connections sent it (numbered in order of first use). */
  readonly connection: number
  readonly text: string
}

const file = process.env.BENCH_RECORD_STATEMENTS
if (file) {
  const recorded: RecordedMessage[] = []
  const ids = new WeakMap<object, number>()
  let next = 0
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = args[0]
    if (typeof text === 'string' && text.includes(';\n')) {
      let id = ids.get(this)
      if (id === undefined) ids.set(this, (id = next++))
      recorded.push({connection: id, text})
    }
    return query.apply(this, args)
  } as typeof pg.Client.prototype.query
  process.on('exit', () => writeFileSync(file, JSON.stringify(recorded)))
}
