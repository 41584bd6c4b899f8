export * from './models.js'
export * from './requests.js'
export * from './responses.js'
