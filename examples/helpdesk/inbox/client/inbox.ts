// The agent inbox in the browser. The agent signs in with email and password (an HttpOnly session cookie: the page
// never holds a credential); views, search and paging are the server's; live changes arrive as server-sent events
// carrying the changed row, which the page patches in place.
import type { InboxAgent, InboxChange, InboxConversation, InboxCustomer, InboxMessage, InboxPage, InboxSync, InboxThread, InboxView } from './types.js'

/** Fin throttles typing too; this keeps the page from sending a request per keystroke. */
const TYPING_EVERY_MS = 3000
const RECONNECT_MS = 5000
const TITLE = 'Helpdesk inbox'

let me: InboxAgent | null = null
let view: InboxView = 'human'
let search = ''
let rows: InboxConversation[] = []
let nextCursor: string | null = null
let openId: string | null = null
let openMessages: InboxMessage[] = []
let lastTyping = 0
let events: EventSource | null = null
/** Conversation id to the newest message this agent has seen in it (kept per agent in this browser). */
let seen: Record<string, string> = {}
/** When this agent first used this browser: older messages are not news. */
let since = ''
const unread = new Set<string>()
/** The key of the reply being composed: a retry after a failure sends the same one, and stores nothing twice. */
let replyKey: string | null = null

function $<T extends HTMLElement> (id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`#${id} is missing from the page`)
  return element as T
}

class ApiError extends Error {
  constructor (readonly status: number, message: string, readonly retryAfter: string | null = null) {
    super(message)
  }
}

/** Calls the inbox API with the session cookie; turns outages and expired sessions into words an agent can use. */
async function api<T> (path: string, init: { method?: string, body?: unknown, headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers }
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? null : JSON.stringify(init.body), credentials: 'same-origin' })
  } catch {
    throw new ApiError(0, 'The helpdesk cannot be reached. Check your connection; the page keeps trying.')
  }
  const text = await response.text()
  let data: unknown
  try {
    data = text === '' ? undefined : JSON.parse(text)
  } catch {
    data = undefined
  }
  if (response.ok) {
    if (!$('banner').dataset.kind?.startsWith('live')) hideBanner()
    return data as T
  }
  const message = (data as { message?: string } | undefined)?.message ?? response.statusText
  if (response.status === 401 && path.startsWith('/inbox/api/')) {
    expired()
    throw new ApiError(401, 'Your session has expired. Sign in again.')
  }
  if (response.status === 429) throw new ApiError(429, `Too many requests: wait ${response.headers.get('retry-after') ?? 'a few'} seconds and try again.`, response.headers.get('retry-after'))
  if (response.status >= 500) throw new ApiError(response.status, 'The helpdesk had a problem saving or reading this. Try again in a moment.')
  throw new ApiError(response.status, message)
}

function showBanner (text: string, kind: string): void {
  const banner = $('banner')
  banner.textContent = text
  banner.dataset.kind = kind
  banner.hidden = false
}

function hideBanner (): void {
  const banner = $('banner')
  banner.hidden = true
  banner.textContent = ''
  delete banner.dataset.kind
}

// --- Signing in and out ---

async function start (): Promise<void> {
  try {
    me = await api<InboxAgent>('/inbox/api/me')
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return
    showSignIn(err instanceof ApiError ? err.message : String(err))
    return
  }
  await enter()
}

function showSignIn (note = ''): void {
  $('workspace').hidden = true
  $('sign-out').hidden = true
  $('notify-on').hidden = true
  $('signed-in-as').hidden = true
  $('skip-link').hidden = true
  const form = $('sign-in')
  form.hidden = false
  const noteElement = $('sign-in-note')
  noteElement.textContent = note
  noteElement.hidden = note === ''
  document.title = TITLE
}

/** The session ended (expired, or signed out elsewhere): back to the sign-in form, saying why. */
function expired (): void {
  if (me === null) return
  me = null
  events?.close()
  events = null
  hideBanner()
  showSignIn('Your session has expired. Sign in again.')
}

