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

  it('lists a removed account with its removal under a NOTE header', async () => {
    await runCli(['accounts', 'add', '--email', 'a@x.io', '--address', '0x1'])
    await runCli(['accounts', 'remove', '--email', 'a@x.io'])
    const text = await runCli(['accounts', 'list', '--include-removed'])
    assert.equal(text.code, 0, text.stderr)
    const [header = '', , row = ''] = text.stdout.split('\n')
    assert.match(header, /HISTORY FROM +NOTE$/)
    // The note starts in the NOTE column.
    assert.equal(row.indexOf('removed '), header.indexOf('NOTE'), text.stdout)
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
      assert.deepEqual(first, {rows: 3, inserted: 3, updated: 0, unchanged: 0, skipped: 0, invalid: [], updates: []})
      const before = await db('accounts').orderBy('id')
      const second = jsonOf(await runCli(['accounts', 'import', file, '--json']))
      assert.deepEqual(second, {rows: 3, inserted: 0, updated: 0, unchanged: 3, skipped: 0, invalid: [], updates: []})
      assert.deepEqual(await db('accounts').orderBy('id'), before)
      assert.equal(before[2].label, 'Smith, C')
    })

    it('accepts a file without the label column, and updates changed rows', async () => {
      await runCli(['accounts', 'import', csvFile('email,address,label\na@x.io,0x1,Old\n')])
      const result = jsonOf(await runCli(['accounts', 'import', csvFile('address,email\n0x1,a@x.io\n0x2,b@x.io\n'), '--json']))
      assert.deepEqual(result, {
        rows: 2,
        inserted: 1,
        updated: 1,
        unchanged: 0,
        skipped: 0,
        invalid: [],
        updates: [{line: 2, accountId: '1', address: addr(1), email: null, label: {from: 'Old', to: null}, restored: false}],
      })
      assert.equal((await db('accounts').where({email: 'a@x.io'}).first()).label, null)
    })

    it('says what an update replaced: an address in another case is the same account, and its email changes', async () => {
      await runCli(['accounts', 'add', '--email', 'old@x.io', '--address', '0xAB', '--label', 'Shop'])
      await runCli(['accounts', 'add', '--email', 'gone@x.io', '--address', '0xCD'])
      await runCli(['accounts', 'remove', '--email', 'gone@x.io'])
      const file = csvFile('email,address,label\nnew@x.io,0xab,Shop\ngone@x.io,0xcd,Back\n')
      const text = await runCli(['accounts', 'import', file])
      assert.equal(text.code, 0, text.stderr)
      assert.deepEqual(text.stdout.trimEnd().split('\n'), [
        `line 2: updated account 1 (${addr(0xab)}): email "old@x.io" -> "new@x.io"`,
        `line 3: updated account 2 (${addr(0xcd)}): label none -> "Back", monitored again (it had been removed)`,
        `Imported ${file}: 0 added, 2 updated, 0 unchanged, 0 skipped (2 data lines).`,
      ])
      assert.deepEqual((await db('accounts').orderBy('id')).map((a) => [a.email, a.deleted_at]), [['new@x.io', null], ['gone@x.io', null]])
      await runCli(['accounts', 'add', '--email', 'x@x.io', '--address', '0x1'])
      const json = jsonOf<{updates: unknown[]}>(await runCli(['accounts', 'import', csvFile('email,address\ny@x.io,0x01\n'), '--json']))
      assert.deepEqual(json.updates, [{line: 2, accountId: '3', address: addr(1), email: {from: 'x@x.io', to: 'y@x.io'}, label: null, restored: false}])
    })

    it('counts one data line as one', async () => {
      const result = await runCli(['accounts', 'import', csvFile('email,address\na@x.io,0x1\n')])
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stdout, /: 1 added, 0 updated, 0 unchanged, 0 skipped \(1 data line\)\.$/m)
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
      assert.deepEqual(jsonOf(result), {rows: 2, inserted: 1, updated: 0, unchanged: 0, skipped: 1, invalid: [{line: 3, reason: 'email "bad-email" is not an email address'}], updates: []})
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
      const header = await runCli(['accounts', 'import', csvFile('mail,addr\na@x.io,0x1\n'), '--skip-invalid'])
      assert.equal(header.code, 2)
      assert.match(header.stderr, /^Error: line 1: the header must be "email,address,label"/)
      const missing = await runCli(['accounts', 'import', '/nonexistent/file.csv'])
      assert.equal(missing.code, 2)
      assert.match(missing.stderr, /^Error: cannot read \/nonexistent\/file\.csv: ENOENT/)
    })

    describe('a malformed CSV line between two good ones', () => {
      const text = `email,address,label\na@x.io,${addr(1)},Ana\n"bad"x@ex.com,${addr(2)},label\nc@x.io,${addr(3)},Cy\n`

      it('costs only that line with --skip-invalid', async () => {
        const result = await runCli(['accounts', 'import', csvFile(text), '--skip-invalid', '--json'])
        assert.equal(result.code, 0, result.stderr)
        const json = jsonOf<{rows: number; inserted: number; skipped: number; invalid: {line: number; reason: string}[]}>(result)
        assert.deepEqual({rows: json.rows, inserted: json.inserted, skipped: json.skipped}, {rows: 3, inserted: 2, skipped: 1})
        assert.deepEqual(json.invalid.map((p) => p.line), [3])
        assert.match(json.invalid[0]?.reason ?? '', /not valid CSV: a quote in the middle of a field/)
        assert.deepEqual((await db('accounts').orderBy('id')).map((a) => a.email), ['a@x.io', 'c@x.io'])
      })

      it('is named with its line in the human output', async () => {
        const result = await runCli(['accounts', 'import', csvFile(text), '--skip-invalid'])
        assert.equal(result.code, 0, result.stderr)
        assert.match(result.stdout, /: 2 added, 0 updated, 0 unchanged, 1 skipped \(3 data lines\)\.$/m)
        assert.match(result.stderr, /^line 3: not valid CSV: a quote in the middle of a field/m)
      })

      it('stops the import without --skip-invalid', async () => {
        const result = await runCli(['accounts', 'import', csvFile(text)])
        assert.equal(result.code, 2)
        assert.match(result.stderr, /^line 3: not valid CSV/m)
        assert.match(result.stderr, /^Error: 1 bad row\(s\), nothing imported; first: line 3: not valid CSV/m)
        assert.equal((await db('accounts')).length, 0)
        const json = await runCli(['accounts', 'import', csvFile(text), '--json'])
        assert.equal(json.code, 2)
        assert.match(jsonOf<{error: {message: string}}>(json).error.message, /first: line 3: not valid CSV.*; bad lines: 3$/)
      })
    })

    it('accounts for every line of a mixed file, and names each bad one', async () => {
      await runCli(['accounts', 'import', csvFile('email,address,label\nsame@x.io,0x10,Same\nold@x.io,0x11,Old\ntaken@x.io,0x12,\n')])
      const text = [
        'email,address,label',
        'new@x.io,0x20,New', // 2 added
        'same@x.io,0x10,Same', // 3 unchanged
        'old@x.io,0x11,Renamed', // 4 updated
        'bad@x.io,0xZZ,', // 5 invalid address
        'new@x.io,0x21,', // 6 email repeated from line 2
        'taken@x.io,0x22,', // 7 email of another account
        '"oops"x@x.io,0x23,', // 8 not CSV
        '', // blank: not a data line
        'last@x.io,0x24,"Last, L"', // 10 added
      ]
      const refused = await runCli(['accounts', 'import', csvFile(`${text.join('\n')}\n`)])
      assert.equal(refused.code, 2)
      for (const line of [5, 6, 7, 8]) assert.match(refused.stderr, new RegExp(`^line ${line}: `, 'm'))
      assert.match(refused.stderr, /^Error: 4 bad row\(s\), nothing imported; first: line 5: .*; bad lines: 5, 6, 7, 8; fix the rows/m)
      assert.deepEqual((await db('accounts').orderBy('id')).map((a) => a.label), ['Same', 'Old', null])

      const result = await runCli(['accounts', 'import', csvFile(`${text.join('\n')}\n`), '--skip-invalid', '--json'])
      assert.equal(result.code, 0, result.stderr)
      const json = jsonOf<{rows: number; inserted: number; updated: number; unchanged: number; skipped: number; invalid: {line: number}[]}>(result)
      assert.deepEqual(
        {rows: json.rows, inserted: json.inserted, updated: json.updated, unchanged: json.unchanged, skipped: json.skipped},
        {rows: 8, inserted: 2, updated: 1, unchanged: 1, skipped: 4},
      )
      assert.equal(json.rows, json.inserted + json.updated + json.unchanged + json.skipped)
      assert.deepEqual(json.invalid.map((p) => p.line), [5, 6, 7, 8])
      assert.deepEqual((await db('accounts').orderBy('id')).map((a) => a.label), ['Same', 'Renamed', null, 'New', 'Last, L'])
    })

    it('refuses a binary file in one line without repeating its bytes', async () => {
      const bytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x9b, 0xff, 0x0a, 0x41])
      const path = join(emptyDir(), 'accounts.xlsx')
      writeFileSync(path, bytes)
      const result = await runCli(['accounts', 'import', path, '--skip-invalid'])
      assert.equal(result.code, 2)
      assert.deepEqual(result.stderr.trimEnd().split('\n'), [`Error: ${path} is not a text file: it contains NUL bytes; expected UTF-8 CSV text whose first line is the header email,address,label (label optional)`])
      assert.match(result.stderr + result.stdout, /^[ -~\n]*$/, 'printable ASCII only: none of the file\'s bytes echoed')
      assert.equal((await db('accounts')).length, 0)
    })

    it('refuses an empty file', async () => {
      const result = await runCli(['accounts', 'import', csvFile('')])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /^Error: \S+accounts\.csv is empty; expected UTF-8 CSV text/)
    })
  })
})
