/**
 * The row format of the generated TL tables (`generated/Tl.ts`), read by `Tl.ts`.
 *
 * @internal
 */

/** A TL type: a name, or a boxed (`Vector`) / bare (`vector`) vector of a type. */
export type RowType = string | readonly ["Vector" | "vector", RowType]

/** `[name, type]` or `[name, type, flagField, flagBit]`. */
export type RowParam = readonly [string, RowType] | readonly [string, RowType, string, number]

/** `[kind, id, name, type, params, generic?]`; kind 0 is a constructor, 1 a function. */
export type Row =
  | readonly [0 | 1, number, string, RowType, ReadonlyArray<RowParam>]
  | readonly [0 | 1, number, string, RowType, ReadonlyArray<RowParam>, 1]
