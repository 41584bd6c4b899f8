import t from 'tap'
import { buildApp } from '../../fixtures/app.js'
import { assertError, client, VARIANTS } from '../../fixtures/client.js'

for (const variant of VARIANTS) {
  t.test(`${variant}: create, get and update a user`, async (t) => {
    const { app, call } = await buildApp(t)
    const op = client(call, variant)
    const created = await op('createUser', { name: 'Jane Doe', email: 'jane@example.com', object_id: 'ic_1' })
    t.equal(created.status, 201)
    t.match(created.data, { id: /^usr_/, user_type: 'end_user', name: 'Jane Doe', email: 'jane@example.com', attributes: {} })
    const id = created.data.id

    const got = await op('getUser', { user_id: id })
    t.equal(got.status, 200)
    t.same(got.data, created.data)

    const events: unknown[] = []
    app.fin.events.on('user.updated', (payload) => { events.push(payload) })
    const updated = await op('updateUser', { user_id: id, attributes: { plan_type: 'enterprise', is_premium: true } })
    t.equal(updated.status, 200)
    t.same(updated.data.attributes, { plan_type: 'enterprise', is_premium: true })
    const merged = await op('updateUser', { user_id: id, attributes: { plan_type: 'pro' } })
    t.same(merged.data.attributes, { plan_type: 'pro', is_premium: true }, 'attributes merge key by key')
    t.equal(events.length, 2)
    t.match(events[1], { integration: 'default', user: { id, attributes: { plan_type: 'pro' } } })
  })

  t.test(`${variant}: unknown user is 404`, async (t) => {
    const { call } = await buildApp(t)
    const op = client(call, variant)
    assertError(t, variant, (await op('getUser', { user_id: 'nobody' })).res, 404, 'FIN_ERR_USER_NOT_FOUND', /nobody/)
    assertError(t, variant, (await op('updateUser', { user_id: 'nobody', attributes: {} })).res, 404, 'FIN_ERR_USER_NOT_FOUND')
  })

  t.test(`${variant}: missing or wrong user_id is 400 naming the field`, async (t) => {
    const { call } = await buildApp(t)
    const op = client(call, variant)
    assertError(t, variant, (await op('getUser', {})).res, 400, 'FIN_ERR_VALIDATION', /user_id/)
    assertError(t, variant, (await op('updateUser', { attributes: {} })).res, 400, 'FIN_ERR_VALIDATION', /user_id/)
    assertError(t, variant, (await op('updateUser', { user_id: 'x', attributes: 'plan' })).res, 400, 'FIN_ERR_VALIDATION', /attributes/)
    assertError(t, variant, (await op('createUser', { name: 42 })).res, 400, 'FIN_ERR_VALIDATION', /name must be string/)
  })

  t.test(`${variant}: create_user is idempotent on object_id`, async (t) => {
    const { app, call, storage } = await buildApp(t)
    const op = client(call, variant)
    let created = 0
    app.fin.events.on('user.created', () => { created++ })
    const first = await op('createUser', { name: 'Jane', object_id: 'ic_same' })
    const again = await op('createUser', { name: 'Someone else', object_id: 'ic_same' })
    t.equal(again.status, 201, 'same status as the first answer')
    t.same(again.data, first.data, 'the first user, unchanged')
    const burst = await Promise.all(Array.from({ length: 20 }, () => op('createUser', { name: 'Burst', object_id: 'ic_burst' })))
    t.same(burst.map((r) => r.status), Array(20).fill(201))
    t.equal(new Set(burst.map((r) => r.data.id)).size, 1, '20 concurrent identical creates make one user')
    t.equal(created, 2, 'user.created fired once per real user')
    t.equal((await storage.getUser(first.data.id))?.name, 'Jane')
  })
}
