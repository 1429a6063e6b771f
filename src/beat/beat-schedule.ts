// When a beat task is due, as pure functions of `now`, so a test can move the clock. Time is cut
// into slots: a task runs once per slot, and a slot is named by its start. Slots of an interval
// task are aligned to the Unix epoch (every 5 min: :00, :05, ...), so every beat, and a beat
// restarted, cuts them the same way; a daily task's slot starts at its time of day, in UTC.
//
// Only the latest slot that has started is ever scheduled. A beat that was down for three
// intervals finds one slot due, not three: the missed work runs once.

export type Schedule = {readonly everyMs: number} | {readonly dailyAtMinute: number}

const DAY_MS = 86_400_000

/** The start of the latest slot that has begun at `now`. */
export function slotStart(schedule: Schedule, now: Date): Date {
  const t = now.getTime()
  if ('everyMs' in schedule) return new Date(Math.floor(t / schedule.everyMs) * schedule.everyMs)
  const today = Math.floor(t / DAY_MS) * DAY_MS + schedule.dailyAtMinute * 60_000
  return new Date(today <= t ? today : today - DAY_MS)
}

/** The start of the slot after the one `now` is in. */
export function nextSlotStart(schedule: Schedule, now: Date): Date {
  return new Date(slotStart(schedule, now).getTime() + slotLength(schedule))
}

/** How long a slot lasts: the interval, or a day for a daily task. */
export function slotLength(schedule: Schedule): number {
  return 'everyMs' in schedule ? schedule.everyMs : DAY_MS
}

/** `02:00` -> 120 (minutes after midnight UTC); undefined when it is not HH:MM. */
export function parseTimeOfDay(input: string): number | undefined {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(input.trim())
  if (!match) return undefined
  return Number(match[1]) * 60 + Number(match[2])
}

/** 120 -> `02:00`. */
export function formatTimeOfDay(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`
}
