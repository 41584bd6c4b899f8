import { MemoryStorage } from '../../lib/index.js'
import { testFinStorage } from '../../lib/testing.js'

await testFinStorage('MemoryStorage', () => new MemoryStorage())
