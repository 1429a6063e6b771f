import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// Dependencies point down: commands/ -> cli/ -> src's domain folders -> src/store, src/chain ->
// src/support. The rules below make a wrong-way import fail the lint, and so `npm test`:
//   - src/ never imports @oclif/*, nor anything outside src/ (cli/, commands/, test/, bench/);
//   - cli/ never imports commands/;
//   - src/store (connections, migrations, session settings, the cursor, the lease) imports no domain
//     folder and not src/chain: only src/support, the base files errors.ts and secrets.ts, and the
//     settings' defaults (config/settings.ts). Each domain folder owns its own statements;
//   - src/chain imports only src/support, errors.ts and src/sui (Sui's identifiers);
//   - src/support imports nothing else of confio;
//   - src/api (the HTTP routes of `confio serve`) imports only the domain folders it serves
//     (accounts, balances, tokens), store, sui, support, logging and the errors.
// A layer's list is what it may import: a folder added to src later is forbidden to it by default.
// Imports are relative, so a path is matched by how many folders it climbs: each rule is written
// out for every depth a file can sit at under its folder (src/chain/transport/x.ts climbs one more
// than src/chain/x.ts). Dynamic import() is held to the same rules as import declarations.

/** How many folders deep under a layer's folder the rules reach (src/chain/a/b/c/x.ts is 3). */
const MAX_DEPTH = 4

/** Paths relative to src/: a folder ends with `/`, a file is named in full. */
const LAYERS = {
  support: {may: [], why: 'src/support imports nothing else of confio'},
  chain: {may: ['support/', 'errors.ts', 'sui/'], why: 'src/chain imports only src/support, src/errors.ts and src/sui'},
  api: {
    may: ['accounts/', 'balances/', 'tokens/', 'store/', 'sui/', 'support/', 'logging/', 'errors.ts', 'error-translation.ts', 'secrets.ts'],
    why: 'src/api is the HTTP face of the domain: it imports accounts, balances, tokens, store, sui, support, logging, secrets and the errors, never the pipeline (ingest, processing, queue) or a process',
  },
  store: {
    may: ['support/', 'errors.ts', 'secrets.ts', 'config/settings.ts'],
    why: 'src/store is infrastructure: it imports only src/support, src/errors.ts, src/secrets.ts and src/config/settings.ts (a domain folder owns its statements; move the code there, or the type down)',
  },
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** A path that climbs `levels` folders up (`../` that many times) and goes on to none of `allowed`. */
function climbsTo(levels, allowed) {
  const alternatives = allowed.map((path) => (path.endsWith('/') ? escape(path) : `${escape(path)}$`))
  const lookahead = alternatives.length > 0 ? `(?!(?:${alternatives.join('|')}))` : ''
  return `^(?:\\.\\./){${levels}}${lookahead}`
}

/** The two rules that hold `files` to `patterns` ({regex, message}): import declarations and import(). */
function restrict(files, patterns) {
  // esquery's regex literal cannot hold a `/`: it is written \x2F in the selector.
  const selectors = patterns.map(({regex, message}) => ({selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\x2F')}/]`, message}))
  return {files, rules: {'no-restricted-imports': ['error', {patterns}], 'no-restricted-syntax': ['error', ...selectors]}}
}

const OCLIF = {regex: '^@oclif/', message: 'src never imports oclif: commands/ and cli/ are the only places that know about it'}

/** src/ at every depth: nothing outside src/, no oclif. */
const srcRules = Array.from({length: MAX_DEPTH + 2}, (_, depth) =>
  restrict([`src/${'*/'.repeat(depth)}*.ts`], [OCLIF, {regex: climbsTo(depth + 1, []), message: 'src never imports from outside src (cli/, commands/, test/, bench/, scripts/): dependencies point down'}]),
)

/** Each layer at every depth under its folder (these come after srcRules, so they repeat OCLIF). */
const layerRules = Object.entries(LAYERS).flatMap(([folder, {may, why}]) =>
  Array.from({length: MAX_DEPTH + 1}, (_, depth) =>
    restrict([`src/${folder}/${'*/'.repeat(depth)}*.ts`], [OCLIF, {regex: climbsTo(depth + 1, [`${folder}/`, ...may]), message: why}]),
  ),
)

const cliRules = Array.from({length: MAX_DEPTH + 1}, (_, depth) =>
  restrict([`cli/${'*/'.repeat(depth)}*.ts`], [{regex: `${climbsTo(depth + 1, [])}commands/`, message: 'cli/ never imports commands/: commands are wiring on top of cli/'}]),
)

export default tseslint.config(
  {ignores: ['node_modules/', '.tools/', 'bench/out/', 'dist/', '.build-test-*/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: {process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', performance: 'readonly', setImmediate: 'readonly', structuredClone: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly'}},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      'no-console': 'off',
    },
  },
  {
    // src/chain/index.ts is the chain layer's public surface (its header says what is behind it).
    // The typescript-eslint copy of no-restricted-imports, so that this rule's patterns and the
    // layers' below (the core rule) both apply: a later config's options for one rule replace an
    // earlier one's.
    files: ['src/**/*.ts', 'cli/**/*.ts', 'commands/**/*.ts', 'scripts/**/*.ts', 'sui-server/**/*.ts'],
    ignores: ['src/chain/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {patterns: [{regex: '(^|/)chain/(?!index\\.ts$)', message: 'Import the chain layer through src/chain/index.ts.'}]}],
    },
  },
  ...srcRules,
  ...layerRules,
  ...cliRules,
)
