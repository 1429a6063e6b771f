// The slot arithmetic on its own: which slot is due at a given `now`, for interval and daily tasks.
import assert from 'node:assert/strict'
import {formatTimeOfDay, nextSlotStart, parseTimeOfDay, slotStart} from '../../src/beat/beat-schedule.ts'

const at = (iso: string) => new Date(iso)
const iso = (date: Date) => date.toISOString()

describe('beat slots', () => {
  it('cuts interval tasks into epoch-aligned slots', () => {
    const every5m = {everyMs: 300_000}
    assert.equal(iso(slotStart(every5m, at('2026-11-29T10:07:30.123Z'))), '2026-11-29T10:05:00.000Z')
    assert.equal(iso(slotStart(every5m, at('2026-11-29T10:05:00.000Z'))), '2026-11-29T10:05:00.000Z', 'a slot is due at its start')
    assert.equal(iso(slotStart(every5m, at('2026-11-29T10:04:59.999Z'))), '2026-11-29T10:00:00.000Z')
    assert.equal(iso(nextSlotStart(every5m, at('2026-11-29T10:07:30Z'))), '2026-11-29T10:10:00.000Z')
    assert.equal(iso(slotStart({everyMs: 3_600_000}, at('2026-11-29T10:59:59Z'))), '2026-11-29T10:00:00.000Z')
  })

  it('starts a daily slot at its time of day in UTC, yesterday until then', () => {
    const at0200 = {dailyAtMinute: 120}
    assert.equal(iso(slotStart(at0200, at('2026-11-29T01:59:59Z'))), '2026-11-28T02:00:00.000Z')
    assert.equal(iso(slotStart(at0200, at('2026-11-29T02:00:00Z'))), '2026-11-29T02:00:00.000Z')
    assert.equal(iso(slotStart(at0200, at('2026-11-29T23:30:00Z'))), '2026-11-29T02:00:00.000Z')
    assert.equal(iso(nextSlotStart(at0200, at('2026-11-29T23:30:00Z'))), '2026-11-30T02:00:00.000Z')
    assert.equal(iso(slotStart({dailyAtMinute: 0}, at('2026-12-01T00:00:00Z'))), '2026-12-01T00:00:00.000Z')
  })

  it('gives one slot after any outage, however many intervals it lasted', () => {
    const hourly = {everyMs: 3_600_000}
    const lastRun = slotStart(hourly, at('2026-11-29T07:10:00Z'))
    const back = at('2026-11-29T10:20:00Z') // three intervals later
    const due = slotStart(hourly, back)
    assert.equal(iso(due), '2026-11-29T10:00:00.000Z')
    assert.equal((due.getTime() - lastRun.getTime()) / 3_600_000, 3, 'the 08:00 and 09:00 slots are not due: only the latest is')
  })

  it('reads and writes times of day', () => {
    assert.deepEqual(['02:00', '2:05', '23:59', '00:00'].map(parseTimeOfDay), [120, 125, 1439, 0])
    assert.deepEqual(['24:00', '12:60', '2', '02:00:00', 'noon', ''].map(parseTimeOfDay), [undefined, undefined, undefined, undefined, undefined, undefined])
    assert.deepEqual([120, 125, 0].map(formatTimeOfDay), ['02:00', '02:05', '00:00'])
  })
})
