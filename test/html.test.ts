import { Parser } from 'htmlparser2'
import t from 'tap'
import { sanitizeFinHtml } from '../lib/index.js'
import { FIN_ALLOWED_TAGS } from '../lib/html.js'
import { createSanitizer } from '../lib/html.js'
import { XSS_VECTORS } from './fixtures/xss-vectors.js'
import { buildApp, FIN_AGENT, seedConversation } from './fixtures/app.js'

const ALLOWED_ATTRIBUTES: Record<string, string[]> = { a: ['href', 'title'], img: ['src', 'alt', 'title'] }

/** Parses sanitized HTML as a browser-grade parser would and lists everything that is not on the allow-list. */
function violations (html: string): string[] {
  const found: string[] = []
  const parser = new Parser({
    onopentag (name, attributes) {
      if (!(FIN_ALLOWED_TAGS as readonly string[]).includes(name)) found.push(`tag <${name}>`)
      for (const [attribute, value] of Object.entries(attributes)) {
        if (!(ALLOWED_ATTRIBUTES[name] ?? []).includes(attribute)) found.push(`attribute ${name}[${attribute}]`)
        if (attribute === 'href' && !/^(https?:\/\/|mailto:)/i.test(value)) found.push(`href ${value}`)
        if (attribute === 'src' && !/^https?:\/\//i.test(value)) found.push(`src ${value}`)
      }
    },
    oncomment (data) { found.push(`comment ${data}`) },
    onprocessinginstruction (name) { found.push(`instruction ${name}`) }
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true })
  parser.write(html)
  parser.end()
  return found
}

t.test('nothing executable survives the XSS corpus', async (t) => {
  t.ok(XSS_VECTORS.length >= 90, `${XSS_VECTORS.length} vectors`)
  for (const vector of XSS_VECTORS) {
    const clean = sanitizeFinHtml(vector)
    t.same(violations(clean), [], `${JSON.stringify(vector).slice(0, 80)} -> ${JSON.stringify(clean).slice(0, 80)}`)
    t.notMatch(clean, /<\s*script/i, 'no raw script tag')
  }
})

t.test('the oracle itself catches what it must', async (t) => {
  t.same(violations('<p onclick="x">a</p>'), ['attribute p[onclick]'])
  t.same(violations('<a href="javascript:alert(1)">a</a>'), ['href javascript:alert(1)'])
  t.same(violations('<script>x</script>'), ['tag <script>'])
})

t.test('Fin\'s supported HTML survives; h3-h6 become h2, strong and em b and i', async (t) => {
  const fin = '<h1>Title</h1><h2>Sub</h2><p>Text with <b>bold</b>, <i>italic</i>, <code>code</code> and a <a href="https://example.com/docs" title="Docs">link</a>.<br>Next line</p>' +
    '<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol><a href="https://example.com"><img src="https://example.com/a.png" alt="Logo"></a><a href="mailto:help@example.com">mail us</a>'
  t.equal(sanitizeFinHtml(fin), fin, 'unchanged')
  t.equal(sanitizeFinHtml('<h3>a</h3><h4>b</h4><h5>c</h5><h6>d</h6>'), '<h2>a</h2><h2>b</h2><h2>c</h2><h2>d</h2>')
  t.equal(sanitizeFinHtml('<strong>a</strong> <em>b</em>'), '<b>a</b> <i>b</i>')
  t.equal(sanitizeFinHtml('<div><span>kept text</span></div><table><tr><td>cell</td></tr></table>'), 'kept textcell', 'unsupported tags go, their text stays')
  t.equal(sanitizeFinHtml('5 < 6 & "quotes"'), '5 &lt; 6 & "quotes"', 'a "<" that starts no tag is text')
  t.equal(sanitizeFinHtml('<p>a < b > c, x <3 y</p>'), '<p>a &lt; b &gt; c, x &lt;3 y</p>')
})

t.test('sanitize option: the default, passthrough or a function', async (t) => {
  t.equal(createSanitizer('sanitize'), sanitizeFinHtml)
  t.equal(createSanitizer('passthrough')('<script>x</script>'), '<script>x</script>')
  t.equal(createSanitizer((html) => `[${html}]`)('a'), '[a]')
})

t.test('every vector sent through create_message is stored clean', async (t) => {
  const { call } = await buildApp(t)
  const { conversationId } = await seedConversation(call)
  for (const vector of XSS_VECTORS) {
    const res = await call('POST', '/messages', { conversation_id: conversationId, body: vector, author: { id: FIN_AGENT.id, user_type: 'agent' } })
    t.ok(res.statusCode === 201 || (res.statusCode === 400 && res.json().code === 'FIN_ERR_EMPTY_MESSAGE'), `${res.statusCode} ${JSON.stringify(vector).slice(0, 60)}`)
  }
  const stored = (await call('GET', '/messages', undefined, { conversation_id: conversationId })).json() as Array<{ body: string }>
  t.ok(stored.length > 50)
  for (const { body } of stored) t.same(violations(body), [])
})

t.test('a tag with more attributes than any Fin renders is dropped before the parser sees it (no quadratic parse)', async (t) => {
  // js-xss re-slices a tag at each attribute: 20,000 bare ones held the event loop for 17 s. Such a tag goes whole.
  const many = 'x '.repeat(2000)
  t.equal(sanitizeFinHtml(`<a ${many}>hi</a> there`), 'hi</a> there', 'bare attributes: the opening tag goes, the text stays')
  t.equal(sanitizeFinHtml(`<p ${'x=1 '.repeat(1000)}>hi</p>`), 'hi</p>', 'name=value pairs')
  t.equal(sanitizeFinHtml(`<a " ${many}>hi`), 'hi', 'a stray quote opens no value')
  t.equal(sanitizeFinHtml(`<a ${many}`), '', 'an unclosed tag')
  // What real bodies carry is untouched: long quoted values, long links, a few attributes.
  const alt = 'a long description '.repeat(200).trim()
  t.equal(sanitizeFinHtml(`<img src="https://x.example/a.png" alt="${alt}">`), `<img src="https://x.example/a.png" alt="${alt}">`)
  const href = `https://x.example/${'p'.repeat(5000)}`
  t.equal(sanitizeFinHtml(`<a href="${href}" title="t">link</a>`), `<a href="${href}" title="t">link</a>`)
})
