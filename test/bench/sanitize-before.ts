// The sanitizer as it was before issue #20 (js-xss behind a >32-attribute pre-check), kept only so that
// `npm run bench -- sanitize` can show the new one beside it. Not used by lib/.
import xssDefault from 'xss'
import { FIN_ALLOWED_TAGS } from '../../lib/html.js'

// js-xss's module.exports is filterXSS with the rest of its API attached; its typings describe that API as the module.
const xss = xssDefault as unknown as typeof import('xss')

const RENAMED: Record<string, string> = { h3: 'h2', h4: 'h2', h5: 'h2', h6: 'h2', strong: 'b', em: 'i' }
const SAFE_HREF = /^(?:https?:\/\/|mailto:)/i
const SAFE_SRC = /^https?:\/\//i
const TAG_START = /^<\/?[a-z]/i

const whiteList: Record<string, string[]> = {}
for (const tag of FIN_ALLOWED_TAGS) whiteList[tag] = []
whiteList.a = ['href', 'title']
whiteList.img = ['src', 'alt', 'title']

// js-xss: measured about 4x faster than sanitize-html on the same policy (docs/decisions.md); both are safe here,
// and the XSS corpus test checks the output with a real HTML parser.
const filter = new xss.FilterXSS({
  whiteList,
  // A disallowed tag goes (its text stays); a "<" that starts no tag ("5 < 6", "<3") is text, as in a browser,
  // and is kept escaped: js-xss's stripIgnoreTag would drop everything after it.
  onIgnoreTag (_tag, html) {
    return TAG_START.test(html) ? '' : xss.escapeHtml(html)
  },
  stripIgnoreTagBody: ['script', 'style', 'noscript', 'template', 'textarea', 'title', 'xmp', 'iframe', 'object'],
  onTag (tag, _html, info) {
    const renamed = RENAMED[tag]
    if (renamed !== undefined) return info.isClosing ? `</${renamed}>` : `<${renamed}>`
    return undefined
  },
  onTagAttr (tag, name, value) {
    if (name !== 'href' && name !== 'src') return undefined
    // Only absolute http(s) links and mailto: survive; anything else (javascript:, data:, relative) is dropped.
    const cleaned = xss.friendlyAttrValue(value).trim()
    const safe = name === 'href' ? SAFE_HREF.test(cleaned) : SAFE_SRC.test(cleaned)
    return safe ? `${name}="${xss.escapeAttrValue(cleaned)}"` : ''
  }
})

// js-xss parses a tag's attributes in quadratic time (it re-slices the tag at each one): a body holding one tag
// with 20,000 bare attributes kept the event loop busy for 17 s. No tag Fin renders has more than three
// attributes, so a tag (or an unclosed "<a ...") with more than MAX_ATTRIBUTES goes before js-xss sees it: its text
// stays, as for any dropped tag. Counting is linear and skips quoted values (`="..."`), where spaces are harmless.
const MAX_ATTRIBUTES = 32
const TAG_LIKE = /<\/?[a-z][^>]*>?/gi

function attributeCount (tag: string): number {
  let count = 0
  let quote = ''
  let space = false
  let afterEquals = false
  for (let i = 0; i < tag.length; i++) {
    const char = tag[i] as string
    if (quote !== '') {
      if (char === quote) quote = ''
      continue
    }
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\f' || char === '/') {
      if (!space) count++
      space = true
      continue
    }
    // A quote opens a value only right after "=" (as in HTML): a stray one quotes nothing.
    if ((char === '"' || char === "'") && afterEquals) quote = char
    afterEquals = char === '='
    space = false
  }
  return count
}

/** The sanitizer before issue #20: js-xss behind the >32-attribute pre-check. */
export function sanitizeWithXss (html: string): string {
  const bounded = html.length < 2 * MAX_ATTRIBUTES
    ? html
    : html.replace(TAG_LIKE, (tag) => (tag.length > 2 * MAX_ATTRIBUTES && attributeCount(tag) > MAX_ATTRIBUTES ? '' : tag))
  return filter.process(bounded)
}
