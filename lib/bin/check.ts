#!/usr/bin/env node
// fin-helpdesk-check: the Fin Custom Helpdesk API conformance checks, against any helpdesk.
import { runCheckCli } from './check-cli.js'

runCheckCli(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`fin-helpdesk-check: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 2
})