async function signIn (event: SubmitEvent): Promise<void> {
  event.preventDefault()
  const error = $('sign-in-error')
  error.textContent = ''
  const email = $<HTMLInputElement>('email').value
  const password = $<HTMLInputElement>('password')
  try {
    const answer = await api<{ agent: InboxAgent }>('/inbox/session', { method: 'POST', body: { email, password: password.value } })
    me = answer.agent
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401
      ? 'Wrong email or password.'
      : err instanceof ApiError && err.status === 429
        ? `Too many sign-in attempts: try again in ${Math.ceil(Number(err.retryAfter ?? 60) / 60)} minutes.`
        : err instanceof ApiError ? err.message : String(err)
    return
  }
  password.value = ''
  await enter()
}

async function enter (): Promise<void> {
  if (me === null) return
  $('sign-in').hidden = true
  $('workspace').hidden = false
  $('sign-out').hidden = false
  $('skip-link').hidden = false
  const who = $('signed-in-as')
  who.textContent = `Signed in as ${me.name}`
  who.hidden = false
  $('notify-on').hidden = !('Notification' in window) || Notification.permission !== 'default'
  try {
    const stored = JSON.parse(localStorage.getItem(seenKey()) ?? 'null') as { since: string, seen: Record<string, string> } | null
    seen = stored?.seen ?? {}
    since = stored?.since ?? new Date().toISOString()
  } catch {
    seen = {}
    since = new Date().toISOString()
  }
  saveSeen()
  await loadList()
  follow()
  // A reload keeps the open conversation (its id is in the address).
  const hash = decodeURIComponent(location.hash.slice(1))
  if (/^[\w-]+$/.test(hash)) await openThread(hash)
}

function saveSeen (): void {
  try {
    localStorage.setItem(seenKey(), JSON.stringify({ since, seen }))
  } catch {}
}

function seenKey (): string {
  return `inbox-seen:${me?.id ?? ''}`
}

async function signOut (): Promise<void> {
  await api('/inbox/session', { method: 'DELETE' }).catch(() => {})
  me = null
  events?.close()
  events = null
  rows = []
  openId = null
  unread.clear()
  $('conversations').replaceChildren()
  closeThread()
  showSignIn()
}

// --- The list ---

async function loadList (more = false): Promise<void> {
  const query = new URLSearchParams({ view })
  if (search !== '') query.set('search', search)
  if (more && nextCursor !== null) query.set('cursor', nextCursor)
  const page = await api<InboxPage>(`/inbox/api/conversations?${query.toString()}`)
  rows = more ? [...rows, ...page.conversations.filter((c) => !rows.some((r) => r.id === c.id))] : page.conversations
  nextCursor = page.next_cursor
  for (const row of page.conversations) noteUnread(row)
  renderList()
}

function matchesView (row: InboxConversation): boolean {
  if (search !== '') return rows.some((r) => r.id === row.id)
  switch (view) {
    case 'human': return row.needs_human
    case 'mine': return row.status === 'open' && row.assignee?.id === me?.id
    case 'unassigned': return row.status === 'open' && row.assignee === null
    case 'all': return true
  }
}

function renderList (): void {
  const list = $('conversations')
  // A keyboard user on a row keeps their place when the list is redrawn (live changes, the clock).
  const focused = list.contains(document.activeElement) ? document.activeElement?.closest('li')?.dataset.id : undefined
  $('list-empty').hidden = rows.length > 0
  $('more').hidden = nextCursor === null
  list.replaceChildren(...rows.map(renderRow))
  if (focused !== undefined) list.querySelector<HTMLButtonElement>(`li[data-id="${CSS.escape(focused)}"] button`)?.focus()
  updateTitle()
}

