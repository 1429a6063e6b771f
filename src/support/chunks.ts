// Splitting a list into calls of a bounded size (a node's batch limit, a Redis script's length).

/** `items` in order, in slices of at most `size`. */
export function inChunks<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}
