// Sanitizer candidates on the same policy (Fin's HTML subset), as chosen in docs/decisions.md, then the inputs that
// stalled the js-xss sanitizer (issue #20) at sizes up to the body limit.
// Run: npm run bench -- sanitize   (each figure: the median of alternating runs in one process)
import sanitizeHtml from 'sanitize-html'
import { sanitizeFinHtml, FIN_ALLOWED_TAGS } from '../../lib/html.js'
import { XSS_VECTORS } from '../fixtures/xss-vectors.js'
import { sanitizeWithXss } from './sanitize-before.js'

const finReply = '<p>Thanks for reaching out! Our <b>Pro</b> plan is <i>$20</i> a month. See <a href="https://example.com/pricing">pricing</a>.</p>' +
  '<h3>What you get</h3><ul><li>SSO</li><li>Audit log</li><li>Priority support</li></ul><p><img src="https://example.com/plans.png" alt="Plans"></p>'
const short = '<p>Can I get a refund for last month?</p>'

function viaSanitizeHtml (html: string): string {
  return sanitizeHtml(html, {
    allowedTags: [...FIN_ALLOWED_TAGS],
    allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'title'] },
    allowedSchemes: ['https', 'http', 'mailto'],
    allowedSchemesByTag: { img: ['https', 'http'] },
    allowProtocolRelative: false,
    transformTags: { h3: 'h2', h4: 'h2', h5: 'h2', h6: 'h2', strong: 'b', em: 'i' }
  })
}

const candidates: Record<string, (html: string) => string> = {
  'tokenizer (lib/html.ts)': sanitizeFinHtml, 'xss (before #20)': sanitizeWithXss, 'sanitize-html': viaSanitizeHtml
}
const inputs: Record<string, string[]> = { 'Fin reply (420 B)': [finReply], 'short message': [short], 'XSS corpus': XSS_VECTORS }

function microsPerCall (fn: (html: string) => string, samples: string[]): number {
  const rounds = 4000
  const start = process.hrtime.bigint()
  for (let i = 0; i < rounds; i++) fn(samples[i % samples.length]!)
  return Number(process.hrtime.bigint() - start) / rounds / 1000
}

function millis (fn: (html: string) => string, html: string): number {
  const start = process.hrtime.bigint()
  fn(html)
  return Number(process.hrtime.bigint() - start) / 1e6
}

/** Wall-clock and CPU time of one call, in ms: on a shared machine the CPU time moves far less. */
function timed (fn: (html: string) => string, html: string): { wall: number, cpu: number } {
  const cpu = process.cpuUsage()
  const wall = millis(fn, html)
  const used = process.cpuUsage(cpu)
  return { wall, cpu: (used.user + used.system) / 1000 }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

// The attack shapes of issue #20: one tag whose bare attributes are split by whitespace js-xss accepted and the old
// counter did not, or led by a ">" inside a quoted value; then what a long real body looks like.
const SIZES: Array<[label: string, bytes: number]> = [['10 KB', 10 * 1024], ['40 KB', 40 * 1024], ['100 KB', 100 * 1024], ['1 MiB', 1024 * 1024]]
const SHAPES: Record<string, (bytes: number) => string> = {
  'attributes split by \\v': (n) => `<a\v${'x\v'.repeat(n / 2)}>hi`,
  'attributes split by U+00A0': (n) => `<a\u00a0${'x\u00a0'.repeat(n / 2)}>hi`,
  'attributes split by U+3000': (n) => `<a\u3000${'x\u3000'.repeat(n / 2)}>hi`,
  'attributes split by U+FEFF': (n) => `<a\ufeff${'x\ufeff'.repeat(n / 2)}>hi`,
  '">" quoted, then bare attributes': (n) => `<a title=">" ${'x '.repeat(n / 2)}>hi`,
  'ordinary Fin tags': (n) => finReply.repeat(Math.ceil(n / finReply.length)).slice(0, n)
}
// js-xss on these is quadratic: only the smallest size is run (a few seconds); issue #20 measured the rest.
const BEFORE_AT_10KB_ONLY = 'not run (issue #20: 40 KB 26 s, 100 KB 155 s, 1 MiB hours)'
const TARGET_MS = 50
// When only the CPU time is under the target, the wall-clock time was lost waiting for a core, not sanitizing.
const verdict = (wall: number, cpu: number): string => wall < TARGET_MS ? 'met' : cpu < TARGET_MS ? 'met in CPU time (wall: machine busy)' : 'NOT met'

export async function bench (): Promise<string> {
  const names = Object.keys(candidates)
  const lines = [`| input | ${names.join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`]
  for (const [name, samples] of Object.entries(inputs)) {
    const runs: Record<string, number[]> = Object.fromEntries(names.map((c) => [c, []]))
    for (let i = 0; i < 7; i++) {
      for (const [candidate, fn] of Object.entries(candidates)) runs[candidate]!.push(microsPerCall(fn, samples))
    }
    lines.push(`| ${name} | ${names.map((c) => `${median(runs[c]!).toFixed(1)} µs`).join(' | ')} |`)
  }

  lines.push('', `Attack shapes (issue #20) and long bodies, one call each, median of 7 (max in brackets); target: under ${TARGET_MS} ms up to the body limit.`, '',
    '| shape | size | xss (before #20) | tokenizer (lib/html.ts) | its CPU time | target |', '|---|---|---|---|---|---|')
  for (const [shape, make] of Object.entries(SHAPES)) {
    for (const [label, bytes] of SIZES) {
      const html = make(bytes)
      const samples = Array.from({ length: 7 }, () => timed(sanitizeFinHtml, html))
      const runs = samples.map((sample) => sample.wall)
      const before = bytes === 10 * 1024 || shape === 'ordinary Fin tags'
        ? `${millis(sanitizeWithXss, html).toFixed(1)} ms`
        : BEFORE_AT_10KB_ONLY
      const now = median(runs)
      const cpu = median(samples.map((sample) => sample.cpu))
      lines.push(`| ${shape} | ${label} | ${before} | ${now.toFixed(1)} ms (${Math.max(...runs).toFixed(1)}) | ${cpu.toFixed(1)} ms | ${verdict(now, cpu)} |`)
    }
  }
  return lines.join('\n')
}