function renderRow (conversation: InboxConversation): HTMLLIElement {
  const item = document.createElement('li')
  item.dataset.id = conversation.id
  if (unread.has(conversation.id)) item.className = 'unread'
  const button = document.createElement('button')
  button.type = 'button'
  if (conversation.id === openId) button.setAttribute('aria-current', 'true')
  const head = document.createElement('span')
  head.className = 'entry-head'
  head.append(span('entry-title', conversation.title ?? `Conversation ${conversation.id}`), timeElement('entry-time', conversation.updated_at))
  const meta = span('entry-meta', `${conversation.user} · ${conversation.status} · ${conversation.assignee === null ? 'unassigned' : `assigned to ${conversation.assignee.name}`}`)
  if (conversation.needs_human) meta.append(' ', span('badge human', `needs a human · ${waiting(conversation.waiting_since)}`))
  if (conversation.sync.state === 'failed' || conversation.sync.state === 'retrying') meta.append(' ', span(`badge sync-${conversation.sync.state}`, `Fin sync ${conversation.sync.state}`))
  if (unread.has(conversation.id)) meta.prepend(span('visually-unread', 'Unread · '))
  const last = conversation.last_message
  button.append(head, meta, span('entry-last', last === null ? '' : `${last.visibility === 'private' ? 'Private note · ' : ''}${last.author}: ${textOf(last.body)}`))
  button.addEventListener('click', () => background(openThread(conversation.id)))
  item.append(button)
  return item
}

/** "waiting 12 min": how long since Fin handed it over. */
function waiting (since: string | null): string {
  if (since === null) return 'waiting'
  const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 60_000))
  if (minutes < 1) return 'waiting < 1 min'
  if (minutes < 60) return `waiting ${minutes} min`
  const hours = Math.floor(minutes / 60)
  return hours < 24 ? `waiting ${hours} h ${minutes % 60} min` : `waiting ${Math.floor(hours / 24)} d`
}

function timeElement (className: string, iso: string | null): HTMLTimeElement {
  const time = document.createElement('time')
  time.className = className
  if (iso === null) return time
  time.dateTime = iso
  const date = new Date(iso)
  const today = new Date().toDateString() === date.toDateString()
  time.textContent = today ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : date.toLocaleDateString([], { day: 'numeric', month: 'short' })
  time.title = date.toLocaleString()
  return time
}

function setView (next: InboxView): void {
  view = next
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-view]')) button.setAttribute('aria-pressed', String(button.dataset.view === next))
  background(loadList())
}

// --- Unread markers, the title count, notifications ---

function noteUnread (row: InboxConversation): void {
  const last = row.last_message
  if (last === null || last.author_id === me?.id || last.created_at < since) return
  if (seen[row.id] !== last.id && !(row.id === openId && document.visibilityState === 'visible')) unread.add(row.id)
}

function markSeen (row: InboxConversation): void {
  unread.delete(row.id)
  if (row.last_message === null) return
  seen[row.id] = row.last_message.id
  saveSeen()
}

function updateTitle (): void {
  document.title = unread.size === 0 ? TITLE : `(${unread.size}) ${TITLE}`
}

function notifyHandover (row: InboxConversation): void {
  if (!('Notification' in window) || Notification.permission !== 'granted') return
  const notification = new Notification('Fin handed a conversation over', { body: `${row.title ?? 'A conversation'} · ${row.user}`, tag: row.id })
  notification.addEventListener('click', () => {
    window.focus()
    background(openThread(row.id))
  })
}

// --- Live updates ---

/** EventSource reconnects by itself; a closed stream is checked: an expired session signs out, else it retries. */
function follow (): void {
  events?.close()
  let opened = false
  const source = new EventSource('/inbox/api/events')
  events = source
  source.addEventListener('open', () => {
    if ($('banner').dataset.kind?.startsWith('live') === true) hideBanner()
    // Back after a gap: anything may have changed meanwhile.
    if (opened) background(refreshAll())
    opened = true
  })
  source.addEventListener('change', (event) => onChange(JSON.parse((event as MessageEvent<string>).data) as InboxChange))
  // This agent opened more tabs than the server keeps streams for: this one gives way, without reconnecting.
  source.addEventListener('replaced', () => {
    source.close()
    if (events === source) events = null
    showBanner('Live updates continue in your newer tab. Reload this one to use it here.', 'live-replaced')
  })
  source.addEventListener('error', () => {
    if (events !== source) return
    if (source.readyState === EventSource.CONNECTING) {
      showBanner('Live updates interrupted: reconnecting…', 'live')
      return
    }
    source.close()
    events = null
    showBanner('Live updates stopped: the helpdesk cannot be reached. Retrying…', 'live-down')
    setTimeout(() => {
      if (me === null) return
      api<InboxAgent>('/inbox/api/me').then(() => { follow(); return refreshAll() }, () => {
        if (me !== null) setTimeout(follow, RECONNECT_MS)
      })
    }, RECONNECT_MS)
  })
}

