import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'node_modules/**', '.tap/**', 'coverage/**', 'examples/helpdesk/inbox/public/js/**']
  }),
  {
    // TypeBox's idiom names a schema and its static type alike (`const User = Type.Object(...)`,
    // `type User = Static<typeof User>`); tsc itself reports real redeclarations.
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  }
]
