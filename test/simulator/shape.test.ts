import { readFile } from 'node:fs/promises'
import { Type } from '@sinclair/typebox'
import t from 'tap'
import { parse } from 'yaml'
import { Message, PostsOnlyMessage } from '../../lib/schemas/models.js'
import { compareShape } from '../../lib/simulator/checks/shape.js'

// compareShape: how the checker tells a payload's differences from the reference, in plain words.

t.test('types, null, const and enum, in plain words', async (t) => {
  const schema = Type.Object({
    id: Type.String(),
    count: Type.Integer(),
    ratio: Type.Number(),
    flag: Type.Boolean(),
    kind: Type.Literal('agent'),
    status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
    level: Type.Unsafe<string>({ enum: ['low', 'high'] }),
    tags: Type.Array(Type.String()),
    owner: Type.Optional(Type.Object({ id: Type.String() })),
    note: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    any: Type.Optional(Type.Unknown())
  })
  t.same(compareShape(schema, { id: 'a', count: 1, ratio: 2, flag: true, kind: 'agent', status: 'open', level: 'low', tags: [], note: null, any: null }), [], 'ratio 2 is an integer and a number')
  t.same(compareShape(schema, { id: 1, count: 1.5, ratio: 'x', flag: 'yes', kind: 'user', status: 'pending', level: 'mid', tags: ['a', 2, [], {}], owner: null }).map((f) => `${f.severity}: ${f.text}${f.hint === undefined ? '' : ` (${f.hint})`}`), [
    'error: id is the number 1; Fin needs a string',
    'error: count is the number 1.5; Fin needs a whole number',
    'error: ratio is the string "x"; Fin needs a number',
    'error: flag is the string "yes"; Fin needs true or false',
    'error: kind is "user"; Fin needs "agent"',
    'error: status is "pending"; Fin needs "open"',
    'error: level is "mid"; Fin needs one of "low", "high"',
    'error: tags[] is the number 2; Fin needs a string',
    'error: tags[] is a list; Fin needs a string',
    'error: tags[] is an object; Fin needs a string',
    'warning: owner is null, where the reference has an object or no owner at all (leave owner out when there is none)'
  ])
  t.same(compareShape(Type.Object({ id: Type.String() }, { required: ['id'] }), null, 'the user'), [{ severity: 'error', text: 'the user is null; Fin needs an object' }])
  t.same(compareShape(Type.Array(Type.Object({ id: Type.String() })), { id: 'a' }, 'the list'), [{ severity: 'error', text: 'the list is an object; Fin needs a list' }])
  t.same(compareShape(Type.Object({ level: Type.Unsafe<string>({ enum: ['low'] }) }), {}), [{ severity: 'error', text: 'level is missing; Fin needs one of "low"' }])
  t.same(compareShape(Type.Object({ x: Type.Unsafe<unknown>({}) }), {}), [{ severity: 'error', text: 'x is missing; Fin needs a value' }])
  t.same(compareShape(Type.Object({ x: Type.Unsafe<unknown>({ type: ['string', 'null'] }) }), { x: 3 }), [{ severity: 'error', text: 'x is the number 3; Fin needs a string' }])
})