async function refreshAll (): Promise<void> {
  await loadList()
  if (openId !== null) await openThread(openId, true)
}

function onChange (change: InboxChange): void {
  const row = change.conversation
  const index = rows.findIndex((r) => r.id === change.conversation_id)
  if (row === null || !matchesView(row)) {
    if (index !== -1) rows.splice(index, 1)
  } else {
    if (index !== -1) rows.splice(index, 1)
    // Newest change first, as the server orders them.
    const at = rows.findIndex((r) => (r.updated_at ?? '') < (row.updated_at ?? ''))
    rows.splice(at === -1 ? rows.length : at, 0, row)
  }
  // Taken by another agent: no longer news for this one.
  if (row !== null && row.assignee !== null && row.assignee.id !== me?.id) unread.delete(row.id)
  else if (row !== null && (change.kind === 'message' || change.kind === 'handover')) {
    noteUnread(row)
    if (change.kind === 'handover' && row.needs_human) {
      unread.add(row.id)
      notifyHandover(row)
    }
  }
  renderList()
  if (row !== null && row.id === openId) {
    renderHead(row)
    if (change.kind === 'message' || change.kind === 'handover') background(appendNew(row.id))
  }
}

// --- The thread ---

async function openThread (id: string, keepScroll = false): Promise<void> {
  const changed = id !== openId
  openId = id
  if (changed) {
    replyKey = null
    $<HTMLTextAreaElement>('reply').value = ''
    $('action-error').textContent = ''
  }
  const thread = await api<InboxThread>(`/inbox/api/conversations/${encodeURIComponent(id)}`)
  if (openId !== id) return
  $('workspace').classList.add('show-thread')
  history.replaceState(null, '', `#${encodeURIComponent(id)}`)
  $('thread-empty').hidden = true
  $('thread-body').hidden = false
  renderHead(thread.conversation)
  renderCustomer(thread.customer)
  const scroller = $('message-scroll')
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40
  openMessages = thread.messages
  $('messages').replaceChildren(...thread.messages.map(renderMessage))
  // A thread opens at its newest message.
  if (changed || !keepScroll || atBottom) scroller.scrollTop = scroller.scrollHeight
  const index = rows.findIndex((r) => r.id === id)
  if (index !== -1) rows[index] = thread.conversation
  markSeen(thread.conversation)
  renderList()
  if (changed && window.matchMedia('(max-width: 760px)').matches) $<HTMLDetailsElement>('customer').open = false
}

/** Only what the thread lacks: the messages after the last one shown. */
async function appendNew (id: string): Promise<void> {
  const after = openMessages.at(-1)?.id
  const fresh = await api<InboxMessage[]>(`/inbox/api/conversations/${encodeURIComponent(id)}/messages${after === undefined ? '' : `?after=${encodeURIComponent(after)}`}`)
  if (openId !== id) return
  const known = new Set(openMessages.map((m) => m.id))
  const added = fresh.filter((m) => !known.has(m.id))
  if (added.length === 0) return
  const scroller = $('message-scroll')
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80
  openMessages.push(...added)
  $('messages').append(...added.map(renderMessage))
  if (atBottom || added.some((m) => m.from === 'agent')) scroller.scrollTop = scroller.scrollHeight
  const row = rows.find((r) => r.id === id)
  if (row !== undefined && document.visibilityState === 'visible') {
    markSeen(row)
    renderList()
  }
}

function closeThread (): void {
  openId = null
  openMessages = []
  $('workspace').classList.remove('show-thread')
  history.replaceState(null, '', location.pathname)
  $('thread-body').hidden = true
  $('thread-empty').hidden = false
}

