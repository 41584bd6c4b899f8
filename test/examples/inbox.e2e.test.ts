import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import type { BrowserContext, Page } from 'playwright-core'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { FinClient } from '../../lib/simulator/index.js'
import { launchChromiumBrowser } from '../fixtures/browser.js'
import { FakeFin } from '../fixtures/fake-fin.js'

// The agent inbox in Debian's Chromium, as a team uses it: Sarah on a laptop (1280 px), Omar on a phone (390 px),
// 150 conversations, Fin handing some over. Each deliverable of issue #24 is a subtest here.

const run = promisify(execFile)
const ROOT = new URL('../..', import.meta.url)
const dir = mkdtempSync(join(tmpdir(), 'fin-inbox-e2e-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const FIN_TOKEN = 'fin-token-0123456789abcdef'
const SARAH = { email: 'sarah@helpdesk.example', password: 'sarah-password-1' }
const OMAR = { email: 'omar@helpdesk.example', password: 'omar-password-2' }
/** In-page test of the message list being scrolled to its newest message (`scroller` in scope). */
const AT_NEWEST = 'scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2'
/** Live updates must show within this. */
const LIVE = 5000

async function eventually<T> (read: () => Promise<T>, ok: (value: T) => boolean, ms = LIVE): Promise<T> {
  const deadline = Date.now() + ms
  let value = await read()
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    value = await read()
  }
  return value
}

/** The list's rows as their titles. */
function titles (page: Page): Promise<string[]> {
  return page.locator('#conversations > li .entry-title').allTextContents()
}

/** Records browser notifications instead of showing them (permission granted, as if the agent had said yes). */
async function recordNotifications (context: BrowserContext): Promise<void> {
  // Plain JavaScript run in the page (the project compiles without the DOM's types).
  await context.addInitScript(`{
    const shown = []
    class RecordedNotification extends EventTarget {
      static permission = 'granted'
      static requestPermission = async () => 'granted'
      constructor (title, options = {}) {
        super()
        shown.push({ title, body: options.body ?? '' })
      }
    }
    Object.defineProperty(window, 'Notification', { value: RecordedNotification })
    Object.defineProperty(window, 'shownNotifications', { value: shown })
  }`)
}

t.test('the agent inbox: a team on a laptop and a phone, 150 conversations', async (t) => {
  const browser = await launchChromiumBrowser(t)
  if (browser === null) return
  // The page's code, compiled as `npm run build` does: the test runs what the app serves.
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'examples/helpdesk/inbox/client/tsconfig.json'], { cwd: ROOT })

  const fin = await FakeFin.start(t)
  const app = await buildHelpdesk(readConfig({
    FIN_API_TOKEN: FIN_TOKEN,
    FIN_DB_PATH: join(dir, 'inbox.db'),
    FIN_INTEGRATION_ID: 'int_inbox',
    FIN_WEBHOOK_KEY: 'hook-key',
    FIN_BASE_URL: fin.url,
    AGENT_PASSWORDS: `${SARAH.email}:${SARAH.password},${OMAR.email}:${OMAR.password}`
  }), false)
  t.teardown(() => app.close())
  const origin = await app.listen({ host: '127.0.0.1', port: 0 })
  const client = new FinClient({ baseUrl: `${origin}/api/fin`, token: FIN_TOKEN })
  const call = async (operation: Parameters<FinClient['call']>[0], input: Record<string, unknown>): Promise<any> => {
    const res = await client.call(operation, input)
    if (res.status >= 300) throw new Error(`${operation}: ${res.status} ${res.text}`)
    return res.data
  }
  const handOver = async (id: string): Promise<void> => {
    await call('updateConversation', { conversation_id: id, assignee_id: 'agent_fin' })
    await call('updateConversation', { conversation_id: id, assignee_id: null })
  }
  const storage = app.fin.storage
  const finAgent = { id: 'agent_fin', user_type: 'agent' as const }

  // The oldest conversation was handed over first; 150 came after it (the old inbox lost it past 100).
  const ann = await call('createUser', { name: 'Ann Old', email: 'ann@old.example' })
  const oldest = (await call('createConversation', { user_id: ann.id, title: 'Oldest: handed over long ago', initial_message: { body: '<p>Still waiting.</p>' } })).conversation.id
  await handOver(oldest)
  const bulk = (await storage.createUser({ name: 'Bulk Customer', email: 'bulk@example.com' })).value
  const ids: string[] = []
  for (let i = 0; i < 149; i++) {
    const made = await storage.createConversation({
      user_id: bulk.id,
      title: `Order question ${i}`,
      attributes: null,
      message: { author: { id: bulk.id, user_type: 'end_user' }, body: `<p>Question ${i}</p>`, visibility: 'public', attachments: [] }
    })
    ids.push(made.value.conversation.id)
  }
  // A long thread, with what messages really hold: a list, a remote image, a link, an attachment, a private note.
  const jane = await call('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  await storage.updateUser(jane.id, { attributes: { plan: 'Business' } })
  const refund = (await call('createConversation', { user_id: jane.id, title: 'Refund for a broken mug', initial_message: { body: '<p>My order arrived broken.</p>' } })).conversation.id
  await storage.updateConversation(refund, { tags: ['refund', 'vip'], attributes: { order: '1234' } })
  for (let i = 0; i < 38; i++) await storage.createMessage(refund, { author: i % 2 === 0 ? finAgent : { id: jane.id, user_type: 'end_user' }, body: `<p>Message ${i} of a long thread.</p>`, visibility: 'public', attachments: [] })
  await call('createMessage', { conversation_id: refund, author: { id: jane.id, user_type: 'end_user' }, body: '<p>Steps:</p><ul><li>opened the box</li><li>found shards</li></ul>' })
  await call('createMessage', {
    conversation_id: refund,
    author: { id: jane.id, user_type: 'end_user' },
    body: '<p>Photo: <img src="https://images.example.net/mug.jpg" alt="broken mug"> and <a href="https://courier.example.org/track/1">the tracking page</a></p>',
    attachments: [{ url: 'https://files.example.com/receipt.pdf', filename: 'receipt.pdf', filetype: 'application/pdf' }]
  })
  await call('createMessage', { conversation_id: refund, author: finAgent, body: '<p>Customer is upset; check the courier.</p>', visibility: 'private' })
  await call('createMessage', { conversation_id: refund, author: finAgent, body: '<p>I will pass you to a colleague.</p>' })
  await handOver(refund)

  const laptop = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
  await recordNotifications(laptop)
  await recordNotifications(phone)
  const sarah = await laptop.newPage()
  const omar = await phone.newPage()
  const requests = { sarah: [] as string[], omar: [] as string[] }
  const errors: string[] = []
  for (const [name, page] of [['sarah', sarah], ['omar', omar]] as const) {
    page.on('request', (request) => requests[name].push(`${request.method()} ${request.url()}`))
    page.on('pageerror', (err) => errors.push(`${name}: ${err.message}`))
  }

  async function signIn (page: Page, who: { email: string, password: string }): Promise<void> {
    await page.getByLabel('Email').fill(who.email)
    await page.getByLabel('Password').fill(who.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }

  await t.test('1. agents sign in as themselves; the session survives a reload; Sign out; no acting as another', async (t) => {
    await sarah.goto(`${origin}/inbox`)
    await signIn(sarah, { email: SARAH.email, password: 'wrong-password' })
    await sarah.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor()
    t.equal(await sarah.getByRole('navigation', { name: 'Conversations' }).isVisible(), false, 'no list')
    await signIn(sarah, SARAH)
    await sarah.getByText('Signed in as Sarah Johnson').waitFor()
    const [cookie] = await laptop.cookies()
    t.match(cookie, { name: 'inbox_session', httpOnly: true, sameSite: 'Strict', path: '/inbox' })
    t.equal(await sarah.evaluate('document.cookie'), '', 'the page cannot read it')
    await sarah.reload()
    await sarah.getByText('Signed in as Sarah Johnson').waitFor()
    t.equal(await sarah.getByRole('button', { name: 'Sign in' }).isVisible(), false, 'a reload keeps the agent signed in')

    await omar.goto(`${origin}/inbox`)
    await signIn(omar, OMAR)
    await omar.getByText('Signed in as Omar Haddad').waitFor()
    t.equal(await sarah.getByText('Signed in as Sarah Johnson').isVisible(), true, 'two agents at once, each as themself')

    // The page's own session, trying to write as Omar: refused, nothing stored.
    const before = (await storage.listMessages(refund))!.length
    const status = await sarah.evaluate(`fetch('/inbox/api/conversations/${refund}/messages', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: '<p>as Omar</p>', author_id: 'agent_omar' })
    }).then((response) => response.status)`)
    t.equal(status, 400)
    t.equal((await storage.listMessages(refund))!.length, before)

    await sarah.getByRole('button', { name: 'Sign out' }).click()
    await sarah.getByRole('button', { name: 'Sign in' }).waitFor()
    await sarah.reload()
    await sarah.getByRole('button', { name: 'Sign in' }).waitFor()
    t.equal(await sarah.getByRole('navigation', { name: 'Conversations' }).isVisible(), false, 'signed out, also after a reload')
    await signIn(sarah, SARAH)
    await sarah.getByText('Signed in as Sarah Johnson').waitFor()

    // Guessing one account's password: past 10 attempts the form says to wait (per account; per IP at 30).
    const guesser = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage()
    await guesser.goto(`${origin}/inbox`)
    for (let i = 0; i < 10; i++) {
      await signIn(guesser, { email: 'ceo@helpdesk.example', password: `guess-${i}` })
      await guesser.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor()
      await guesser.evaluate('document.getElementById(\'sign-in-error\').textContent = \'\'')
    }
    await signIn(guesser, { email: 'ceo@helpdesk.example', password: 'guess-10' })
    await guesser.getByRole('alert').filter({ hasText: 'Too many sign-in attempts: try again in 15 minutes.' }).waitFor()
    await guesser.context().close()
  })

  await t.test('2. views on the server among 150: Needs a human finds the oldest; Mine, Unassigned, All with paging; Search', async (t) => {
    for (const page of [sarah, omar]) {
      t.same(await eventually(() => titles(page), (list) => list.length === 2), ['Refund for a broken mug', 'Oldest: handed over long ago'], 'Needs a human is the default view')
    }
    await sarah.getByRole('button', { name: 'All', exact: true }).click()
    t.equal((await eventually(() => titles(sarah), (list) => list.length === 50)).length, 50, 'a page of 50')
    await sarah.getByRole('button', { name: 'Load more' }).click()
    t.equal((await eventually(() => titles(sarah), (list) => list.length === 100)).length, 100)
    await sarah.getByRole('button', { name: 'Load more' }).click()
    t.equal((await eventually(() => titles(sarah), (list) => list.length === 150)).length, 150)
    await sarah.getByRole('button', { name: 'Load more' }).click()
    const all = await eventually(() => titles(sarah), (list) => list.length === 151)
    t.equal(all.length, 151, 'all 151, each once')
    t.equal(new Set(all).size, 151)
    t.equal(await sarah.getByRole('button', { name: 'Load more' }).isVisible(), false, 'the last page')
    await sarah.getByRole('button', { name: 'Unassigned', exact: true }).click()
    t.equal((await eventually(() => titles(sarah), (list) => list.length === 50)).length, 50)
    await sarah.getByRole('button', { name: 'Mine', exact: true }).click()
    t.same(await eventually(() => titles(sarah), (list) => list.length === 0), [], 'nothing is Sarah\'s yet')
    t.equal(await sarah.getByText('No conversations here.').isVisible(), true)
    await sarah.getByRole('button', { name: 'All', exact: true }).click()
    await sarah.getByRole('searchbox', { name: 'Search' }).fill('ANN@old')
    t.same(await eventually(() => titles(sarah), (list) => list.length === 1), ['Oldest: handed over long ago'], 'by customer email')
    await sarah.getByRole('searchbox', { name: 'Search' }).fill('question 14')
    // Made within the same milliseconds, so compared as a set (ties are ordered by id).
    const expected = [148, 147, 146, 145, 144, 143, 142, 141, 140, 14].map((n) => `Order question ${n}`).sort()
    t.same((await eventually(() => titles(sarah), (list) => list.length === expected.length)).sort(), expected, 'by title')
    await sarah.getByRole('searchbox', { name: 'Search' }).fill('')
    await sarah.getByRole('button', { name: 'Needs a human', exact: true }).click()
    await eventually(() => titles(sarah), (list) => list.length === 2)
  })

  let handed = ''
  await t.test('3. handover alerts: unread marker, count in the title, waiting time, a notification; a reply assigns; Reopen', async (t) => {
    handed = ids[10]!
    await call('createMessage', { conversation_id: handed, author: finAgent, body: '<p>A colleague will take over.</p>' })
    await handOver(handed)
    for (const [page, context] of [[sarah, 'laptop'], [omar, 'phone']] as const) {
      t.equal((await eventually(() => titles(page), (list) => list[0] === 'Order question 10'))[0], 'Order question 10', `${context}: on top of Needs a human, live`)
      t.equal(await eventually(() => page.title(), (title) => title === '(1) Helpdesk inbox'), '(1) Helpdesk inbox', `${context}: the count in the title`)
      const row = page.locator('#conversations > li').first()
      t.equal(await row.getAttribute('class'), 'unread', `${context}: marked unread`)
      t.match(await row.locator('.entry-meta').textContent(), /needs a human · waiting < 1 min/, `${context}: how long it waits`)
      t.same(await page.evaluate('window.shownNotifications'),
        [{ title: 'Fin handed a conversation over', body: 'Order question 10 · Bulk Customer' }], `${context}: a notification`)
    }
    // Omar takes it on the phone and replies with Ctrl+Enter.
    await omar.locator('#conversations > li').first().getByRole('button').click()
    await omar.getByRole('heading', { name: 'Order question 10' }).waitFor()
    t.equal(await eventually(() => omar.title(), (title) => title === 'Helpdesk inbox'), 'Helpdesk inbox', 'read once opened')
    const reply = omar.getByRole('textbox', { name: 'Reply' })
    const keys: Array<string | undefined> = []
    omar.on('request', (request) => { if (request.method() === 'POST' && request.url().endsWith(`/${handed}/messages`)) keys.push(request.headers()['idempotency-key']) })
    await reply.fill('Hi, Omar here: I am on it.')
    await reply.press('Control+Enter')
    await omar.locator('#messages > li').filter({ hasText: 'Hi, Omar here: I am on it.' }).waitFor()
    t.match((await storage.listMessages(handed))!.at(-1), { author: { id: 'agent_omar' }, body: '<p>Hi, Omar here: I am on it.</p>', visibility: 'public' })
    t.match(await storage.getConversation(handed), { assignee: { id: 'agent_omar' } }, 'replying assigned it to Omar')
    t.equal(await reply.inputValue(), '', 'the box is cleared')
    t.match(keys, [/^[0-9a-f-]{36}$/], 'sent once, with an Idempotency-Key')
    t.same(await eventually(() => titles(sarah), (list) => list.length === 2), ['Refund for a broken mug', 'Oldest: handed over long ago'], 'gone from Sarah\'s Needs a human, live')
    t.equal(await eventually(() => sarah.title(), (title) => title === 'Helpdesk inbox'), 'Helpdesk inbox', 'and from her count')
    await omar.getByRole('button', { name: 'Resolve' }).click()
    await omar.getByRole('button', { name: 'Reopen' }).waitFor()
    t.equal((await storage.getConversation(handed))?.status, 'resolved')
    await omar.getByRole('button', { name: 'Reopen' }).click()
    await omar.getByRole('button', { name: 'Resolve' }).waitFor()
    t.equal((await storage.getConversation(handed))?.status, 'open', 'reopened')
    t.match(await omar.locator('#thread-meta').textContent(), /open · assigned to Omar Haddad/)
    await omar.getByRole('button', { name: 'Back to the list' }).click()
  })

  await t.test('4. layout at 1280 and 390 px: separate scrolling, reply box in view, newest message shown, times, Ctrl+Enter, skip link, customer', async (t) => {
    for (const [page, width] of [[sarah, 1280], [omar, 390]] as const) {
      await page.getByRole('button', { name: 'Needs a human', exact: true }).click()
      await page.locator('#conversations > li').filter({ hasText: 'Refund for a broken mug' }).getByRole('button').click()
      await page.getByRole('heading', { name: 'Refund for a broken mug' }).waitFor()
      await page.locator('#messages > li').nth(42).waitFor()
      const box = await page.evaluate(`(() => {
        const scroller = document.getElementById('message-scroll')
        const reply = document.getElementById('reply').getBoundingClientRect()
        return {
          pageScrolls: document.scrollingElement.scrollHeight > window.innerHeight + 1 || document.scrollingElement.scrollWidth > window.innerWidth,
          threadScrolls: scroller.scrollHeight > scroller.clientHeight,
          atNewest: ${AT_NEWEST},
          replyInView: reply.top >= 0 && reply.bottom <= window.innerHeight && reply.left >= 0 && reply.right <= window.innerWidth,
          messages: document.querySelectorAll('#messages > li').length
        }
      })()`)
      t.same(box, { pageScrolls: false, threadScrolls: true, atNewest: true, replyInView: true, messages: 43 }, `${width} px: the thread scrolls by itself, opened at its newest message, the reply box in view`)
      const listShown = await page.getByRole('navigation', { name: 'Conversations' }).isVisible()
      t.equal(listShown, width === 1280, width === 1280 ? 'list beside the thread' : 'the phone shows the thread alone')
      // Customer context beside the thread (on the phone, folded under "Customer").
      if (width === 390) await page.locator('#customer summary').click()
      t.match(await page.locator('#customer-facts').innerText(), /Email\s+jane@example\.com\s+Tags\s+refund, vip\s+plan\s+Business\s+Conversation: order\s+1234/)
      // Lists inside a message stay lists: not bubbles.
      const nested = await page.evaluate('getComputedStyle(document.querySelector(\'#messages .body li\')).backgroundColor')
      t.equal(nested, 'rgba(0, 0, 0, 0)')
      // A reload keeps the thread open; then the skip link is the first stop, and lands in the reply box.
      await page.reload()
      await page.getByRole('heading', { name: 'Refund for a broken mug' }).waitFor()
      await page.keyboard.press('Tab')
      t.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to the reply box')
      await page.keyboard.press('Enter')
      t.equal(await page.evaluate('document.activeElement?.id'), 'reply', `${width} px: one Tab and Enter reach the reply box`)
      if (width === 390) {
        await page.getByRole('button', { name: 'Back to the list' }).click()
        t.equal(await page.getByRole('navigation', { name: 'Conversations' }).isVisible(), true, 'back to the list on the phone')
        t.equal(await page.evaluate('document.scrollingElement.scrollWidth <= window.innerWidth'), true, 'no sideways scrolling')
      }
      t.match(await page.locator('#conversations > li .entry-time').first().textContent(), /^\d\d:\d\d|^\d{1,2} \w{3}/, `${width} px: the list shows times`)
    }
  })

  await t.test('5. security: remote images as links, links in a new tab, not framable, live updates patch, no list reloads', async (t) => {
    await sarah.locator('#conversations > li').filter({ hasText: 'Refund for a broken mug' }).getByRole('button').click()
    const image = sarah.getByRole('link', { name: 'Image: broken mug' })
    t.equal(await image.getAttribute('href'), 'https://images.example.net/mug.jpg')
    t.equal(await sarah.locator('#messages img').count(), 0, 'no image element')
    for (const name of ['Image: broken mug', 'the tracking page', 'receipt.pdf']) {
      const link = sarah.getByRole('link', { name })
      t.same([await link.getAttribute('target'), await link.getAttribute('rel')], ['_blank', 'noopener noreferrer'], `${name}: a new tab, no opener`)
    }
    t.same([...requests.sarah, ...requests.omar].filter((r) => !r.includes(origin)), [], 'nothing loaded from elsewhere')

    // Live: Fin writes 20 messages; the open thread gets them appended; the list is never reloaded for it.
    const listLoads = (): number => requests.sarah.filter((r) => r.startsWith(`GET ${origin}/inbox/api/conversations?`)).length
    const loadsBefore = listLoads()
    await sarah.locator('#conversations > li').filter({ hasText: 'Refund for a broken mug' }).getByRole('button').focus()
    for (let i = 0; i < 20; i++) await call('createMessage', { conversation_id: refund, author: finAgent, body: `<p>Live ${i}</p>` })
    t.equal(await eventually(() => sarah.locator('#messages > li').count(), (n) => n === 63), 63, 'appended')
    t.equal(listLoads(), loadsBefore, 'no list reload')
    t.equal(await sarah.evaluate('document.activeElement?.closest(\'li\')?.dataset.id'), refund, 'a keyboard user keeps their place in the list')
    t.ok(requests.sarah.some((r) => r.includes(`/inbox/api/conversations/${refund}/messages?after=`)), 'only the new messages fetched')
    t.equal(await sarah.evaluate(`(() => { const scroller = document.getElementById('message-scroll'); return ${AT_NEWEST} })()`), true, 'still at the newest')

    // Framed by another site: refused by the browser (frame-ancestors 'none').
    const framer = createServer((req, res) => res.end(`<!doctype html><iframe src="${origin}/inbox" width="600" height="400"></iframe>`))
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve))
    t.teardown(() => framer.close())
    const page = await laptop.newPage()
    await page.goto(`http://localhost:${(framer.address() as { port: number }).port}/`)
    await page.waitForTimeout(0)
    const frame = page.frames().find((f) => f !== page.mainFrame())
    const framed = await eventually(async () => frame === undefined ? false : (await frame.evaluate('document.getElementById(\'email\') !== null').catch(() => false)) === true, (shown) => shown, 1000)
    t.equal(framed, false, 'the inbox does not render inside another site')
    await page.close()
  })

  await t.test('friendly errors: an outage, an expired session; the sync status in the list and Retry now', async (t) => {
    // Fin refuses a sync: failed, in the thread and the list; Retry now asks again.
    // Typing is told to Fin first; the sync after the reply is the one Fin refuses.
    const typed = fin.received.length
    await sarah.getByRole('textbox', { name: 'Reply' }).fill('We are sending a new mug.')
    await fin.waitFor(typed + 1)
    fin.answer({ status: 400, body: '{"error":"unknown conversation"}' })
    await sarah.getByRole('button', { name: 'Send' }).click()
    const sync = sarah.getByRole('status', { name: 'Fin sync status' })
    t.equal(await eventually(() => sync.innerText(), (s) => s === 'failed'), 'failed')
    t.equal(await sarah.getByRole('button', { name: 'Mine', exact: true }).click().then(() => eventually(() => sarah.locator('#conversations .sync-failed').count(), (n) => n === 1)), 1, 'the list shows it')
    await sarah.getByRole('button', { name: 'Retry now' }).click()
    t.equal(await eventually(() => sync.innerText(), (s) => s === 'delivered'), 'delivered', 'Retry now delivered it')
    t.equal(await eventually(() => sarah.locator('#conversations .sync-failed').count(), (n) => n === 0), 0)

    // The helpdesk cannot be reached: words, not "TypeError: Failed to fetch".
    await omar.route('**/inbox/api/conversations**', (route) => route.abort())
    await omar.getByRole('button', { name: 'All', exact: true }).click()
    const banner = omar.locator('#banner')
    t.equal(await eventually(() => banner.textContent(), (text) => text !== ''), 'The helpdesk cannot be reached. Check your connection; the page keeps trying.')
    await omar.unroute('**/inbox/api/conversations**')

    // The session is gone (expired, or signed out elsewhere): back to sign-in, saying so.
    await phone.clearCookies()
    await omar.getByRole('button', { name: 'Mine', exact: true }).click()
    await omar.getByText('Your session has expired. Sign in again.').waitFor()
    t.equal(await omar.getByRole('button', { name: 'Sign in' }).isVisible(), true)
    await signIn(omar, OMAR)
    await omar.getByText('Signed in as Omar Haddad').waitFor()
    t.same(errors, [], 'no page errors')
  })

  if (process.env.UPDATE_SCREENSHOT === '1') {
    await t.test('the README screenshot', async (t) => {
      const file = new URL('examples/helpdesk/inbox/screenshot.png', ROOT)
      // Needs a human beside the long thread (opened by its address, as a reload does).
      await sarah.goto(`${origin}/inbox#${refund}`)
      await sarah.getByRole('heading', { name: 'Refund for a broken mug' }).waitFor()
      await sarah.getByRole('button', { name: 'Needs a human', exact: true }).click()
      await eventually(() => titles(sarah), (list) => list.length > 0)
      await sarah.screenshot({ path: file.pathname, type: 'png' })
      t.ok(statSync(file).size < 250_000, 'screenshot under 250 KB')
    })
  }
})
