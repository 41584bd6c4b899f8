import { OAuthTokens } from './auth/oauth.js'
import type { ApiAuth } from './http/auth.js'
import { createSignatureCheck } from './auth/signature.js'
import { createSanitizer } from './html.js'
import { MemoryOutbox } from './notify/outbox.js'
import type { NotifierOptions } from './notify/notifier.js'
import type { ResolvedOptions } from './options.js'

/** The objects one registration runs with, made from its checked options. */
export interface Built {
  auth: ApiAuth
  sanitize: (html: string) => string
  /** Undefined without `notify`. */
  notify: NotifierOptions | undefined
  /** True when the outbox was made here (a MemoryOutbox): the plugin closes it; a given outbox belongs to the host. */
  ownsOutbox: boolean
}

/** Builds what the options describe: the token issuer, the signature check, the sanitizer and the default outbox. */
export function build (options: ResolvedOptions): Built {
  const { notify } = options
  return {
    auth: {
      tokens: options.tokens,
      verifyToken: options.verifyToken,
      oauth: options.oauth === undefined ? undefined : new OAuthTokens(options.oauth),
      signature: options.signature === undefined ? undefined : createSignatureCheck(options.signature)
    },
    sanitize: createSanitizer(options.sanitize),
    notify: notify === undefined ? undefined : { ...notify, outbox: notify.outbox ?? new MemoryOutbox() },
    ownsOutbox: notify !== undefined && notify.outbox === undefined
  }
}
