import t from 'tap'
import { DEFAULT_ATTRIBUTE_LIMITS } from '../../../lib/storage/attributes.js'
import { resolveOptions } from '../../../lib/options.js'
import { buildApp } from '../../fixtures/app.js'
import { assertError, client, conversationInput, VARIANTS } from '../../fixtures/client.js'

// 10,000 characters per value: ~10 KiB per key.
const chunk = (prefix: string, keys: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: keys }, (_, i) => [`${prefix}${i}`, 'x'.repeat(10_000)]))

for (const variant of VARIANTS) {
  t.test(`${variant}: repeated update_user cannot grow a user's attributes past the default 128 KiB`, async (t) => {
    const { call, storage } = await buildApp(t)
    const op = client(call, variant)
    const user = (await op('createUser', { name: 'Jane' })).data
    for (let round = 0; round < 12; round++) {
      const res = await op('updateUser', { user_id: user.id, attributes: chunk(`r${round}_`, 1) })
      t.equal(res.status, 200, `round ${round}: ~${(round + 1) * 10} KiB`)
    }
    const before = await storage.getUser(user.id)
    const refused = await op('updateUser', { user_id: user.id, attributes: chunk('more_', 2) })
    assertError(t, variant, refused.res, 400, 'FIN_ERR_ATTRIBUTES_TOO_LARGE', /user's attributes would hold \d+ bytes, over the limit of 131072 bytes/)
    t.same(await storage.getUser(user.id), before, 'nothing written')
    const replace = await op('updateUser', { user_id: user.id, attributes: { r0_0: 'small' } })
    t.equal(replace.status, 200, 'a change that shrinks them is fine')
  })

  t.test(`${variant}: attributeLimits is configurable, applies to conversations and their users, and can be turned off`, async (t) => {
    const { call, storage } = await buildApp(t, { attributeLimits: { maxKeys: 2 } })
    const op = client(call, variant)
    const user = (await op('createUser', { name: 'Jane' })).data
    t.equal((await op('updateUser', { user_id: user.id, attributes: { a: 1, b: 2 } })).status, 200)
    const third = await op('updateUser', { user_id: user.id, attributes: { c: 3 } })
    assertError(t, variant, third.res, 400, 'FIN_ERR_ATTRIBUTES_TOO_LARGE', /3 keys, over the limit of 2 keys/)

    const tooMany = variant === 'standard'
      ? conversationInput(variant, user.id, {}, { attributes: { x: 1, y: 2, z: 3 } })
      : conversationInput(variant, user.id, { attributes: { x: 1, y: 2, z: 3 } })
    const create = await op('createConversation', tooMany)
    assertError(t, variant, create.res, 400, 'FIN_ERR_ATTRIBUTES_TOO_LARGE', /conversation's attributes would hold 3 keys/)
    t.same(await storage.listConversations(), [], 'no conversation written')

    const conversation = (await op('createConversation', conversationInput(variant, user.id))).data.conversation
    const update = await op('updateConversation', { conversation_id: conversation.id, status: 'resolved', attributes: { x: 1, y: 2, z: 3 } })
    assertError(t, variant, update.res, 400, 'FIN_ERR_ATTRIBUTES_TOO_LARGE')
    t.equal((await storage.getConversation(conversation.id))?.status, 'open', 'nothing written, status included')
    if (variant === 'posts-only') {
      const viaUser = await op('updateConversation', { conversation_id: conversation.id, status: 'resolved', user: { id: user.id, attributes: { c: 3 } } })
      assertError(t, variant, viaUser.res, 400, 'FIN_ERR_ATTRIBUTES_TOO_LARGE', /user's attributes/)
      t.same((await storage.getUser(user.id))?.attributes, { a: 1, b: 2 })
      t.equal((await storage.getConversation(conversation.id))?.status, 'open')
    }

    const off = await buildApp(t, { attributeLimits: false })
    const free = client(off.call, variant)
    const other = (await free('createUser', { name: 'Eve' })).data
    t.equal((await free('updateUser', { user_id: other.id, attributes: chunk('k', 20) })).status, 200, 'false: no limit')
  })
}

t.test('attributeLimits: defaults and register-time checks', async (t) => {
  t.same(DEFAULT_ATTRIBUTE_LIMITS, { maxKeys: 500, maxBytes: 131072 })
  t.same(resolveOptions({ tokens: ['t-0123456789abcdef'] }).attributeLimits, { maxKeys: 500, maxBytes: 131072 })
  t.same(resolveOptions({ tokens: ['t-0123456789abcdef'], attributeLimits: { maxBytes: 1000 } }).attributeLimits, { maxKeys: 500, maxBytes: 1000 })
  t.equal(resolveOptions({ tokens: ['t-0123456789abcdef'], attributeLimits: false }).attributeLimits, undefined)
  t.throws(() => resolveOptions({ tokens: ['t-0123456789abcdef'], attributeLimits: { maxKeys: 0 } }), { code: 'FIN_ERR_OPTIONS', message: /attributeLimits.maxKeys/ })
  t.throws(() => resolveOptions({ tokens: ['t-0123456789abcdef'], attributeLimits: { maxBytes: 1.5 } }), { code: 'FIN_ERR_OPTIONS', message: /attributeLimits.maxBytes/ })
})
