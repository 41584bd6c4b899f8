import t from 'tap'
import { assertLike, assertNot } from '../../lib/testing/runner.js'

t.test('assertLike: a subset of properties, constructors as types, arrays of the same length', async (t) => {
  assertLike({ id: 'a', n: 1, ok: true, extra: 'x', list: [{ a: 1, b: 2 }] }, { id: String, n: Number, ok: Boolean, list: [{ a: 1 }] })
  t.throws(() => assertLike({ id: 1 }, { id: String }), { code: 'ERR_ASSERTION' })
  t.throws(() => assertLike({}, { id: String }), { code: 'ERR_ASSERTION' }, 'a missing property fails')
  t.throws(() => assertLike({ list: [1, 2] }, { list: [1] }), { code: 'ERR_ASSERTION' }, 'arrays of another length fail')
  t.throws(() => assertLike({ list: 'x' }, { list: [1] }), { code: 'ERR_ASSERTION' })
  t.throws(() => assertLike(null, { a: 1 }), { code: 'ERR_ASSERTION' })
  t.throws(() => assertLike([1], { a: 1 }), { code: 'ERR_ASSERTION' }, 'an array is not an object pattern')
  assertNot(null)
  t.throws(() => assertNot('x'), { code: 'ERR_ASSERTION' })
})
