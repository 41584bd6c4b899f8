// `npm run bench [-- name]`: runs the benchmarks in test/bench (all, or the one named). Never part of `npm test`.
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const wanted = process.argv[2]
const benches = readdirSync(dir).filter((file) => file.endsWith('.ts') && file !== 'run.ts' && (wanted === undefined || file === `${wanted}.ts`))
if (benches.length === 0) throw new Error(`no benchmark named ${wanted}`)
for (const file of benches) {
  console.log(`\n## ${file.replace(/\.ts$/, '')}\n`)
  await import(new URL(file, import.meta.url).href)
}
