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
 * - Negotiation keeps the highest common library version (numeric dotted comparison), the layer
 *   intersection, and the flags both sides set.
 */
import { PhoneCallProtocol } from "@tgphone/crypto"

/** Lowest libtgvoip layer the world serves. */
export const serverMinLayer = 65
/** Highest libtgvoip layer the world serves. */
export const serverMaxLayer = 92

/** A modern client's protocol (Android's list, e2e-calls §5), the default for new users. */
export const defaultClientProtocol = (): PhoneCallProtocol =>
  new PhoneCallProtocol({
    udpP2p: true,
    udpReflector: true,
    minLayer: 65,
    maxLayer: 92,
    libraryVersions: ["2.4.4", "2.7.7", "5.0.0", "6.0.0", "7.0.0", "8.0.0", "9.0.0", "10.0.0", "11.0.0"]
  })

export const flagsValid = (p: PhoneCallProtocol): boolean => p.udpP2p || p.udpReflector

export const layerValid = (p: PhoneCallProtocol): boolean =>
  p.minLayer <= p.maxLayer && p.maxLayer >= serverMinLayer && p.minLayer <= serverMaxLayer

export const layersMeet = (a: PhoneCallProtocol, b: PhoneCallProtocol): boolean =>
  Math.max(a.minLayer, b.minLayer) <= Math.min(a.maxLayer, b.maxLayer)

/** Compares dotted versions numerically ("10.0.0" > "9.0.0"); non-numeric parts compare as text. */
export const compareVersions = (a: string, b: string): number => {
  const pa = a.split(".")
  const pb = b.split(".")
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "0"
    const y = pb[i] ?? "0"
    const nx = Number(x)
    const ny = Number(y)
    const c = Number.isInteger(nx) && Number.isInteger(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0
    if (c !== 0) return c
  }
  return 0
}

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
    const best = common.reduce((a, b) => (compareVersions(b, a) > 0 ? b : a))
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
