// How a client's request rate looks from the server's side: the most requests that arrived in any
// one-second window. A client held to N a second with no burst can show N + 1 there (a request at
// each end of a closed window), never more.

/** The most arrival times (ms, any order) that fall within one closed window of `windowMs`. */
export function busiestSecond(arrivals: readonly number[], windowMs = 1_000): number {
  const times = [...arrivals].sort((a, b) => a - b)
  let most = 0
  let first = 0
  for (let last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! > windowMs) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}
