import { Tokenizer, type QuoteType, type TokenizerCallbacks } from 'htmlparser2'

/**
 * How message bodies are cleaned before they are stored: 'sanitize' (default) keeps Fin's HTML subset,
 * 'passthrough' stores them as received, a function does it your way.
 */
export type SanitizeOption = 'sanitize' | 'passthrough' | ((html: string) => string)

/** The tags Fin renders (its Custom Helpdesk reference, on message bodies); h3-h6 are rewritten to h2, strong and em to b and i. */
export const FIN_ALLOWED_TAGS = ['p', 'h1', 'h2', 'b', 'i', 'a', 'img', 'br', 'code', 'ul', 'ol', 'li'] as const

const RENAMED: Record<string, string> = { h3: 'h2', h4: 'h2', h5: 'h2', h6: 'h2', strong: 'b', em: 'i' }
/** Every tag kept, by the name it is written with, to the name it is written as. */
const KEPT = new Map<string, string>([...FIN_ALLOWED_TAGS.map((tag) => [tag, tag] as const), ...Object.entries(RENAMED)])
// Made once: a body of many short tags then allocates no tag string of its own.
const OPEN_TAG = new Map([...KEPT].map(([tag, name]) => [tag, `<${name}>`]))
const CLOSE_TAG = new Map([...KEPT].map(([tag, name]) => [tag, `</${name}>`]))
const ATTRIBUTES = new Map<string, readonly string[]>([['a', ['href', 'title']], ['img', ['src', 'alt', 'title']]])
/** Tags that go with everything inside them, up to their own end tag (or the end of the body). */
const DROPPED_WITH_CONTENT = new Set(['script', 'style', 'noscript', 'template', 'textarea', 'title', 'xmp', 'iframe', 'object'])
const SAFE_HREF = /^(?:https?:\/\/|mailto:)/i
const SAFE_SRC = /^https?:\/\//i
// No tag Fin renders has more than three attributes: one with more than this goes (its text stays), as it did
// before this sanitizer; it costs nothing now (one count per attribute), it only keeps the outputs the same.
const MAX_ATTRIBUTES = 32
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/g

