import t from 'tap'
import { MemoryOutbox, MemoryStorage } from '../../lib/index.js'
import { testFinStorage } from '../../lib/testing/index.js'

// The contract suites are node:test-based; tap runs their cases as its own subtests.
testFinStorage('MemoryStorage', () => new MemoryStorage(), { test: (name, fn) => t.test(name, fn), outbox: () => new MemoryOutbox() })
