// The agent inbox in the browser: signs in with the console token (kept in memory only, sent as a bearer header),
// lists and opens conversations, acts through the console API, and follows changes over a server-sent event stream.
import type { InboxAgent, InboxChange, InboxConversation, InboxMessage, InboxSync, InboxThread } from './types.js'

/** Fin throttles typing too; this keeps the page from sending a request per keystroke. */
const TYPING_EVERY_MS = 3000
/** Changes arriving together cause one refresh. */
const REFRESH_DELAY_MS = 150
const RECONNECT_MS = 2000

interface Session {
  token: string
  agent: InboxAgent
}

let session: Session | null = null
let filter: 'all' | 'human' = 'all'
let openId: string | null = null
let conversations: InboxConversation[] = []
let lastTyping = 0
let refreshTimer: ReturnType<typeof setTimeout> | undefined
let threadDirty = false

function $<T extends HTMLElement> (id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`#${id} is missing from the page`)
  return element as T
}

class ApiError extends Error {
  constructor (readonly status: number, message: string) {
    super(message)
  }
}

async function api<T> (path: string, init: { method?: string, body?: unknown } = {}): Promise<T> {
  if (session === null) throw new ApiError(401, 'not signed in')
  const headers: Record<string, string> = { authorization: `Bearer ${session.token}` }
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? null : JSON.stringify(init.body)
  })
  const text = await response.text()
  const data: unknown = text === '' ? undefined : JSON.parse(text)
  if (!response.ok) throw new ApiError(response.status, (data as { message?: string } | undefined)?.message ?? response.statusText)
  return data as T
}

async function loadAgents (): Promise<void> {
  const response = await fetch('/inbox/agents')
  const agents = await response.json() as InboxAgent[]
  $<HTMLSelectElement>('agent').replaceChildren(...agents.map((agent) => new Option(agent.name, agent.id)))
}

async function signIn (event: SubmitEvent): Promise<void> {
  event.preventDefault()
  const tokenInput = $<HTMLInputElement>('token')
  const select = $<HTMLSelectElement>('agent')
  const error = $('sign-in-error')
  error.textContent = ''
  const option = select.selectedOptions[0]
  if (option === undefined) return
  session = { token: tokenInput.value, agent: { id: option.value, name: option.text } }
  try {
    conversations = await api<InboxConversation[]>('/inbox/api/conversations')
  } catch (err) {
    session = null
    error.textContent = err instanceof ApiError && err.status === 401 ? 'Wrong console token.' : `Could not sign in: ${String(err)}`
    return
  }
  tokenInput.value = ''
  $('sign-in').hidden = true
  $('workspace').hidden = false
  const who = $('signed-in-as')
  who.textContent = `Signed in as ${session.agent.name}`
  who.hidden = false
  renderList()
  background(follow())
}

/** Reads the event stream with fetch (so the token stays in a header) and reconnects when it drops. */
async function follow (): Promise<void> {
  for (let current = session; current !== null; current = session) {
    try {
      const response = await fetch('/inbox/api/events', { headers: { authorization: `Bearer ${current.token}`, accept: 'text/event-stream' } })
      if (!response.ok || response.body === null) throw new Error(`event stream: ${response.status}`)
      // Anything may have changed while we were away.
      scheduleRefresh(true)
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value
        let end = buffer.indexOf('\n\n')
        while (end !== -1) {
          onFrame(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
          end = buffer.indexOf('\n\n')
        }
      }
    } catch {
      // The server went away or restarted: try again shortly.
    }
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS))
  }
}

function onFrame (frame: string): void {
  const data = frame.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n')
  if (data === '') return
  const change = JSON.parse(data) as InboxChange
  scheduleRefresh(change.conversation_id === openId)
}

function scheduleRefresh (thread: boolean): void {
  threadDirty ||= thread
  if (refreshTimer !== undefined) return
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined
    const withThread = threadDirty
    threadDirty = false
    background(refresh(withThread))
  }, REFRESH_DELAY_MS)
}

async function refresh (withThread: boolean): Promise<void> {
  try {
    conversations = await api<InboxConversation[]>('/inbox/api/conversations')
    renderList()
    if (withThread && openId !== null) await openThread(openId)
  } catch (err) {
    showActionError(err)
  }
}

function renderList (): void {
  const shown = filter === 'all' ? conversations : conversations.filter((c) => c.needs_human)
  $('list-empty').hidden = shown.length > 0
  $('conversations').replaceChildren(...shown.map((conversation) => {
    const item = document.createElement('li')
    const button = document.createElement('button')
    button.type = 'button'
    if (conversation.id === openId) button.setAttribute('aria-current', 'true')
    button.append(
      span('entry-title', conversation.title ?? `Conversation ${conversation.id}`),
      span('entry-meta', `${conversation.user} · ${conversation.status} · ${conversation.assignee === null ? 'unassigned' : `assigned to ${conversation.assignee.name}`}`)
    )
    if (conversation.needs_human) button.querySelector('.entry-meta')?.append(' ', span('badge human', 'needs a human'))
    const last = conversation.last_message
    button.append(span('entry-last', last === null ? '' : `${last.visibility === 'private' ? 'Private note · ' : ''}${last.author}: ${textOf(last.body)}`))
    button.addEventListener('click', () => background(openThread(conversation.id)))
    item.append(button)
    return item
  }))
}

