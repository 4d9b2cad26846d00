/**
 * The in-memory server's rules for `phoneCallProtocol` (documented in docs/testing.md).
 *
 * Telegram does not publish the server's exact conditions (e2e-calls §5), so the world uses
 * these, chosen to reproduce the user reports behind each error:
 *
 * - `CALL_PROTOCOL_FLAGS_INVALID`: neither `udpP2p` nor `udpReflector` is set.
 * - `CALL_PROTOCOL_LAYER_INVALID`: `minLayer > maxLayer`, or `[minLayer, maxLayer]` does not meet
 *   the server's supported window `[65, 92]` (e.g. the `42/42` of LonamiWebs/Telethon#4398).
 * - `PARTICIPANT_VERSION_OUTDATED` (requestCall): the callee's client has no call support, or its
 *   layer range does not meet the caller's.
 * - `CALL_PROTOCOL_COMPAT_LAYER_INVALID` (acceptCall): the two protocols share no library version
 *   (two empty lists count as the legacy libtgvoip pair and are compatible), or their layer ranges
 *   do not meet.
 * - Negotiation keeps the highest common library version (by `Protocol.compareVersions` of
 *   @tgphone/crypto, so the world and a client rank versions alike, malformed ones included), the
 *   layer intersection, and the flags both sides set.
 */
import { PhoneCallProtocol, Protocol } from "@tgphone/crypto"

/** Lowest libtgvoip layer the world serves. */
export const serverMinLayer = 65
/** Highest libtgvoip layer the world serves. */
export const serverMaxLayer = 92

/** A modern client's protocol: Android's (`Protocol.android`, e2e-calls §5), the default for new users. */
export const defaultClientProtocol = (): PhoneCallProtocol => Protocol.android

export const flagsValid = (p: PhoneCallProtocol): boolean => p.udpP2p || p.udpReflector

export const layerValid = (p: PhoneCallProtocol): boolean =>
  p.minLayer <= p.maxLayer && p.maxLayer >= serverMinLayer && p.minLayer <= serverMaxLayer

export const layersMeet = (a: PhoneCallProtocol, b: PhoneCallProtocol): boolean =>
  Math.max(a.minLayer, b.minLayer) <= Math.min(a.maxLayer, b.maxLayer)

/** The protocol both sides speak, or `undefined` when they are incompatible. */
export const negotiate = (
  caller: PhoneCallProtocol,
  callee: PhoneCallProtocol
): PhoneCallProtocol | undefined => {
  if (!layersMeet(caller, callee)) return undefined
  let versions: Array<string>
  if (caller.libraryVersions.length === 0 && callee.libraryVersions.length === 0) {
    versions = []
  } else {
    const theirs = new Set(callee.libraryVersions)
    const common = caller.libraryVersions.filter((v) => theirs.has(v))
    if (common.length === 0) return undefined
    const best = common.reduce((a, b) => (Protocol.compareVersions(b, a) > 0 ? b : a))
    versions = [best]
  }
  return new PhoneCallProtocol({
    udpP2p: caller.udpP2p && callee.udpP2p,
    udpReflector: caller.udpReflector && callee.udpReflector,
    minLayer: Math.max(caller.minLayer, callee.minLayer),
    maxLayer: Math.min(caller.maxLayer, callee.maxLayer),
    libraryVersions: versions
  })
}
