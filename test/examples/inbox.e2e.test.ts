import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { promisify } from 'node:util'
import t from 'tap'
import type { Page } from 'playwright-core'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { FinClient } from '../../lib/simulator/index.js'
import { launchChromium } from '../fixtures/browser.js'
import { FakeFin } from '../fixtures/fake-fin.js'

const run = promisify(execFile)
const ROOT = new URL('../..', import.meta.url)
const dir = mkdtempSync(join(tmpdir(), 'fin-inbox-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const CONSOLE_TOKEN = 'console-secret-4c1f9e'
const FIN_TOKEN = 'fin-token'
/** Live updates and sync states must show within this (the "within 5 s"). */
const LIVE = 5000

/** Polls `read` until `ok` holds or `ms` pass; returns the last value read (the assertion says what it was). */
async function eventually<T> (read: () => Promise<T>, ok: (value: T) => boolean, ms = LIVE): Promise<T> {
  const deadline = Date.now() + ms
  let value = await read()
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    value = await read()
  }
  return value
}

/** Each entry of the list as its lines: title, user · status · assignee (and the needs-a-human badge), last message. */
function entries (page: Page): Promise<string[]> {
  // The lines' text rather than innerText, whose line breaks depend on the stylesheet having been applied.
  return page.getByRole('navigation', { name: 'Conversations' }).getByRole('listitem').evaluateAll((items) =>
    items.map((item) => [...item.querySelectorAll('.entry-title, .entry-meta, .entry-last')].map((line) => line.textContent).join('\n')))
}

t.test('the agent inbox, in a real browser', async (t) => {
  const browser = await launchChromium(t)
  if (browser === null) return
  // The page's code, compiled as `npm run build` does: the test runs what the app serves.
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'examples/helpdesk/inbox/client/tsconfig.json'], { cwd: ROOT })

  const fin = await FakeFin.start(t)
  let logs = ''
  const logStream = new Writable({ write (chunk: Buffer, _encoding, done) { logs += chunk.toString(); done() } })
  const config = readConfig({
    FIN_API_TOKEN: FIN_TOKEN,
    CONSOLE_TOKEN,
    FIN_DB_PATH: join(dir, 'inbox.db'),
    FIN_INTEGRATION_ID: 'int_inbox',
    FIN_WEBHOOK_KEY: 'hook-key',
    FIN_BASE_URL: fin.url
  })
  const app = await buildHelpdesk(config, { level: 'info', stream: logStream })
  t.teardown(() => app.close())
  const origin = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', 'localhost')
  const client = new FinClient({ baseUrl: `${origin}/api/fin`, token: FIN_TOKEN })

  // A script playing Fin: a user, conversations, Fin's replies and a handover, through the Fin API.
  const call = async (operation: Parameters<FinClient['call']>[0], input: Record<string, unknown>): Promise<any> => {
    const res = await client.call(operation, input)
    if (res.status >= 300) throw new Error(`${operation}: ${res.status} ${res.text}`)
    return res.data
  }
  const jane = await call('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const omar = await call('createUser', { name: 'Omar Client', email: 'omar.client@example.com' })
  const start = async (user: { id: string }, title: string, body: string): Promise<string> =>
    (await call('createConversation', { user_id: user.id, title, initial_message: { body } })).conversation.id
  const finAgent = { id: 'agent_fin', user_type: 'agent' }
  const refund = await start(jane, 'Refund for order 1234 that arrived broken in the post', '<p>My order arrived broken.</p>')
  await call('createMessage', { conversation_id: refund, author: finAgent, body: '<p>Sorry to hear that! Could you send a photo?</p>' })
  await call('createMessage', {
    conversation_id: refund,
    author: { id: jane.id, user_type: 'end_user' },
    body: '<p>Here it is.</p>',
    attachments: [{ url: 'https://files.example.com/broken-mug.jpg', filename: 'broken-mug.jpg', filetype: 'image/jpeg' }]
  })
  await call('createMessage', { conversation_id: refund, author: finAgent, body: '<p>Customer is upset; check the courier.</p>', visibility: 'private' })
  const invoice = await start(omar, 'Invoice address change', '<p>Please change my invoice address.</p>')
  await call('updateConversation', { conversation_id: invoice, assignee_id: 'agent_fin' })
  await call('createMessage', { conversation_id: invoice, author: finAgent, body: '<p>I will pass you to a colleague.</p>' })
  await call('updateConversation', { conversation_id: invoice, assignee_id: null })

  const page = await browser.newPage()
  const consoleErrors: string[] = []
  const requestUrls: string[] = []
  const statuses = new Map<string, number>()
  page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(message.text()) })
  page.on('pageerror', (err) => consoleErrors.push(err.message))
  page.on('request', (request) => requestUrls.push(request.url()))
  page.on('response', (response) => statuses.set(new URL(response.url()).pathname, response.status()))

  await page.goto(`${origin}/inbox`)

  await t.test('sign in: a wrong token shows an alert and nothing else', async (t) => {
    const agent = page.getByLabel('Agent')
    t.same(await agent.locator('option').allInnerTexts(), ['Sarah Johnson', 'Omar Haddad'], 'the helpdesk\'s agents by name (not Fin)')
    t.equal(await page.getByRole('combobox', { name: 'Agent' }).count(), 1)
    await agent.selectOption({ label: 'Sarah Johnson' })
    await page.getByLabel('Console token').fill('not-the-token')
    t.equal(await page.getByLabel('Console token').getAttribute('type'), 'password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    const alert = page.getByRole('alert')
    await alert.filter({ hasText: 'Wrong console token.' }).waitFor()
    t.equal(await page.getByRole('navigation', { name: 'Conversations' }).count(), 0, 'no conversation list')
    t.equal(await page.getByRole('button', { name: 'Sign in' }).isVisible(), true, 'still on the sign-in form')

    await page.getByLabel('Console token').fill(CONSOLE_TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor()
    t.equal(await page.getByText('Signed in as Sarah Johnson').isVisible(), true)
  })

  await t.test('the list: full titles, user, status, assignee, last message, newest first; filters', async (t) => {
    const list = await eventually(() => entries(page), (e) => e.length === 2)
    t.same(list, [
      'Invoice address change\nOmar Client · open · unassigned needs a human\nFin: I will pass you to a colleague.',
      'Refund for order 1234 that arrived broken in the post\nJane Doe · open · unassigned\nPrivate note · Fin: Customer is upset; check the courier.'
    ])
    t.equal(await page.getByRole('button', { name: 'All conversations', pressed: true }).count(), 1, 'All conversations is the default')
    await page.getByRole('button', { name: 'Needs a human', exact: true }).click()
    t.same((await entries(page)).map((text) => text.split('\n')[0]), ['Invoice address change'])
    t.equal(await page.getByRole('button', { name: 'Needs a human', exact: true, pressed: true }).count(), 1)
    t.equal(await page.getByText('Signed in as Sarah Johnson').isVisible(), true, 'switching does not sign out')
    await page.getByRole('button', { name: 'All conversations' }).click()
    t.equal((await entries(page)).length, 2)
  })

  let shipping = ''
  await t.test('live: conversations, messages and handovers made through the Fin API appear', async (t) => {
    shipping = await start(jane, 'Where is my parcel?', '<p>It has been two weeks.</p>')
    t.equal((await eventually(() => entries(page), (e) => e[0]?.startsWith('Where is my parcel?') === true))[0]?.split('\n')[0], 'Where is my parcel?', 'a new conversation, on top')
    await call('createMessage', { conversation_id: shipping, author: finAgent, body: '<p>Let me check the tracking.</p>' })
    t.match((await eventually(() => entries(page), (e) => e[0]?.includes('Let me check the tracking.') === true))[0], /Fin: Let me check the tracking\./, 'a new message')
    await page.getByRole('button', { name: 'Needs a human', exact: true }).click()
    await call('updateConversation', { conversation_id: shipping, assignee_id: null })
    t.same((await eventually(() => entries(page), (e) => e.length === 2)).map((text) => text.split('\n')[0]), ['Where is my parcel?', 'Invoice address change'], 'a handover')
    await page.getByRole('button', { name: 'All conversations' }).click()
  })

  const nav = page.getByRole('navigation', { name: 'Conversations' })
  const messages = page.getByRole('list', { name: 'Messages' }).locator(':scope > li')
  const sync = page.getByRole('status', { name: 'Fin sync status' })

  await t.test('the thread: oldest first, Fin marked, private notes, attachments as links', async (t) => {
    await nav.getByRole('button', { name: /Refund for order 1234/ }).click()
    await page.getByRole('heading', { name: 'Refund for order 1234 that arrived broken in the post' }).waitFor()
    const headers = (await messages.locator('header').allInnerTexts()).map((text) => text.replace(/ \d.*$/, ''))
    t.same(headers, ['Jane Doe', 'Fin AI agent', 'Jane Doe', 'Fin AI agent Private note'], 'authors and marks, oldest first')
    t.match(await messages.nth(0).innerText(), /My order arrived broken\./)
    t.match(await messages.nth(1).innerText(), /Could you send a photo\?/)
    t.match(await messages.nth(3).innerText(), /Customer is upset/)
    const link = messages.nth(2).getByRole('link', { name: 'broken-mug.jpg' })
    t.equal(await link.getAttribute('href'), 'https://files.example.com/broken-mug.jpg')
    t.equal(await sync.innerText(), 'delivered')
  })

  await t.test('reply: typing throttled, sent as the signed-in agent, Fin notified', async (t) => {
    const before = fin.received.length
    const reply = page.getByRole('textbox', { name: 'Reply' })
    const typingStarted = Date.now()
    await reply.pressSequentially('Hi Jane, a new mug is on its way.', { delay: 10 })
    const typingTook = Date.now() - typingStarted
    await page.getByRole('button', { name: 'Send' }).click()
    await eventually(() => messages.count(), (n) => n === 5)
    t.match(await messages.nth(4).innerText(), /^Sarah Johnson[\s\S]*Hi Jane, a new mug is on its way\./)
    const stored = (await app.fin.storage.listMessages(refund))!.at(-1)!
    t.match(stored, { body: '<p>Hi Jane, a new mug is on its way.</p>', visibility: 'public', author: { id: 'agent_sarah', user_type: 'agent' } })
    await eventually(async () => fin.received.slice(before).some((e) => e.body.event_type === undefined), (synced) => synced)
    const calls = fin.received.slice(before).map((e) => e.body)
    const typed = calls.filter((body) => body.event_type === 'agent_typing')
    // One per 3 s however fast the keys come (a loaded machine may take longer than 3 s to type them).
    t.ok(typed.length >= 1 && typed.length <= 1 + Math.floor(typingTook / 3000), `${typed.length} typing events for 33 keystrokes in ${typingTook} ms`)
    t.same(typed[0], { conversation_id: refund, event_type: 'agent_typing', data: { agent: { id: 'agent_sarah', user_type: 'agent', name: 'Sarah Johnson', email: 'sarah@helpdesk.example' } } })
    t.same(calls.filter((body) => body.event_type === undefined), [{ conversation_id: refund }], 'a sync')
    t.equal(await reply.inputValue(), '')
  })

  await t.test('private note', async (t) => {
    const before = fin.received.length
    await page.getByRole('checkbox', { name: 'Private note' }).check()
    await page.getByRole('textbox', { name: 'Reply' }).fill('Refund approved by finance.')
    await page.getByRole('button', { name: 'Send' }).click()
    await eventually(() => messages.count(), (n) => n === 6)
    t.match(await messages.nth(5).innerText(), /^Sarah Johnson Private note[\s\S]*Refund approved by finance\./)
    t.match((await app.fin.storage.listMessages(refund))!.at(-1), { visibility: 'private', author: { id: 'agent_sarah' } })
    t.equal(await page.getByRole('checkbox', { name: 'Private note' }).isChecked(), false, 'unchecked again after sending')
    t.same((await fin.waitFor(before + 1)).slice(before).map((e) => e.body), [{ conversation_id: refund }], 'Fin notified')
    t.equal(await eventually(() => sync.innerText(), (s) => s === 'delivered'), 'delivered')
  })

  await t.test('take over and resolve, Fin notified; the sync status follows retries and failures', async (t) => {
    await page.getByRole('button', { name: 'Needs a human', exact: true }).click()
    await nav.getByRole('button', { name: /Invoice address change/ }).click()
    await page.getByRole('heading', { name: 'Invoice address change' }).waitFor()
    // Fin is down for a moment: the take-over is retried (Retry-After: 1 s), then accepted.
    fin.answer({ status: 503, headers: { 'retry-after': '1' } })
    const before = fin.received.length
    await page.getByRole('button', { name: 'Take over' }).click()
    await fin.waitFor(before + 1)
    // The retry waits until the page was seen saying so (on a loaded machine 1 s could pass before it looks).
    fin.hold()
    t.equal(await eventually(() => sync.innerText(), (s) => s === 'retrying'), 'retrying', 'retrying within 5 s of Fin\'s answer')
    t.match(await page.locator('#sync-detail').innerText(), /503/)
    await fin.waitFor(before + 2)
    fin.release()
    t.equal(await eventually(() => sync.innerText(), (s) => s === 'delivered'), 'delivered', 'delivered within 5 s of the retry being accepted')
    t.same(fin.received.slice(before).map((e) => e.body), [{ conversation_id: invoice }, { conversation_id: invoice }])
    t.match(await app.fin.storage.getConversation(invoice), { assignee: { id: 'agent_sarah' } })
    t.same(await eventually(() => entries(page), (e) => e.length === 1), [(await entries(page))[0]!], 'taken: gone from Needs a human')
    t.match((await entries(page))[0], /^Where is my parcel\?/)
    await page.getByRole('button', { name: 'All conversations' }).click()
    t.match((await entries(page))[0], /^Invoice address change\nOmar Client · open · assigned to Sarah Johnson/)

    // Fin refuses the next change: failed, with the reason.
    fin.answer({ status: 400, body: '{"error":"unknown conversation"}' })
    await page.getByRole('button', { name: 'Resolve' }).click()
    t.equal(await eventually(() => sync.innerText(), (s) => s === 'failed'), 'failed')
    t.match(await page.locator('#sync-detail').innerText(), /rejected by Fin/)
    t.equal((await app.fin.storage.getConversation(invoice))?.status, 'resolved')
    t.match(await page.getByText(/Omar Client · resolved · assigned to Sarah Johnson/).count(), 2, 'list and thread')
  })

  await t.test('built right: favicon, no console errors, the token in no URL nor log', async (t) => {
    t.equal(statuses.get('/inbox/assets/favicon.svg'), 200, 'the favicon, served by the app')
    t.equal(statuses.get('/inbox/assets/inbox.css'), 200)
    t.equal(statuses.get('/inbox/assets/js/inbox.js'), 200)
    t.same(requestUrls.filter((url) => !url.startsWith(origin)), [], 'nothing from elsewhere')
    t.equal((await fetch(`${origin}/favicon.ico`)).status, 200)
    // The wrong token's 401 is the one error Chromium reports (as a failed resource load); nothing else.
    t.same(consoleErrors, ['Failed to load resource: the server responded with a status of 401 (Unauthorized)'])
    t.notOk(page.url().includes(CONSOLE_TOKEN), 'not in the page URL')
    t.same(requestUrls.filter((url) => url.includes(CONSOLE_TOKEN) || url.includes('not-the-token')), [], 'not in any request URL')
    t.notOk(logs.includes(CONSOLE_TOKEN) || logs.includes('not-the-token'), 'not in the logs')
    t.match(logs, /\/inbox\/api\/conversations/, 'the logs did record the requests')
    if (process.env.UPDATE_SCREENSHOT === '1') {
      const file = new URL('examples/helpdesk/inbox/screenshot.png', ROOT)
      await nav.getByRole('button', { name: /Refund for order 1234/ }).click()
      await page.getByRole('heading', { name: 'Refund for order 1234 that arrived broken in the post' }).waitFor()
      await page.screenshot({ path: file.pathname, type: 'png' })
      t.ok(statSync(file).size < 200_000, 'screenshot under 200 KB')
    }
  })
})
