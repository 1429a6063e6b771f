// A count with its noun, for the lines people read: `1 checkpoint`, `2 checkpoints`, `0 accounts`.

/** `count` followed by `one` or, for any other count, `many` (default: `one` + s); thousands separated. */
export function counted(count: number | bigint, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 || count === 1n ? one : many}`
}
