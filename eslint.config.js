// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='describe'][callee.property.name='only']",
          message: 'no .only',
        },
        {
          selector: "CallExpression[callee.object.name='it'][callee.property.name='only']",
          message: 'no .only',
        },
        {
          selector: "CallExpression[callee.object.name='test'][callee.property.name='only']",
          message: 'no .only',
        },
      ],
    },
  },
  // The architecture, enforced (docs/contract.md, "Architecture"): which folder may import which.
  {
    files: ['aggregator/reconcile/**/*.ts', 'aggregator/model/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['redis', 'undici', 'express', 'node:fs', 'node:http', 'node:net'].map((name) => ({
            name,
            message: 'reconcile/ and model/ are pure: no I/O',
          })),
          patterns: [
            {
              regex: '(^|/)(collector|platform|http|notify|remediate|history|dashboard|cli)(/|$)',
              message: 'reconcile/ and model/ depend on no other part: their inputs are in model/',
            },
            { regex: '(^|/)(app|leader|records|reconcile-loop)$', message: 'reconcile/ and model/ are pure' },
            { regex: 'shared/redis', message: 'reconcile/ and model/ are pure: no Redis' },
          ],
        },
      ],
    },
  },
  {
    files: ['agent/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'zod', message: 'the agent never loads zod at run time', allowTypeImports: true }],
          patterns: [
            { regex: '(^|/)aggregator(/|$)', message: 'the agent never imports the aggregator' },
            {
              regex: 'shared/heartbeat$',
              message:
                'shared/heartbeat loads zod: the agent takes its types only (import type) and writes with shared/heartbeat-wire',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(aggregator|agent)(/|$)',
              message: 'shared/ is what both sides agree on: it imports neither',
            },
          ],
        },
      ],
    },
  },
  // The dashboard's browser code runs in the page as ES modules (its globals are the DOM's, from
  // aggregator/dashboard/browser/tsconfig.json): it takes only types from the server, loads only
  // its sibling modules, and never hands a string to an HTML parser.
  {
    files: ['aggregator/dashboard/browser/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./',
              message: 'the page cannot load server modules: take their types only (import type)',
              allowTypeImports: true,
            },
            {
              regex: '^\\./(?!.*\\.js$)',
              message: 'the browser adds no extension: import a sibling module as ./name.js',
              allowTypeImports: true,
            },
            { regex: '^[^.]', message: 'the page loads no package: only its own modules' },
          ],
        },
      ],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-restricted-syntax': [
        'error',
        ...[
          'MemberExpression[property.name=/^(innerHTML|outerHTML)$/]',
          'CallExpression[callee.property.name=/^(insertAdjacentHTML|createContextualFragment|parseFromString)$/]',
          "CallExpression[callee.object.name='document'][callee.property.name=/^write(ln)?$/]",
        ].map((selector) => ({
          selector,
          message: 'report strings reach the page as text: use dom.ts (h, svg)',
        })),
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
