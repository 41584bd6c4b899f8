import type { TSchema } from '@sinclair/typebox'
import type { Severity } from './report.js'

/** One way a payload differs from the reference, in plain words. */
export interface Finding {
  severity: Severity
  text: string
  hint?: string
}

interface Schema {
  type?: string | string[]
  const?: unknown
  enum?: unknown[]
  anyOf?: Schema[]
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  items?: Schema
}

/**
 * Compares a payload with a reference schema and says what differs, in plain words: a missing required field or a
 * wrong type is an error; a `null` where the reference has an optional object, or a field the reference does not
 * have, is a warning (with a hint when the field looks like a misspelt documented one).
 */
export function compareShape (schema: TSchema, value: unknown, label = 'the answer'): Finding[] {
  const findings = walk(schema as Schema, value, label, false)
  const seen = new Set<string>()
  return findings.filter((f) => (seen.has(f.text) ? false : (seen.add(f.text), true)))
}

function walk (schema: Schema, value: unknown, path: string, optional: boolean): Finding[] {
  if (schema.anyOf !== undefined) {
    // The branch that fits best: fewest errors, then fewest warnings.
    const tries = schema.anyOf.map((branch) => walk(branch, value, path, optional))
    const score = (f: Finding[]) => f.filter((x) => x.severity === 'error').length * 1000 + f.length
    return tries.reduce((best, next) => (score(next) < score(best) ? next : best))
  }
  const types = schema.type === undefined ? [] : [schema.type].flat()
  if (value === null) {
    if (types.length === 0 || types.includes('null')) return []
    return optional
      ? [{ severity: 'warning', text: `${path} is null, where the reference has ${kind(schema)} or no ${path} at all`, hint: `leave ${path} out when there is none` }]
      : [{ severity: 'error', text: `${path} is null; Fin needs ${kind(schema)}` }]
  }
  const actual = typeOf(value)
  if (types.length > 0 && !types.some((t) => t === actual || (t === 'number' && actual === 'integer'))) {
    return [{ severity: 'error', text: `${path} is ${describe(value)}; Fin needs ${kind(schema)}` }]
  }
  if (schema.const !== undefined && value !== schema.const) return [{ severity: 'error', text: `${path} is ${JSON.stringify(value)}; Fin needs ${JSON.stringify(schema.const)}` }]
  if (schema.enum !== undefined && !schema.enum.includes(value)) return [{ severity: 'error', text: `${path} is ${JSON.stringify(value)}; Fin needs one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}` }]
  if (actual === 'array' && schema.items !== undefined) {
    return (value as unknown[]).flatMap((item) => walk(schema.items!, item, `${path}[]`, false))
  }
  if (actual !== 'object' || schema.properties === undefined) return []
  const record = value as Record<string, unknown>
  const findings: Finding[] = []
  const join = (key: string) => (path.startsWith('the ') ? key : `${path}.${key}`)
  for (const key of schema.required ?? []) {
    if (record[key] === undefined) findings.push({ severity: 'error', text: `${join(key)} is missing; Fin needs ${kind(schema.properties[key] ?? {})}` })
  }
  for (const [key, item] of Object.entries(record)) {
    const property = schema.properties[key]
    if (property !== undefined) {
      if (item !== undefined) findings.push(...walk(property, item, join(key), !(schema.required ?? []).includes(key)))
      continue
    }
    if (schema.additionalProperties === true) continue
    const near = Object.keys(schema.properties).find((name) => looksLike(key, name) && record[name] === undefined)
    findings.push(near === undefined
      ? { severity: 'warning', text: `${join(key)} is not in the reference (Fin ignores it)` }
      : { severity: 'warning', text: `${join(key)} is not in the reference; it looks like ${join(near)}, which Fin reads`, hint: `rename ${key} to ${near}` })
  }
  return findings
}

/** Two field names one might mistake for each other: same letters ignoring case and _, a prefix, or one edit apart. */
function looksLike (a: string, b: string): boolean {
  const x = a.toLowerCase().replace(/_/g, '')
  const y = b.toLowerCase().replace(/_/g, '')
  if (x === y || (x.length >= 3 && y.startsWith(x)) || (y.length >= 3 && x.startsWith(y))) return true
  return x.length > 3 && editDistance(x, y) <= 1
}

function editDistance (a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]!
}

function typeOf (value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (Number.isInteger(value)) return 'integer'
  return typeof value
}

function describe (value: unknown): string {
  const type = typeOf(value)
  if (value === undefined) return 'nothing'
  if (type === 'array') return 'a list'
  if (type === 'object') return 'an object'
  return `${type === 'integer' ? 'the number' : `the ${type}`} ${JSON.stringify(value).slice(0, 40)}`
}

function kind (schema: Schema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  if (schema.enum !== undefined) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`
  if (schema.anyOf !== undefined) return schema.anyOf.map(kind).join(' or ')
  const types = schema.type === undefined ? [] : [schema.type].flat().filter((t) => t !== 'null')
  const words: Record<string, string> = { string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false', object: 'an object', array: 'a list' }
  return types.map((t) => words[t] ?? t).join(' or ') || 'a value'
}
