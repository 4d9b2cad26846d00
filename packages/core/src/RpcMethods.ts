/**
 * The registry of RPC methods that cross the seam (`TelegramRpc.invoke`): for each TL method
 * tgphone carries (the 43 `phone.*` functions of layer 229 plus `messages.getDhConfig`), its TL
 * constructor id in each shipped layer that has it, the first layer that has it, its parameters
 * and its result in the Effect-native model. Generated from the shipped TL by
 * `scripts/generators/registry.ts`. Parameters here are the *resolved* wire-level values (an
 * `InputUser`, not a username); `Phone` decodes and resolves user input before it builds them.
 *
 * Flag fields follow one rule: a `flags.N?true` field is a required `boolean`; any other
 * optional field (`flags.N?int`, `flags.N?Bool`, …), and any field an older shipped layer
 * lacks, is an optional key. Fields sharing one flag bit are set together or not at all.
 *
 * @since 0.1.0
 */
import { RpcMethods } from "./generated/RpcMethods.js"
import { layerFor } from "./Tl.js"

export { RpcMethods } from "./generated/RpcMethods.js"

/**
 * The name of a method the seam carries (`"phone.requestCall"`, …).
 *
 * @since 0.1.0
 * @category registry
 */
export type MethodName = keyof typeof RpcMethods

/**
 * Every method name of the registry, in catalog order.
 *
 * @since 0.1.0
 * @category registry
 */
export const methodNames: ReadonlyArray<MethodName> = Object.keys(RpcMethods) as Array<MethodName>

/**
 * Whether a string names a method of the registry.
 *
 * @since 0.1.0
 * @category registry
 */
export const isMethodName = (name: string): name is MethodName => Object.hasOwn(RpcMethods, name)

const byConstructorId: ReadonlyMap<number, MethodName> = new Map(
  methodNames.flatMap((name) =>
    Object.values(RpcMethods[name].layers as Readonly<Record<number, number>>).map(
      (id) => [id >>> 0, name] as const
    )
  )
)

/**
 * The method whose TL constructor id (in any shipped layer) is `id`, if the registry carries it.
 *
 * @since 0.1.0
 * @category registry
 */
export const methodByConstructorId = (id: number): MethodName | undefined => byConstructorId.get(id >>> 0)

/**
 * Whether a backend speaking TL layer `layer` can send method `M` in the registry's shape: the
 * shipped schema it is served by (`Tl.layerFor`) has it, and `layer` is not below the method's
 * first layer.
 *
 * @since 0.1.0
 * @category registry
 */
export const isInLayer = (method: MethodName, layer: number): boolean => {
  const info = RpcMethods[method]
  const first: number | undefined = info.firstLayer
  return Object.hasOwn(info.layers, layerFor(layer)) && (first === undefined || layer >= first)
}

/**
 * The resolved parameters of method `M`.
 *
 * @since 0.1.0
 * @category registry
 */
export type MethodParams<M extends MethodName> = (typeof RpcMethods)[M]["params"]["Type"]

/**
 * The result of method `M`.
 *
 * @since 0.1.0
 * @category registry
 */
export type MethodResult<M extends MethodName> = (typeof RpcMethods)[M]["result"]["Type"]
