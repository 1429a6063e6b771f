import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {createDatabase, type Database} from '../../src/store/database.ts'
import {emptyDir, jsonOf, runCli} from '../support/cli.ts'

const addr = (n: number) => `0x${n.toString(16).padStart(64, '0')}`

function csvFile(text: string): string {
  const path = join(emptyDir(), 'accounts.csv')
  writeFileSync(path, text)
  return path
}

describe('confio accounts', () => {
  let db: Database

  before(() => {
    db = createDatabase({url: process.env.DATABASE_URL as string})
  })

  beforeEach(async () => {
    await db.raw('TRUNCATE accounts RESTART IDENTITY CASCADE')
  })

  after(async () => {
    await db.destroy()
  })

  it('adds, lists and removes an account', async () => {
    const added = await runCli(['accounts', 'add', '--email', 'Ana@Example.com', '--address', '0xAB', '--label', 'Ana', '--json'])
    assert.equal(added.code, 0, added.stderr)
    assert.deepEqual(
      (({email, address, label}) => ({email, address, label}))(jsonOf(added)),
      {email: 'ana@example.com', address: addr(0xab), label: 'Ana'},
    )
    const listed = jsonOf<{accounts: {address: string}[]}>(await runCli(['accounts', 'list', '--json']))
    assert.deepEqual(listed.accounts.map((a) => a.address), [addr(0xab)])

    const text = await runCli(['accounts', 'list'])
    assert.match(text.stdout, /ana@example\.com\s+0x0+ab\s+Ana/)

    const removed = await runCli(['accounts', 'remove', '--address', '0xab'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.deepEqual(jsonOf<{accounts: unknown[]}>(await runCli(['accounts', 'list', '--json'])).accounts, [])
    const all = jsonOf<{accounts: {deletedAt: string | null}[]}>(await runCli(['accounts', 'list', '--include-removed', '--json']))
    assert.equal(all.accounts.length, 1)
    assert.ok(all.accounts[0]?.deletedAt)
  })

  it('brings a removed address back when it is added again', async () => {
    await runCli(['accounts', 'add', '--email', 'a@x.io', '--address', '0x1'])
    await runCli(['accounts', 'remove', '--email', 'a@x.io'])
    const again = await runCli(['accounts', 'add', '--email', 'b@x.io', '--address', '0x1', '--json'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(jsonOf(again).id, '1')
  })

  const badAdds: [string, string[], RegExp][] = [
    ['a malformed address', ['--email', 'a@x.io', '--address', '0xZZ'], /address "0xZZ" is not a Sui address/],
    ['a malformed email', ['--email', 'not-an-email', '--address', '0x1'], /email "not-an-email" is not an email address/],
    ['a missing flag', ['--email', 'a@x.io'], /Missing required flag address/],
  ]
  for (const [what, args, pattern] of badAdds) {
    it(`refuses ${what} with exit code 2 and one line`, async () => {
      const result = await runCli(['accounts', 'add', ...args])
      assert.equal(result.code, 2)
      assert.match(result.stderr.split('\n')[0] ?? '', pattern)
      assert.ok(!result.stderr.includes('    at '), 'no stack trace')
    })
  }

  it('refuses a duplicate address or email', async () => {
    await runCli(['accounts', 'add', '--email', 'a@x.io', '--address', '0x1'])
    const sameAddress = await runCli(['accounts', 'add', '--email', 'b@x.io', '--address', '0x1'])
    assert.equal(sameAddress.code, 2)
    assert.match(sameAddress.stderr, /address 0x0+1 is already registered/)
    const sameEmail = await runCli(['accounts', 'add', '--email', 'a@x.io', '--address', '0x2'])
    assert.equal(sameEmail.code, 2)
    assert.match(sameEmail.stderr, /email a@x\.io already belongs to account 1/)
  })

  it('refuses to remove an unknown account, and both selectors at once', async () => {
    const unknown = await runCli(['accounts', 'remove', '--email', 'ghost@x.io'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /no active account with email ghost@x\.io/)
    const both = await runCli(['accounts', 'remove', '--email', 'a@x.io', '--address', '0x1'])
    assert.equal(both.code, 2)
  })

  describe('import', () => {
    it('imports a file in one go and changes nothing the second time', async () => {
      const file = csvFile('email,address,label\na@x.io,0x1,Ana\nb@x.io,0x2,\n"c@x.io",0x3,"Smith, C"\n')
      const first = jsonOf(await runCli(['accounts', 'import', file, '--json']))
      assert.deepEqual(first, {rows: 3, inserted: 3, updated: 0, unchanged: 0, invalid: []})
      const before = await db('accounts').orderBy('id')
      const second = jsonOf(await runCli(['accounts', 'import', file, '--json']))
      assert.deepEqual(second, {rows: 3, inserted: 0, updated: 0, unchanged: 3, invalid: []})
      assert.deepEqual(await db('accounts').orderBy('id'), before)
      assert.equal(before[2].label, 'Smith, C')
    })

    it('accepts a file without the label column, and updates changed rows', async () => {
      await runCli(['accounts', 'import', csvFile('email,address,label\na@x.io,0x1,Old\n')])
      const result = jsonOf(await runCli(['accounts', 'import', csvFile('address,email\n0x1,a@x.io\n0x2,b@x.io\n'), '--json']))
      assert.deepEqual(result, {rows: 2, inserted: 1, updated: 1, unchanged: 0, invalid: []})
      assert.equal((await db('accounts').where({email: 'a@x.io'}).first()).label, null)
    })

    it('imports nothing when a row is bad, and names each bad line', async () => {
      const file = csvFile('email,address,label\na@x.io,0x1,ok\nbad-email,0x2,\nc@x.io,0xQQ,\nd@x.io,0x1,dup\ne@x.io,0x5,x,extra\n')
      const result = await runCli(['accounts', 'import', file])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /^line 3: email "bad-email" is not an email address$/m)
      assert.match(result.stderr, /^line 4: address "0xQQ" is not a Sui address/m)
      assert.match(result.stderr, /^line 5: same address or email as line 2$/m)
      assert.match(result.stderr, /^line 6: has 4 fields; the header has 3$/m)
      assert.match(result.stderr, /^Error: 4 bad row\(s\), nothing imported; first: line 3/m)
      assert.equal((await db('accounts')).length, 0)
    })

    it('imports the good rows with --skip-invalid', async () => {
      const file = csvFile('email,address,label\na@x.io,0x1,ok\nbad-email,0x2,\n')
      const result = await runCli(['accounts', 'import', file, '--skip-invalid', '--json'])
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(jsonOf(result), {rows: 2, inserted: 1, updated: 0, unchanged: 0, invalid: [{line: 3, reason: 'email "bad-email" is not an email address'}]})
      assert.equal((await db('accounts')).length, 1)
    })

    it('reports an email that belongs to another account as a bad row', async () => {
      await runCli(['accounts', 'add', '--email', 'a@x.io', '--address', '0x1'])
      const result = await runCli(['accounts', 'import', csvFile('email,address\na@x.io,0x9\nb@x.io,0x2\n'), '--json'])
      assert.equal(result.code, 2)
      assert.match(String((jsonOf<{error: {message: string}}>(result)).error.message), /line 2: email a@x\.io already belongs to account 1/)
      assert.equal((await db('accounts')).length, 1)
    })

    it('refuses a wrong header and a missing file', async () => {
      const header = await runCli(['accounts', 'import', csvFile('mail,addr\na@x.io,0x1\n')])
      assert.equal(header.code, 2)
      assert.match(header.stderr, /line 1: the header must be "email,address,label"/)
      const missing = await runCli(['accounts', 'import', '/nonexistent/file.csv'])
      assert.equal(missing.code, 2)
      assert.match(missing.stderr, /^Error: cannot read \/nonexistent\/file\.csv: ENOENT/)
    })
  })
})
