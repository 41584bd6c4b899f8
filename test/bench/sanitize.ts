// Sanitizer candidates on the same policy (Fin's HTML subset), as chosen in docs/decisions.md.
// Run: npm run bench -- sanitize   (each figure: the median of 7 alternating runs in one process)
import sanitizeHtml from 'sanitize-html'
import { sanitizeFinHtml, FIN_ALLOWED_TAGS } from '../../lib/html.js'
import { XSS_VECTORS } from '../fixtures/xss-vectors.js'

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

const candidates: Record<string, (html: string) => string> = { xss: sanitizeFinHtml, 'sanitize-html': viaSanitizeHtml }
const inputs: Record<string, string[]> = { 'Fin reply (420 B)': [finReply], 'short message': [short], 'XSS corpus': XSS_VECTORS }

function microsPerCall (fn: (html: string) => string, samples: string[]): number {
  const rounds = 4000
  const start = process.hrtime.bigint()
  for (let i = 0; i < rounds; i++) fn(samples[i % samples.length]!)
  return Number(process.hrtime.bigint() - start) / rounds / 1000
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export async function bench (): Promise<string> {
  const lines = [`| input | ${Object.keys(candidates).join(' | ')} | ratio |`, `|---|${Object.keys(candidates).map(() => '---').join('|')}|---|`]
  for (const [name, samples] of Object.entries(inputs)) {
    const runs: Record<string, number[]> = Object.fromEntries(Object.keys(candidates).map((c) => [c, []]))
    for (let i = 0; i < 7; i++) {
      for (const [candidate, fn] of Object.entries(candidates)) runs[candidate]!.push(microsPerCall(fn, samples))
    }
    const figures = Object.keys(candidates).map((c) => median(runs[c]!))
    lines.push(`| ${name} | ${figures.map((f) => `${f.toFixed(1)} µs`).join(' | ')} | sanitize-html / xss = ${(figures[1]! / figures[0]!).toFixed(1)}x |`)
  }
  return lines.join('\n')
}
