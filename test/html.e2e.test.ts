// The sanitizer's output as a real browser parses it (Chromium, the way the inbox shows message bodies): only the
// allowed tags, the allowed attributes and safe URL schemes, for the XSS corpus and for every whitespace character
// and quoting of issue #20's bypass around the usual payloads.
import t from 'tap'
import { FIN_ALLOWED_TAGS, sanitizeFinHtml } from '../lib/html.js'
import { launchChromium } from './fixtures/browser.js'
import { XSS_VECTORS } from './fixtures/xss-vectors.js'

const WHITESPACE = [' ', '\t', '\n', '\r', '\f', '\v', '\u00a0', '\u1680', ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
  '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '/']
const PAYLOADS = [
  (s: string, q: string) => `<a${s}href=${q}javascript:alert(1)${q}${s}title=${q}>${q}${s}onclick=alert(1)>x</a>`,
  (s: string, q: string) => `<img${s}src=${q}https://ok.example/a.png${q}${s}onerror=${q}alert(1)${q}${s}alt=${q}">${q}>`,
  (s: string, q: string) => `<a title=${q}>${q}${s}${'x'.repeat(3)}${s}onmouseover=alert(1)${s}href=${q}https://ok.example/${q}>y</a>`,
  (s: string, q: string) => `<svg${s}onload=alert(1)><script${s}>alert(1)</script${s}><p${s}style=${q}x${q}>z</p>`,
  (s: string, q: string) => `<a${s}href=${q}https://ok.example/"${s}onclick="alert(1)${q}>w</a><img src=${q}x${q}${s}onerror=alert(1)>`
]

// For each output, what the browser's parser makes of it that is not allowed. A template parses without running or
// loading anything: the browser's own reading of the markup.
const IN_PAGE = `({ outputs, tags }) => {
  const attributes = { a: ['href', 'title'], img: ['src', 'alt', 'title'] }
  const problems = []
  outputs.forEach((html, i) => {
    const template = document.createElement('template')
    template.innerHTML = html
    for (const element of template.content.querySelectorAll('*')) {
      const tag = element.localName
      if (!tags.includes(tag) || element.namespaceURI !== 'http://www.w3.org/1999/xhtml') problems.push(i + ': <' + tag + '>')
      for (const { name, value } of element.attributes) {
        if (!(Object.hasOwn(attributes, tag) ? attributes[tag] : []).includes(name)) problems.push(i + ': ' + tag + '[' + name + ']')
        if (name === 'href' && !/^(https?:\\/\\/|mailto:)/i.test(value)) problems.push(i + ': href ' + value)
        if (name === 'src' && !/^https?:\\/\\//i.test(value)) problems.push(i + ': src ' + value)
      }
    }
    if (document.createTreeWalker(template.content, NodeFilter.SHOW_COMMENT).nextNode() !== null) problems.push(i + ': a comment')
  })
  return problems
}`

t.test('Chromium parses every sanitized body into allowed tags, attributes and schemes only', async (t) => {
  const context = await launchChromium(t)
  if (context === null) return
  const page = await context.newPage()
  await page.setContent('<!doctype html><title>oracle</title>')
  const inputs = [...XSS_VECTORS]
  for (const space of WHITESPACE) for (const quote of ['"', "'", '', '`']) for (const payload of PAYLOADS) inputs.push(payload(space, quote))
  const outputs = inputs.map(sanitizeFinHtml)
  // Runs in the page (plain JavaScript: the project compiles without the DOM's types).
  const found = await page.evaluate(`(${IN_PAGE})(${JSON.stringify({ outputs, tags: FIN_ALLOWED_TAGS })})`) as string[]
  t.ok(inputs.length > 500, `${inputs.length} bodies`)
  t.same(found.map((problem) => `${problem} (from ${JSON.stringify(inputs[Number(problem.split(':')[0])]).slice(0, 80)})`), [])
})
