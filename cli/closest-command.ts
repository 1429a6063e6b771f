// What an operator probably meant by a command confio does not have. oclif hands over the id with
// the words it could not place joined by colons (`acounts import users.csv` arrives as
// `acounts:import:users.csv`), so the longest leading run of words that is close to a command or
// topic wins; the arguments after it never count against the match.

export interface ClosestCommand {
  /** The words taken for the command, colon form (`acounts:import` of `acounts:import:users.csv`). */
  readonly typed: string
  /** A command id or topic name, colon form (`accounts:list`). */
  readonly id: string
  /** A topic typed exactly (`accounts frob`): the topic's help lists what it has. */
  readonly topicExact: boolean
}

/** At most two edits, and fewer than half the name: `pol` is `poll`, `nope` is nothing. */
function isClose(distance: number, name: string): boolean {
  return distance <= 2 && distance < name.length / 2
}

export function closestCommand(typedId: string, commandIds: readonly string[], topics: readonly string[]): ClosestCommand | undefined {
  const words = typedId.split(':')
  for (let length = words.length; length > 0; length--) {
    const typed = words.slice(0, length).join(':')
    let best: {id: string; distance: number; topic: boolean} | undefined
    for (const [names, topic] of [[commandIds, false], [topics, true]] as const) {
      for (const name of names) {
        const distance = editDistance(typed, name)
        if (isClose(distance, name) && (!best || distance < best.distance)) best = {id: name, distance, topic}
      }
    }
    if (!best) continue
    // A topic typed exactly: the unknown command is the topic and the word after it.
    const topicExact = best.topic && best.distance === 0
    return {typed: topicExact ? words.slice(0, length + 1).join(':') : typed, id: best.id, topicExact}
  }
  return undefined
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance between a's first i characters and b's first j.
  const rows = Array.from({length: a.length + 1}, (_, i) => Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  const at = (i: number, j: number): number => rows[i]![j]!
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, at(i - 2, j - 2) + 1)
      rows[i]![j] = distance
    }
  }
  return at(a.length, b.length)
}
