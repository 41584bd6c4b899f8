import { MemoryStorage } from '../../lib/index.js'
import { testFinStorage } from '../../lib/storage/contract.js'

await testFinStorage('MemoryStorage', () => new MemoryStorage())
