// tap's coverage map: every test file is measured on lib/ and only lib/, less the files below.
// dist/ is left out on purpose: the tests that run `npm start` or the built CLI load dist/*.js, whose source maps
// point back at lib/*.ts, and merging those with the TypeScript loader's figures for the same files garbles both.
import { readdirSync } from 'node:fs'

/**
 * Code that only runs against a real PostgreSQL: its tests are in the e2e tier (`npm run test:e2e`), which holds these
 * files to the minimums; `npm test` holds the rest of lib/ to them (test/tools/coverage.mjs --tier).
 */
export const E2E_ONLY = ['lib/postgres/']

/** Not measured, each for a reason. */
export const EXCLUDED = {

}

const files = readdirSync('lib', { recursive: true })
  .map((file) => `lib/${String(file).replaceAll('\\', '/')}`)
  .filter((file) => file.endsWith('.ts') && !(file in EXCLUDED))

export default () => files
