import { MemoryStorage } from '../../lib/index.js'
import { testFinStorage } from '../../lib/testing/index.js'

await testFinStorage('MemoryStorage', () => new MemoryStorage())
