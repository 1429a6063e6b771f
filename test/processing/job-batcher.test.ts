// The worker's group commit: jobs handed over together run as one batch, within the limits.
import assert from 'node:assert/strict'
import {JobBatcher} from '../../src/processing/job-batcher.ts'

describe('job batcher', () => {
  /** A batch run that records its items and finishes when released. */
  function recorder() {
    const batches: number[][] = []
    const releases: (() => void)[] = []
    const run = async (items: number[]) => {
      batches.push(items)
      await new Promise<void>((resolve) => releases.push(resolve))
      return items.map((i) => i * 10)
    }
    return {batches, releases, run}
  }

  async function turn(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve))
  }

  it('run the items handed over in one turn as one batch, and the next ones once a run slot frees', async () => {
    const r = recorder()
    const batcher = new JobBatcher({run: r.run, maxBatchSize: 10, parallel: 1})
    const first = [1, 2, 3].map((i) => batcher.submit(i))
    await turn()
    const second = [4, 5].map((i) => batcher.submit(i))
    await turn()
    assert.deepEqual(r.batches, [[1, 2, 3]], 'one run at a time')
    r.releases[0]!()
    assert.deepEqual(await Promise.all(first), [10, 20, 30])
    await turn()
    assert.deepEqual(r.batches, [[1, 2, 3], [4, 5]])
    r.releases[1]!()
    assert.deepEqual(await Promise.all(second), [40, 50])
  })

  it('split at maxBatchSize and run up to `parallel` batches at once', async () => {
    const r = recorder()
    const batcher = new JobBatcher({run: r.run, maxBatchSize: 2, parallel: 2})
    const all = [1, 2, 3, 4, 5].map((i) => batcher.submit(i))
    await turn()
    assert.deepEqual(r.batches, [[1, 2], [3, 4]])
    r.releases[0]!()
    await turn()
    await turn()
    assert.deepEqual(r.batches, [[1, 2], [3, 4], [5]])
    r.releases[1]!()
    r.releases[2]!()
    assert.deepEqual(await Promise.all(all), [10, 20, 30, 40, 50])
  })

  it('reject every item of a batch whose run throws, and go on with the next', async () => {
    let calls = 0
    const batcher = new JobBatcher<number, number>({
      run: async (items) => {
        calls += 1
        if (calls === 1) throw new Error('database gone')
        return items
      },
      maxBatchSize: 10,
      parallel: 1,
    })
    const failed = [1, 2].map((i) => batcher.submit(i).catch((e: Error) => e.message))
    assert.deepEqual(await Promise.all(failed), ['database gone', 'database gone'])
    assert.equal(await batcher.submit(3), 3)
  })
})
