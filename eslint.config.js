import js from '@eslint/js'
import tseslint from 'typescript-eslint'

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
    files: ['src/**/*.ts', 'cli/**/*.ts', 'commands/**/*.ts', 'scripts/**/*.ts', 'sui-server/**/*.ts'],
    ignores: ['src/chain/**'],
    rules: {
      'no-restricted-imports': ['error', {patterns: [{regex: '(^|/)chain/(?!index\\.ts$|backoff\\.ts$|concurrency-limiter\\.ts$|rate-limiter\\.ts$)', message: 'Import the chain layer through src/chain/index.ts.'}]}],
    },
  },
)
