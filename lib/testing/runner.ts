import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

/**
 * How a contract suite declares its cases. Defaults to `node:test`; pass your runner's own to run the suite under it:
 * tap `(name, fn) => t.test(name, fn)`, vitest `it`, node:test `it` or `t.test`. Each case is self-contained (it
 * makes and closes its own adapter) and throws an `AssertionError` from `node:assert/strict` when the contract breaks.
 */
export type ContractTest = (name: string, fn: () => Promise<void>) => unknown

export interface ContractOptions {
  /** @default node:test's `it`, inside a `describe` named after the suite */
  test?: ContractTest
}

export interface ContractCase { name: string, fn: () => Promise<void> }

/** Declares the cases with the caller's runner, or under one node:test `describe` when none is given. */
export function declareCases (suite: string, cases: ContractCase[], options: ContractOptions): void {
  const test = options.test
  if (test === undefined) {
    // node:test's runner awaits what describe and it return.
    describe(suite, () => {
      for (const c of cases) it(c.name, c.fn)
    })
    return
  }
  for (const c of cases) test(`${suite}: ${c.name}`, c.fn)
}

type Pattern = unknown

/**
 * Asserts that `actual` has every property of `pattern` (recursively; arrays element by element and of the same
 * length), where a `String`, `Number` or `Boolean` constructor in the pattern stands for any value of that type.
 * The comparison is a deepStrictEqual of `actual` projected onto the pattern's shape, so failures show a readable diff.
 */
export function assertLike (actual: unknown, pattern: Pattern, message?: string): void {
  assert.deepStrictEqual(project(actual, pattern), pattern, message)
}

const TYPES = new Map<unknown, (value: unknown) => boolean>([
  [String, (v) => typeof v === 'string'],
  [Number, (v) => typeof v === 'number'],
  [Boolean, (v) => typeof v === 'boolean']
])

function project (actual: unknown, pattern: Pattern): unknown {
  const isType = TYPES.get(pattern)
  if (isType !== undefined) return isType(actual) ? pattern : actual
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual) || actual.length !== pattern.length) return actual
    return pattern.map((p: unknown, i) => project(actual[i], p))
  }
  if (pattern !== null && typeof pattern === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return actual
    const source = actual as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const [key, p] of Object.entries(pattern)) {
      if (key in source) out[key] = project(source[key], p)
    }
    return out
  }
  return actual
}

/** tap's `notOk`: the value is falsy (null, undefined, empty string...). */
export function assertNot (value: unknown, message?: string): void {
  assert.ok(!value, message)
}