function renderHead (c: InboxConversation): void {
  $('thread-title').textContent = c.title ?? `Conversation ${c.id}`
  $('thread-meta').textContent = `${c.user} · ${c.status} · ${c.assignee === null ? 'unassigned' : `assigned to ${c.assignee.name}`}${c.needs_human ? ` · needs a human · ${waiting(c.waiting_since)}` : ''}`
  renderSync(c.sync)
  $<HTMLButtonElement>('take-over').disabled = c.assignee?.id === me?.id
  $('resolve').hidden = c.status !== 'open'
  $('reopen').hidden = c.status === 'open'
}

function renderCustomer (customer: InboxCustomer): void {
  const facts: Array<[string, string]> = [
    ['Name', customer.name ?? '—'],
    ['Email', customer.email ?? '—'],
    ['Tags', customer.tags.length === 0 ? '—' : customer.tags.join(', ')],
    ...Object.entries(customer.user_attributes).map(([key, value]): [string, string] => [key, display(value)]),
    ...Object.entries(customer.attributes).map(([key, value]): [string, string] => [`Conversation: ${key}`, display(value)])
  ]
  $('customer-facts').replaceChildren(...facts.flatMap(([term, value]) => {
    const dt = document.createElement('dt')
    dt.textContent = term
    const dd = document.createElement('dd')
    dd.textContent = value
    return [dt, dd]
  }))
}

