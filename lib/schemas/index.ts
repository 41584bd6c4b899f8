export * from './models.js'
export * from './requests.js'
export * from './responses.js'
export { Nullable, Attributes, StringEnum, Timestamp } from './types.js'
