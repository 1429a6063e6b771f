import assert from 'node:assert/strict'
import {parseAccountsCsv} from '../../src/accounts/account-csv.ts'
import {UsageError} from '../../src/errors.ts'

const addr = (n: number) => `0x${n.toString(16).padStart(64, '0')}`
const parseText = (text: string) => parseAccountsCsv(new TextEncoder().encode(text), 'accounts.csv')
const lines = (parsed: ReturnType<typeof parseText>) => ({rows: parsed.rows.map((r) => r.line), problems: parsed.problems.map((p) => p.line)})

describe('parseAccountsCsv', () => {
  it('keeps the lines around a malformed one', () => {
    const parsed = parseText('email,address,label\na@x.io,0x1,A\n"bad"x@ex.com,0x2,label\nc@x.io,0x3,C\n')
    assert.deepEqual(lines(parsed), {rows: [2, 4], problems: [3]})
    assert.equal(parsed.dataLines, 3)
    assert.match(parsed.problems[0]?.reason ?? '', /^not valid CSV: a quote in the middle of a field/)
  })

  it('does not let an unclosed quote run into the following lines', () => {
    const parsed = parseText('email,address\n"a@x.io,0x1\nb@x.io,0x2\nc@x.io,"0x3" z\nd@x.io,0x4\nx"y@x.io,0x5\nf@x.io,0x6\n')
    assert.deepEqual(lines(parsed), {rows: [3, 5, 7], problems: [2, 4, 6]})
    assert.equal(parsed.problems[0]?.reason, 'not valid CSV: a quoted field is not closed on this line')
  })

  it('reads quoted fields, doubled quotes, CRLF, a byte order mark and blank lines', () => {
    const parsed = parseText('\uFEFFEmail, Address ,LABEL\r\n\r\n "a@x.io" ,0x1,"Smith, ""Al"""\r\n   \r\nb@x.io,0x2\r\n')
    assert.deepEqual(parsed.problems, [])
    assert.equal(parsed.dataLines, 2)
    assert.deepEqual(parsed.rows, [
      {line: 3, account: {email: 'a@x.io', address: addr(1), label: 'Smith, "Al"'}},
      {line: 5, account: {email: 'b@x.io', address: addr(2), label: null}},
    ])
  })

  it('puts every data line of a mixed file in rows or problems, once', () => {
    const text = [
      'address,email,label',
      '0x1,a@x.io,ok',
      '0xZZ,b@x.io,bad address',
      '0x3,not-an-email,',
      '0x1,c@x.io,same address as line 2',
      '0x5,A@X.IO,same email as line 2',
      '0x6,f@x.io,x,extra field',
      '0x7,"g@x.io,',
      '',
      '0x8,h@x.io',
      ',,',
    ].join('\n')
    const parsed = parseText(text)
    assert.deepEqual(lines(parsed), {rows: [2, 10], problems: [3, 4, 5, 6, 7, 8, 11]})
    assert.equal(parsed.dataLines, parsed.rows.length + parsed.problems.length)
    assert.deepEqual(
      parsed.problems.map((p) => p.reason),
      [
        'address "0xZZ" is not a Sui address (0x followed by 1 to 64 hex digits)',
        'email "not-an-email" is not an email address',
        'same address or email as line 2',
        'same address or email as line 2',
        'has 4 fields; the header has 3',
        'not valid CSV: a quoted field is not closed on this line',
        'email is missing',
      ],
    )
  })

  it('reports a quoted field spanning lines as bad lines, not as one record', () => {
    const parsed = parseText('email,address,label\na@x.io,0x1,"two\nlines"\nb@x.io,0x2,\n')
    assert.deepEqual(lines(parsed), {rows: [4], problems: [2, 3]})
  })

  it('repeats a rejected value escaped and cut short', () => {
    const parsed = parseText(`email,address\na\u001b[2J@x.io,0x1\nb@x.io,0x${'g'.repeat(5000)}\n`)
    assert.equal(parsed.problems[0]?.reason, 'email "a\\u001b[2j@x.io" is not an email address')
    assert.ok((parsed.problems[1]?.reason.length ?? 0) < 200)
  })

  it('reads a header with no data lines as nothing to import', () => {
    assert.deepEqual(parseText('email,address,label\n\n'), {dataLines: 0, rows: [], problems: []})
  })

  const refused: [string, Uint8Array, RegExp][] = [
    ['a file with NUL bytes', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x1b, 0x5b]), /^accounts\.csv is not a text file: it contains NUL bytes$/],
    ['a UTF-16 export', Buffer.from('\uFEFFemail,address\n', 'utf16le'), /it contains NUL bytes/],
    ['invalid UTF-8', Uint8Array.from([...Buffer.from('email,address\na@x.io,0x1,'), 0xff, 0xfe, 0x9b]), /^accounts\.csv is not a text file: it is not valid UTF-8$/],
    ['an empty file', new Uint8Array(0), /^accounts\.csv is empty$/],
    ['blank lines only', new TextEncoder().encode('\n  \r\n\n'), /^accounts\.csv is empty$/],
    ['a file without the header', new TextEncoder().encode('a@x.io,0x1,Ana\n'), /^line 1: the header must be "email,address,label" \(label optional, any order\); found "a@x.io,0x1,Ana"$/],
    ['a header missing the address', new TextEncoder().encode('\nemail,label\n'), /^line 2: the header must be/],
    ['a header naming a column twice', new TextEncoder().encode('email,address,email\n'), /^line 1: the header must be/],
    ['a header that is not CSV', new TextEncoder().encode('"email,address\n'), /^line 1: the header must be/],
    ['a semicolon-separated file', new TextEncoder().encode('email;address;label\n'), /found "email;address;label"/],
  ]
  for (const [what, bytes, message] of refused) {
    it(`refuses ${what} as a whole`, () => {
      assert.throws(() => parseAccountsCsv(bytes, 'accounts.csv'), (error: unknown) => {
        assert.ok(error instanceof UsageError)
        assert.match(error.message, message)
        assert.match(error.remedy ?? '', /header email,address,label|name the columns/)
        return true
      })
    })
  }
})