async function openThread (id: string): Promise<void> {
  const changed = id !== openId
  openId = id
  const thread = await api<InboxThread>(`/inbox/api/conversations/${encodeURIComponent(id)}`)
  if (openId !== id) return
  if (changed) {
    $<HTMLTextAreaElement>('reply').value = ''
    $('action-error').textContent = ''
    renderList()
  }
  $('thread-empty').hidden = true
  $('thread-body').hidden = false
  const c = thread.conversation
  $('thread-title').textContent = c.title ?? `Conversation ${c.id}`
  $('thread-meta').textContent = `${c.user} · ${c.status} · ${c.assignee === null ? 'unassigned' : `assigned to ${c.assignee.name}`}${c.needs_human ? ' · needs a human' : ''}`
  $('messages').replaceChildren(...thread.messages.map(renderMessage))
  renderSync(thread.sync)
  $<HTMLButtonElement>('take-over').disabled = c.assignee?.id === session?.agent.id
  $<HTMLButtonElement>('resolve').disabled = c.status === 'resolved'
}

function renderMessage (message: InboxMessage): HTMLLIElement {
  const item = document.createElement('li')
  item.className = message.visibility === 'private' ? 'private' : message.from
  const header = document.createElement('header')
  header.append(span('author', message.author))
  if (message.from === 'fin') header.append(' ', span('badge', 'AI agent'))
  if (message.visibility === 'private') header.append(' ', span('badge', 'Private note'))
  const time = document.createElement('time')
  time.dateTime = message.created_at
  time.textContent = new Date(message.created_at).toLocaleString()
  header.append(' ', time)
  const body = document.createElement('div')
  body.className = 'body'
  // Bodies are sanitized by the helpdesk (an allow-list of tags); the page's CSP also forbids inline script.
  body.innerHTML = message.body
  item.append(header, body)
  if (message.attachments.length > 0) {
    const list = document.createElement('ul')
    list.setAttribute('aria-label', 'Attachments')
    for (const attachment of message.attachments) {
      const link = document.createElement('a')
      link.href = attachment.url
      link.textContent = attachment.filename
      link.rel = 'noopener noreferrer'
      link.target = '_blank'
      const entry = document.createElement('li')
      entry.append(link)
      list.append(entry)
    }
    item.append(list)
  }
  return item
}

function renderSync (sync: InboxSync): void {
  $('sync').textContent = sync.state
  $('sync-detail').textContent = sync.reason === null ? '' : `(${sync.reason})`
}

async function act (run: () => Promise<unknown>): Promise<void> {
  $('action-error').textContent = ''
  try {
    await run()
    if (openId !== null) await openThread(openId)
  } catch (err) {
    showActionError(err)
  }
}

/** Runs a task from an event handler: its failure is shown, never left unhandled. */
function background (task: Promise<unknown>): void {
  task.catch(showActionError)
}

function showActionError (err: unknown): void {
  $('action-error').textContent = err instanceof ApiError ? err.message : String(err)
}

async function send (event: SubmitEvent): Promise<void> {
  event.preventDefault()
  const id = openId
  const textarea = $<HTMLTextAreaElement>('reply')
  const privateNote = $<HTMLInputElement>('private')
  if (id === null || session === null || textarea.value.trim() === '') return
  const body = toHtml(textarea.value)
  const visibility = privateNote.checked ? 'private' : 'public'
  await act(async () => {
    await api(`/console/conversations/${encodeURIComponent(id)}/messages`, { method: 'POST', body: { author_id: session?.agent.id, body, visibility } })
    textarea.value = ''
    privateNote.checked = false
  })
}

function typing (): void {
  const now = Date.now()
  if (openId === null || session === null || now - lastTyping < TYPING_EVERY_MS) return
  lastTyping = now
  api(`/console/conversations/${encodeURIComponent(openId)}/typing`, { method: 'POST', body: { agent_id: session.agent.id } }).catch(showActionError)
}

function setFilter (next: 'all' | 'human'): void {
  filter = next
  $('filter-all').setAttribute('aria-pressed', String(next === 'all'))
  $('filter-human').setAttribute('aria-pressed', String(next === 'human'))
  renderList()
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

$<HTMLFormElement>('sign-in').addEventListener('submit', (event) => background(signIn(event)))
$<HTMLFormElement>('reply-form').addEventListener('submit', (event) => background(send(event)))
$('reply').addEventListener('input', typing)
$('take-over').addEventListener('click', () => {
  const id = openId
  if (id !== null) background(act(() => api(`/console/conversations/${encodeURIComponent(id)}`, { method: 'PATCH', body: { assignee_id: session?.agent.id } })))
})
$('resolve').addEventListener('click', () => {
  const id = openId
  if (id !== null) background(act(() => api(`/console/conversations/${encodeURIComponent(id)}`, { method: 'PATCH', body: { status: 'resolved' } })))
})
$('filter-all').addEventListener('click', () => setFilter('all'))
$('filter-human').addEventListener('click', () => setFilter('human'))
loadAgents().catch((err: unknown) => { $('sign-in-error').textContent = `Could not load the agents: ${String(err)}` })
