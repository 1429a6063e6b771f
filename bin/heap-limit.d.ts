// Types of heap-limit.js, for the TypeScript that shares its V8 settings (bench/poll.ts).
export declare function externalMemoryFlags(v8Version?: string): string[]
export declare function applyHeapLimit(script: string): void
