/**
 * `PhoneCallProtocol`: what a client declares it can speak on a 1:1 call
 * (`phoneCallProtocol#fc878fc8`), as an Effect Schema.
 *
 * Spec: `docs/security.md` and the TL page for `phoneCallProtocol`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A `phoneCallProtocol`: transport flags, the libtgvoip layer range and the ordered list of
 * tgcalls library versions (preferred first).
 *
 * @since 0.1.0
 * @category models
 */
export class PhoneCallProtocol extends Schema.Class<PhoneCallProtocol>("@tgphone/crypto/PhoneCallProtocol")({
  udpP2p: Schema.Boolean,
  udpReflector: Schema.Boolean,
  minLayer: Schema.Int,
  maxLayer: Schema.Int,
  libraryVersions: Schema.Array(Schema.String)
}) {}
