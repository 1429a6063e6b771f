// Types of what TypeScript takes from heap-limit.js: its V8 settings (bench/poll.ts reads with them too).
export declare function externalMemoryFlags(v8Version?: string): string[]
