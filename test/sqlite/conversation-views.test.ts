import t from 'tap'
import { SqliteStorage } from '../../lib/sqlite/index.js'
import { conversationViewPlan } from '../../lib/sqlite/conversation-views.js'

// The contract suite proves what listConversationViews answers; this proves how SQLite finds it: the page walks the
// updated_at index, and each row's last message is one seek on (conversation_id, seq), never a scan of messages.
t.test('a view is answered from indexes, with the last message by a seek', async (t) => {
  const storage = new SqliteStorage({ path: ':memory:' })
  t.teardown(() => storage.close())
  for (const query of [{}, { status: 'open' as const, assigneeId: null }, { assigneeId: 'agent_a', search: 'refund' }, { cursor: null, limit: 10 }]) {
    const plan = conversationViewPlan(storage.db, 'fin_', query)
    t.ok(plan.includes('SCAN c USING INDEX fin_conversations_by_update'), `${JSON.stringify(query)}: along updated_at`)
    t.ok(plan.includes('SEARCH fin_messages USING COVERING INDEX fin_messages_by_conversation (conversation_id=?)'), `${JSON.stringify(query)}: last message by a seek`)
    t.same(plan.filter((step) => /^SCAN fin_messages/.test(step)), [], 'no scan of the messages')
  }
  const byIds = conversationViewPlan(storage.db, 'fin_', { ids: ['conv_a', 'conv_b'] })
  t.ok(byIds.includes('SEARCH c USING INDEX sqlite_autoindex_fin_conversations_1 (id=?)'), 'an id list: primary key lookups')
})

t.test('a conversation of 40,000 messages costs its list row one message read', async (t) => {
  const storage = new SqliteStorage({ path: ':memory:' })
  t.teardown(() => storage.close())
  const user = (await storage.createUser({ name: 'Long' })).value
  const { conversation } = (await storage.createConversation({
    user_id: user.id, title: 'Long', attributes: null, message: { author: { id: user.id, user_type: 'end_user' }, body: '<p>0</p>', visibility: 'public', attachments: [] }
  })).value
  const insert = storage.db.prepare(`INSERT INTO fin_messages (id, conversation_id, body, author, visibility, attachments, created_at)
    VALUES (?, ?, ?, '{"id":"x","user_type":"end_user"}', 'public', '[]', ?)`)
  storage.db.transaction(() => { for (let i = 1; i < 40_000; i++) insert.run(`msg_${i}`, conversation.id, `<p>${i}</p>`, new Date().toISOString()) })()
  const page = await storage.listConversationViews({})
  t.equal(page.conversations[0]!.lastMessage!.body, '<p>39999</p>', 'the newest of 40,000')
})
