import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', 'data/', 'test-artifacts/', 'public/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through server/config.ts.' },
      ],
    },
  },
  {
    // Entry points, test harness and tools legitimately read the environment.
    files: ['server/config.ts', 'test/**', 'bench/**', 'scripts/**', 'tools/**', 'server/embeddedDatabase.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