function display (value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function renderMessage (message: InboxMessage): HTMLLIElement {
  const item = document.createElement('li')
  item.className = message.visibility === 'private' ? 'private' : message.from
  const header = document.createElement('header')
  header.append(span('author', message.author))
  if (message.from === 'fin') header.append(' ', span('badge', 'AI agent'))
  if (message.visibility === 'private') header.append(' ', span('badge', 'Private note'))
  const time = timeElement('message-time', message.created_at)
  time.textContent = new Date(message.created_at).toLocaleString()
  header.append(' ', time)
  item.append(header, messageBody(message.body))
  if (message.attachments.length > 0) {
    const list = document.createElement('ul')
    list.className = 'attachments'
    list.setAttribute('aria-label', 'Attachments')
    for (const attachment of message.attachments) {
      const entry = document.createElement('li')
      entry.append(externalLink(attachment.url, attachment.filename))
      list.append(entry)
    }
    item.append(list)
  }
  return item
}

/**
 * A sanitized body, parsed inertly (nothing loads or runs), then: every link opens in a new tab without a handle
 * on this one, and every remote image becomes a link to it (an image that loaded would tell its host the agent's
 * address and when they read the thread).
 */
function messageBody (html: string): HTMLDivElement {
  const parsed = new DOMParser().parseFromString(html, 'text/html').body
  for (const img of [...parsed.querySelectorAll('img')]) {
    const src = img.getAttribute('src') ?? ''
    const label = `Image: ${img.getAttribute('alt') || src.split('/').pop() || 'image'}`
    img.replaceWith(/^https?:\/\//i.test(src) ? externalLink(src, label) : document.createTextNode(`[${label}]`))
  }
  for (const link of parsed.querySelectorAll('a')) {
    link.target = '_blank'
    link.rel = 'noopener noreferrer'
  }
  const body = document.createElement('div')
  body.className = 'body'
  body.append(...[...parsed.childNodes].map((node) => document.importNode(node, true)))
  return body
}

function externalLink (url: string, text: string): HTMLAnchorElement {
  const link = document.createElement('a')
  link.href = url
  link.textContent = text
  link.target = '_blank'
  link.rel = 'noopener noreferrer'
  return link
}

function renderSync (sync: InboxSync): void {
  $('sync').textContent = sync.state
  $('sync-detail').textContent = sync.reason === null ? '' : `(${sync.reason})`
  $('retry').hidden = sync.state !== 'failed'
}

// --- Actions, always as the signed-in agent (the server takes who from the session) ---

async function act (run: () => Promise<unknown>): Promise<boolean> {
  $('action-error').textContent = ''
  try {
    await run()
    return true
  } catch (err) {
    showActionError(err)
    return false
  }
}

/** Runs a task from an event handler: its failure is shown, never left unhandled. */
function background (task: Promise<unknown>): void {
  task.catch(showActionError)
}

function showActionError (err: unknown): void {
  const text = err instanceof ApiError ? err.message : String(err)
  if (err instanceof ApiError && err.status === 401) return
  if (openId !== null) $('action-error').textContent = text
  else showBanner(text, 'error')
}

async function send (event: SubmitEvent): Promise<void> {
  event.preventDefault()
  const id = openId
  const textarea = $<HTMLTextAreaElement>('reply')
  const privateNote = $<HTMLInputElement>('private')
  if (id === null || me === null || textarea.value.trim() === '') return
  const body = toHtml(textarea.value)
  const visibility = privateNote.checked ? 'private' : 'public'
  replyKey ??= crypto.randomUUID()
  const key = replyKey
  const sent = await act(async () => {
    await api(`/inbox/api/conversations/${encodeURIComponent(id)}/messages`, { method: 'POST', body: { body, visibility }, headers: { 'idempotency-key': key } })
  })
  if (!sent || openId !== id) return
  replyKey = null
  textarea.value = ''
  privateNote.checked = false
  await appendNew(id)
}

function typing (): void {
  const now = Date.now()
  if (openId === null || me === null || now - lastTyping < TYPING_EVERY_MS) return
  lastTyping = now
  api(`/inbox/api/conversations/${encodeURIComponent(openId)}/typing`, { method: 'POST', body: {} }).catch(showActionError)
}

function conversationAction (path: string, body: unknown = {}): void {
  const id = openId
  if (id === null) return
  background(act(async () => {
    const row = await api<InboxConversation>(`/inbox/api/conversations/${encodeURIComponent(id)}/${path}`, { method: 'POST', body })
    if (openId === id && row !== undefined && path !== 'sync') renderHead(row)
  }))
}

function span (className: string, text: string): HTMLSpanElement {
  const element = document.createElement('span')
  element.className = className
  element.textContent = text
  return element
}

/** A body's text, for the one-line preview (parsed inertly: nothing loads or runs). */
function textOf (html: string): string {
  return (new DOMParser().parseFromString(html, 'text/html').body.textContent ?? '').replace(/\s+/g, ' ').trim()
}

/** What the agent typed, as the HTML Fin expects: one paragraph per line, escaped. */
function toHtml (text: string): string {
  return text.trim().split(/\n+/).map((line) => {
    const p = document.createElement('p')
    p.textContent = line
    return p.outerHTML
  }).join('')
}

let searchTimer: ReturnType<typeof setTimeout> | undefined

$<HTMLFormElement>('sign-in').addEventListener('submit', (event) => background(signIn(event)))
$('sign-out').addEventListener('click', () => background(signOut()))
$('notify-on').addEventListener('click', () => {
  background(Notification.requestPermission().then(() => { $('notify-on').hidden = Notification.permission !== 'default' }))
})
$<HTMLFormElement>('reply-form').addEventListener('submit', (event) => background(send(event)))
$('reply').addEventListener('input', typing)
$('reply').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault()
    $<HTMLFormElement>('reply-form').requestSubmit()
  }
})
$('take-over').addEventListener('click', () => conversationAction('assign'))
$('resolve').addEventListener('click', () => conversationAction('status', { status: 'resolved' }))
$('reopen').addEventListener('click', () => conversationAction('status', { status: 'open' }))
$('retry').addEventListener('click', () => conversationAction('sync'))
$('back').addEventListener('click', () => closeThread())
$('more').addEventListener('click', () => background(loadList(true)))
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-view]')) {
  button.addEventListener('click', () => setView(button.dataset.view as InboxView))
}
$<HTMLFormElement>('search-form').addEventListener('submit', (event) => {
  event.preventDefault()
  search = $<HTMLInputElement>('search').value.trim()
  background(loadList())
})
$('search').addEventListener('input', () => {
  clearTimeout(searchTimer)
  searchTimer = setTimeout(() => {
    search = $<HTMLInputElement>('search').value.trim()
    background(loadList())
  }, 250)
})
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible' || openId === null) return
  const row = rows.find((r) => r.id === openId)
  if (row !== undefined) {
    markSeen(row)
    renderList()
  }
})
// Waiting times and list times move on by themselves.
setInterval(() => { if (me !== null) renderList() }, 30_000)
showSignIn()
$('sign-in').hidden = true
start().then(() => { if (me === null) showSignIn() }, showActionError)
