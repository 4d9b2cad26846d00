/**
 * What the generated registry (`generated/RpcMethods.ts`) needs beyond Schemas of TL types.
 *
 * @internal
 */
import { Schema } from "effect"

/**
 * Parameters that share one TL flag bit (`video:flags.2?true video_portrait:flags.2?Bool`): on
 * the wire one is present exactly when the others are, so they are set together or not at all
 * (a `flags.N?true` parameter, one of `flags`, counts as set when it is `true`).
 */
export const sameFlag = (bit: string, names: ReadonlyArray<string>, flags: ReadonlyArray<string>) =>
  Schema.makeFilter((p: object) => {
    const record = p as Record<string, unknown>
    const set = names.map((n) => record[n] !== undefined && !(flags.includes(n) && record[n] === false))
    if (set.every((s) => s) || set.every((s) => !s)) return undefined
    const missing = names.find((_, i) => !set[i]) ?? names[0] ?? ""
    return {
      path: [missing],
      issue: `${names.join(", ")} share TL ${bit}: set all of them or none`
    }
  })
