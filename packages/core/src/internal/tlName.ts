/**
 * The one rule for the model's field name of a TL parameter, shared by the generators
 * (`scripts/generators/lib/model.ts`), the codecs and `Tl.fieldName`. Dependency-free so the
 * generators can import it before anything is generated.
 *
 * @internal
 */

const names = new Map<string, string>()

/** camelCase of a TL name, as GramJS and the model spell it: `g_a_hash` → `gAHash`, `p2p_allowed` → `p2pAllowed` (memoised). */
export const fieldName = (tlName: string): string => {
  let c = names.get(tlName)
  if (c === undefined) {
    c = tlName.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase())
    names.set(tlName, c)
  }
  return c
}
