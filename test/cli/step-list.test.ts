// cli/step-list.ts and cli/wait-spinner.ts drawn on a stream that says it is a terminal: listr2's
// list and ora's spinner are there, the work's result and errors are its own, and in plain mode
// nothing is written at all.
import assert from 'node:assert/strict'
import {clearLine, cursorTo, moveCursor} from 'node:readline'
import {Writable} from 'node:stream'
import {stripVTControlCharacters} from 'node:util'
import {withSteps} from '../../cli/step-list.ts'
import {whileWaiting} from '../../cli/wait-spinner.ts'

/** A terminal of 100 columns that keeps what is written to it. */
class FakeTerminal extends Writable {
  readonly isTTY = true
  readonly columns = 100
  readonly rows = 40
  written = ''
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.written += chunk.toString()
    done()
  }
  // What ora asks of a TTY stream beyond write(): readline's escapes, written to this stream.
  cursorTo(x: number): boolean {
    return cursorTo(this, x)
  }
  clearLine(direction: -1 | 0 | 1): boolean {
    return clearLine(this, direction)
  }
  moveCursor(dx: number, dy: number): boolean {
    return moveCursor(this, dx, dy)
  }
  get screen(): string {
    return stripVTControlCharacters(this.written).replaceAll('\r', '')
  }
}

const terminal = () => new FakeTerminal() as unknown as FakeTerminal & NodeJS.WriteStream
const tick = () => new Promise((resolve) => setTimeout(resolve, 20))

describe('withSteps', () => {
  it('live: each step ticked off with the title it ended with, a step not needed marked skipped, the result returned', async () => {
    const stream = terminal()
    const result = await withSteps(
      'live',
      ['Read', 'Settle', 'Report'],
      async (steps) => {
        steps.update('1/2 accounts')
        await tick()
        steps.update('2/2 accounts')
        steps.next('Read 2 accounts')
        steps.skip('nothing in flight')
        await tick()
        return 42
      },
      {stream},
    )
    assert.equal(result, 42)
    assert.match(stream.screen, /✔ Read 2 accounts \[[\d.]+m?s\]/)
    assert.match(stream.screen, /↓ Settle: nothing in flight/)
    assert.match(stream.screen, /✔ Report/)
    // Hidden cursor while drawing, shown again once the list is done.
    assert.ok(stream.written.startsWith('\u001B[?25l') && stream.written.includes('\u001B[?25h'))
  })

  it('live: a failure marks its step failed and is rethrown as it was thrown, the steps after it never run', async () => {
    const stream = terminal()
    const failure = new RangeError('node went away')
    await assert.rejects(
      withSteps(
        'live',
        ['Connect', 'Read', 'Write'],
        async (steps) => {
          steps.next()
          await tick()
          throw failure
        },
        {stream},
      ),
      (error) => error === failure,
    )
    assert.match(stream.screen, /✔ Connect/)
    assert.match(stream.screen, /✖ Read/)
    assert.doesNotMatch(stream.screen, /✔ Write|✖ Write/)
  })

  it('live: a failure before listr2 has started a task still comes out as it was thrown', async () => {
    const stream = terminal()
    const failure = new Error('at once')
    await assert.rejects(
      withSteps('live', ['Only'], async () => Promise.reject(failure), {stream}),
      (error) => error === failure,
    )
  })

  it('plain: the work runs, nothing is written', async () => {
    const stream = terminal()
    const result = await withSteps(
      'plain',
      ['Read'],
      async (steps) => {
        steps.update('1/1')
        steps.next('done')
        return 'ok'
      },
      {stream},
    )
    assert.equal(result, 'ok')
    assert.equal(stream.written, '')
  })
})

describe('whileWaiting', () => {
  it('live: a spinner with the text and its updates, cleared when the wait ends', async () => {
    const stream = terminal()
    const result = await whileWaiting(
      'live',
      'waiting for checkpoint 12',
      async (wait) => {
        await new Promise((resolve) => setTimeout(resolve, 150))
        wait.update('checkpoint 12 reached; reading the coins')
        await new Promise((resolve) => setTimeout(resolve, 150))
        return 'reached'
      },
      {stream},
    )
    assert.equal(result, 'reached')
    assert.match(stream.screen, /waiting for checkpoint 12/)
    assert.match(stream.screen, /checkpoint 12 reached; reading the coins/)
    // The spinner's line erased after its last frame, the cursor shown again.
    assert.ok(stream.written.lastIndexOf('\u001B[0K') > stream.written.lastIndexOf('reading the coins'), JSON.stringify(stream.written.slice(-60)))
    assert.ok(stream.written.endsWith('\u001B[?25h'), JSON.stringify(stream.written.slice(-60)))
  })

  it('plain: nothing written; an error comes out as it was thrown', async () => {
    const stream = terminal()
    const failure = new Error('timed out')
    await assert.rejects(whileWaiting('plain', 'waiting', async () => Promise.reject(failure), {stream}), (error) => error === failure)
    assert.equal(stream.written, '')
  })
})
