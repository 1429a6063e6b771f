// The one rule for live progress (cli/progress-mode.ts): a terminal on stderr, no --json, not CI,
// a terminal that can move its cursor.
import assert from 'node:assert/strict'
import {progressMode} from '../../cli/progress-mode.ts'

describe('progressMode', () => {
  const terminal = {isTTY: true}
  const person = {TERM: 'xterm-256color'}

  it('live for a person at a terminal', () => {
    assert.equal(progressMode({json: false, stream: terminal, env: person}), 'live')
    assert.equal(progressMode({json: false, stream: terminal, env: {}}), 'live')
  })

  it('plain through a pipe or into a file (no TTY)', () => {
    assert.equal(progressMode({json: false, stream: {isTTY: false}, env: person}), 'plain')
    assert.equal(progressMode({json: false, stream: {}, env: person}), 'plain')
  })

  it('plain under --json, even at a terminal', () => {
    assert.equal(progressMode({json: true, stream: terminal, env: person}), 'plain')
  })

  it('plain in CI, even on a pseudo-terminal; CI=false or 0 says it is not', () => {
    for (const name of ['CI', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'TF_BUILD', 'RUN_ID']) {
      assert.equal(progressMode({json: false, stream: terminal, env: {...person, [name]: 'true'}}), 'plain', name)
    }
    assert.equal(progressMode({json: false, stream: terminal, env: {...person, CI: '1'}}), 'plain')
    for (const value of ['false', '0', '']) assert.equal(progressMode({json: false, stream: terminal, env: {...person, CI: value}}), 'live', `CI=${value}`)
  })

  it('plain on a terminal that cannot move its cursor (TERM=dumb)', () => {
    assert.equal(progressMode({json: false, stream: terminal, env: {TERM: 'dumb'}}), 'plain')
  })
})
