import assert from 'node:assert/strict'
import {stripVTControlCharacters} from 'node:util'
import {createLogger} from '../../src/logging/logger.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import {openRedis} from '../../src/store/connections.ts'

function capture(pretty: boolean) {
  const lines: string[] = []
  const scrubber = new SecretScrubber()
  scrubber.add('tok-0123456789')
  const logger = createLogger({level: 'info', scrubber, pretty, write: (line) => lines.push(line)})
  return {lines, logger}
}

describe('logger', () => {
  it('writes JSON lines for machines, with secrets scrubbed', () => {
    const {lines, logger} = capture(false)
    logger.child({component: 'poll'}).info({cursor: '42', url: 'https://x?token=tok-0123456789'}, 'batch committed')
    logger.debug('below the level')
    assert.equal(lines.length, 1)
    const record = JSON.parse(lines[0] as string) as Record<string, unknown>
    assert.equal(record.msg, 'batch committed')
    assert.equal(record.component, 'poll')
    assert.equal(record.cursor, '42')
    assert.equal(record.url, 'https://x?token=***')
    assert.equal(record.level, 30)
  })

  it('writes one readable line for people', () => {
    const {lines, logger} = capture(true)
    logger.child({component: 'poll'}).warn({lag: 3}, 'behind the tip')
    assert.match(stripVTControlCharacters(lines[0] as string), /^\d\d:\d\d:\d\d WARN {2}poll behind the tip lag=3\n$/)
  })
})

describe('Redis connection', () => {
  it('opens and answers PING', async () => {
    const redis = await openRedis(process.env.REDIS_URL as string)
    try {
      assert.equal(await redis.ping(), 'PONG')
    } finally {
      await redis.quit()
    }
  })

  it('fails with one line naming REDIS_URL, password redacted', async () => {
    await assert.rejects(openRedis('redis://:s3cretpass@127.0.0.1:1/0'), (error: Error) => {
      assert.match(error.message, /^cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0: .*ECONNREFUSED/)
      assert.ok(!error.message.includes('s3cretpass'))
      return true
    })
  })
})