t.test('fields the reference lacks: a warning, with a hint when one looks like a documented field', async (t) => {
  const schema = Type.Object({ alias_name: Type.String(), email: Type.String(), photo_url: Type.Optional(Type.String()), id: Type.String() })
  const findings = compareShape(schema, { id: 'a', alias: 'x', Email: 'y', photo: 'z', emeil: 'e', zz: 1 }, 'the agent')
  t.same(findings.map((f) => [f.severity, f.text, f.hint]), [
    ['error', 'alias_name is missing; Fin needs a string', undefined],
    ['error', 'email is missing; Fin needs a string', undefined],
    ['warning', 'alias is not in the reference; it looks like alias_name, which Fin reads', 'rename alias to alias_name'],
    ['warning', 'Email is not in the reference; it looks like email, which Fin reads', 'rename Email to email'],
    ['warning', 'photo is not in the reference; it looks like photo_url, which Fin reads', 'rename photo to photo_url'],
    ['warning', 'emeil is not in the reference; it looks like email, which Fin reads', 'rename emeil to email'],
    ['warning', 'zz is not in the reference (Fin ignores it)', undefined]
  ])
  t.same(compareShape(Type.Object({ id: Type.String() }, { additionalProperties: true }), { id: 'a', extra: 1 }), [], 'additional properties allowed')
  t.same(compareShape(Type.Object({ user: Type.Object({ name: Type.Optional(Type.String()) }) }), { user: { nam: 'b', idd: 'c' } }, 'conversation'), [
    { severity: 'warning', text: 'conversation.user.nam is not in the reference; it looks like conversation.user.name, which Fin reads', hint: 'rename nam to name' },
    { severity: 'warning', text: 'conversation.user.idd is not in the reference (Fin ignores it)' }
  ], 'nested paths; short names are not near anything')
  t.same(compareShape(Type.Object({ id: Type.String() }), { id: 'a', id2: undefined }), [{ severity: 'warning', text: 'id2 is not in the reference (Fin ignores it)' }], 'the near field must be absent for a hint')
})

t.test('anyOf: the branch that fits best; the same finding once', async (t) => {
  const schema = Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Object({ id: Type.Integer() })])
  t.same(compareShape(schema, { id: 1 }), [])
  t.same(compareShape(schema, { id: 'a' }), [{ severity: 'error', text: 'name is missing; Fin needs a string' }])
  t.same(compareShape(Type.Array(Type.Object({ id: Type.String() })), [{ id: 1 }, { id: 2 }], 'the list'), [{ severity: 'error', text: 'id is the number 1; Fin needs a string' }, { severity: 'error', text: 'id is the number 2; Fin needs a string' }])
  t.same(compareShape(Type.Array(Type.Object({ id: Type.String() })), [{}, {}], 'the list'), [{ severity: 'error', text: 'id is missing; Fin needs a string' }], 'the same text once')
})

t.test('an answer with nothing where an object is needed says so (a POST-only answer without its data envelope)', async (t) => {
  t.same(compareShape(Type.Object({ id: Type.String() }), undefined), [{ severity: 'error', text: 'the answer is nothing; Fin needs an object' }])
})

t.test('message authors: the agent alias is `alias` in both variants, as the reference has it (`alias_name` is for POST-only get_agents)', async (t) => {
  const reference = parse(await readFile(new URL('../../docs/reference/fin-api.yaml', import.meta.url), 'utf8')) as { components: { schemas: Record<string, { properties: Record<string, { oneOf?: Array<{ $ref: string }> }> }> } }
  const schemas = reference.components.schemas
  const authorAgent = (message: string): string[] => {
    const ref = schemas[message]!.properties.author!.oneOf!.map((branch) => branch.$ref.split('/').pop()!).find((name) => name.includes('Agent'))!
    return Object.keys(schemas[ref]!.properties)
  }
  // The reference: get_messages authors are EndUser or Agent in both variants (POST-only documents the author as "any").
  t.ok(authorAgent('Message').includes('alias'))
  t.ok(authorAgent('PostsOnlyMessage').includes('alias'))
  t.notOk(authorAgent('PostsOnlyMessage').includes('alias_name'))
  t.ok(Object.keys(schemas.PostsOnlyAgent!.properties).includes('alias_name'), 'get_agents in POST-only: alias_name')
  // The checker reads them so: alias on an author is as documented; alias_name is not, in either variant.
  const agent = { id: 'agt_1', user_type: 'agent', name: 'Fin', email: 'fin@example.com' }
  const message = (author: object) => ({ id: 'm1', conversation_id: 'c1', message_type: 'comment', body: '<p>Hi</p>', author, visibility: 'public', created_at: '2025-10-27T14:35:00.000Z' })
  for (const schema of [Message, PostsOnlyMessage]) {
    t.same(compareShape(schema, message({ ...agent, alias: 'Support Fin' }), 'the message'), [])
    t.same(compareShape(schema, message({ ...agent, alias_name: 'Support Fin' }), 'the message'), [
      { severity: 'warning', text: 'author.alias_name is not in the reference; it looks like author.alias, which Fin reads', hint: 'rename alias_name to alias' }
    ])
  }
})