const ANGLE = /[<>]/
const ignore = (): void => {}
const escapeText = (text: string): string => ANGLE.test(text) ? text.replace(/</g, '&lt;').replace(/>/g, '&gt;') : text
const ATTRIBUTE_SPECIAL = /[&"<>]/
const escapeAttribute = (value: string): string => ATTRIBUTE_SPECIAL.test(value)
  ? value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  : value

/**
 * One pass over htmlparser2's tokenizer (a state machine: each character is looked at a bounded number of times),
 * writing out only what the allow-list keeps, rebuilt from the tokens: allowed tags by their names, allowed
 * attributes with decoded, checked and re-escaped values, and text as written with `<` and `>` escaped. Nothing
 * of the input reaches the output unparsed, so a browser that tokenizes a corner differently still sees only
 * text and the allowed tags. No tree is built: an end tag is kept or dropped on its own, as before.
 */
class FinHtmlFilter implements TokenizerCallbacks {
  readonly #html: string
  #out = ''
  #tag = ''
  #attributeCount = 0
  #kept: Array<[name: string, value: string]> = []
  #keptNames: readonly string[] | undefined
  #attribute: string | undefined
  #value = ''
  /** The tag whose content is being dropped, and how deep in it we are. */
  #dropping: string | undefined
  #depth = 0

  constructor (html: string) {
    this.#html = html
  }

  get output (): string {
    return this.#out
  }

  ontext (start: number, end: number): void {
    if (this.#dropping === undefined) this.#out += escapeText(this.#html.slice(start, end))
  }

  ontextentity (_codepoint: number, end: number): void {
    // Text keeps its character references as written ("&nbsp;" stays "&nbsp;"): the entity began at its "&".
    if (this.#dropping === undefined) this.#out += this.#html.slice(this.#html.lastIndexOf('&', end - 1), end)
  }

  onopentagname (start: number, end: number): void {
    this.#tag = this.#html.slice(start, end).toLowerCase()
    this.#attributeCount = 0
    this.#keptNames = this.#dropping === undefined ? ATTRIBUTES.get(this.#tag) : undefined
    if (this.#keptNames !== undefined) this.#kept = []
  }

  onattribname (start: number, end: number): void {
    this.#attribute = undefined
    // Past the limit the tag goes anyway: nothing more to read from its attributes.
    if (++this.#attributeCount > MAX_ATTRIBUTES) this.#keptNames = undefined
    if (this.#keptNames === undefined) return
    const name = this.#html.slice(start, end).toLowerCase()
    // The first of a repeated attribute is the one a browser uses.
    if (this.#keptNames.includes(name) && !this.#kept.some(([kept]) => kept === name)) {
      this.#attribute = name
      this.#value = ''
    }
  }

  onattribdata (start: number, end: number): void {
    if (this.#attribute !== undefined) this.#value += this.#html.slice(start, end)
  }

  onattribentity (codepoint: number): void {
    if (this.#attribute !== undefined) this.#value += String.fromCodePoint(codepoint)
  }

  onattribend (_quote: QuoteType, _end: number): void {
    if (this.#attribute !== undefined) this.#kept.push([this.#attribute, this.#value])
    this.#attribute = undefined
  }

  onopentagend (): void {
    this.#open(false)
  }

  onselfclosingtag (): void {
    this.#open(true)
  }

  onclosetag (start: number, end: number): void {
    const tag = this.#html.slice(start, end).toLowerCase()
    if (this.#dropping !== undefined) {
      if (tag === this.#dropping && --this.#depth === 0) this.#dropping = undefined
      return
    }
    const closing = CLOSE_TAG.get(tag)
    if (closing !== undefined) this.#out += closing
  }

  // Comments, CDATA, doctypes and processing instructions go.
  readonly oncomment = ignore
  readonly oncdata = ignore
  readonly ondeclaration = ignore
  readonly onprocessinginstruction = ignore
  readonly onend = ignore

  #open (selfClosing: boolean): void {
    const tag = this.#tag
    if (this.#dropping !== undefined) {
      if (tag === this.#dropping) this.#depth++
      return
    }
    // "<script/>" is still an open script element in HTML: its content goes too.
    if (DROPPED_WITH_CONTENT.has(tag)) {
      this.#dropping = tag
      this.#depth = 1
      return
    }
    if (this.#attributeCount > MAX_ATTRIBUTES) return
    const opening = OPEN_TAG.get(tag)
    if (opening === undefined) return
    if (this.#keptNames === undefined) {
      // h3-h6, strong and em are written as h2, b and i, always without attributes (none of these has any).
      this.#out += selfClosing && KEPT.get(tag) === tag ? `<${tag} />` : opening
      return
    }
    let html = `<${tag}`
    for (const [name, raw] of this.#kept) {
      // As a browser reads it (entities decoded), without control characters or surrounding spaces.
      const value = raw.replace(CONTROL, ' ').trim()
      if (name === 'href' || name === 'src') {
        // Only absolute http(s) links and mailto: survive; anything else (javascript:, data:, relative) is dropped.
        if (!(name === 'href' ? SAFE_HREF : SAFE_SRC).test(value)) continue
      }
      html += value === '' ? ` ${name}` : ` ${name}="${escapeAttribute(value)}"`
    }
    this.#out += `${html}${selfClosing ? ' /' : ''}>`
  }
}

/** Cleans a message body down to Fin's supported HTML, in time linear in its length. */
export function sanitizeFinHtml (html: string): string {
  const filter = new FinHtmlFilter(html)
  const tokenizer = new Tokenizer({ decodeEntities: true }, filter)
  tokenizer.write(html)
  tokenizer.end()
  return filter.output
}

/** Resolves the `sanitize` option to the function the routes call. */
export function createSanitizer (option: SanitizeOption): (html: string) => string {
  if (typeof option === 'function') return option
  if (option === 'passthrough') return (html) => html
  return sanitizeFinHtml
}
