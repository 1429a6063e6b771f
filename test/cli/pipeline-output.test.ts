// What the pipeline commands print for people and for log readers: counts whose nouns agree with
// them (`1 checkpoint`, not `1 checkpoints`), and `confio run`'s JSON log lines with one `stage`
// key each, naming the part within the worker as a path (`worker/beat`).
import assert from 'node:assert/strict'
import {runCli} from '../support/cli.ts'
import {closeWorld, pollWorld, type PollWorld, SUI} from '../ingest/poll-support.ts'

describe('pipeline output', function () {
  this.timeout(120_000)
  let w: PollWorld

  before(async () => {
    w = await pollWorld()
  })
  after(() => closeWorld(w))

  it('poll and status --chain count one checkpoint as one', async () => {
    const {ledger} = w.sui
    ledger.transfer({from: w.alice, to: w.bob, coinType: SUI, amount: 1_000n})
    const sealed = ledger.produceCheckpoint()
    const poll = await runCli(['poll', '--once', '--mode', 'poll', '--from-checkpoint', String(sealed)], {env: w.env})
    assert.equal(poll.code, 0, poll.stderr)
    assert.equal(poll.stdout, `Stopped (caught-up) at cursor ${sealed}: 1 checkpoint, 1 relevant transaction.\n`)

    ledger.produceCheckpoint()
    const status = await runCli(['status', '--chain', '--max-lag', '0'], {env: w.env})
    assert.match(status.stdout, /^ {2}chain +tip \d+ at .*: 1 checkpoint behind/m)
    assert.match(status.stdout, /ALARM POLLER_LAG +the cursor \(checkpoint \d+\) is 1 checkpoint behind the tip/)
  })

  it('run writes JSON log lines with one stage key, the worker\'s parts under worker/', async () => {
    const run = await runCli(['run', '--once', '--mode', 'poll', '--log-level', 'debug'], {env: w.env})
    assert.equal(run.code, 0, run.stderr)
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('{'))
    assert.ok(lines.length > 0, run.stderr)
    for (const line of lines) assert.ok(line.split('"stage":').length <= 2, `one stage key: ${line}`)
    const stages = new Set(lines.map((line) => (JSON.parse(line) as {stage?: string}).stage))
    for (const stage of ['poll', 'beat', 'worker', 'worker/beat']) assert.ok(stages.has(stage), `a line of stage ${stage} among ${[...stages].join(', ')}`)
  })
})
