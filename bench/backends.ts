/**
 * The two live backends the loopback and handshake benchmarks run over, each with its own
 * stock client library: `@tgphone/core/GramJs` over GramJS (`telegram` 2.26.22, layer 198) and
 * `@tgphone/core/Teleproto` over teleproto 1.229.0 (layer 229). Each benchmark measures a
 * backend against a baseline built from the same library, in the same process.
 */
import type { TelegramRpc } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import * as Teleproto from "@tgphone/core/Teleproto"
import type { LoopbackServer } from "@tgphone/testkit"
import { type Duration, type Layer, Redacted } from "effect"
import * as TelegramLib from "telegram"
import { Raw as GramJsRaw } from "telegram/events/index.js"
import { StringSession as GramJsSession } from "telegram/sessions/index.js"
import * as TeleprotoLib from "teleproto"
import { Raw as TeleprotoRaw } from "teleproto/events/index.js"
import { Logger as TeleprotoLogger, LogLevel as TeleprotoLogLevel } from "teleproto/extensions/Logger.js"
import { ConnectionTCPFull as TeleprotoTcpFull } from "teleproto/network/index.js"
import { StringSession as TeleprotoSession } from "teleproto/sessions/index.js"

/** What the benchmarks use of a stock client. */
export interface RawClient {
  invoke(request: object): Promise<unknown>
  connect(): Promise<unknown>
  destroy(): Promise<void>
  addEventHandler(handler: (update: unknown) => unknown, event: object): void
  getInputEntity(entity: string): Promise<unknown>
}

/** A library's `Api` class, called with the TL object's fields. */
type ApiClass = new (fields: Record<string, unknown>) => object

/**
 * The parts of a client library the handshake benchmark's reference arm calls directly: the
 * `Api` classes of a 1:1 handshake (both libraries have them, in their own layers), its
 * integer helper and its event builder for raw updates.
 */
export interface Library {
  readonly Api: {
    readonly messages: { readonly GetDhConfig: ApiClass }
    readonly phone: {
      readonly RequestCall: ApiClass
      readonly ReceivedCall: ApiClass
      readonly AcceptCall: ApiClass
      readonly ConfirmCall: ApiClass
      readonly DiscardCall: ApiClass
      readonly SendSignalingData: ApiClass
    }
    readonly InputPhoneCall: ApiClass
    readonly PhoneCallProtocol: ApiClass
    readonly PhoneCallDiscardReasonHangup: ApiClass
  }
  readonly returnBigInt: (n: bigint) => unknown
  /** `new Raw({})`: every update, undecoded. */
  readonly rawEvents: () => object
}

/** The options both backends' `layer` take. */
export interface LayerOptions {
  readonly apiId: number
  readonly apiHash: Redacted.Redacted<string>
  readonly session: Redacted.Redacted<string>
  readonly server: { readonly ip: string; readonly port: number; readonly dcId: number }
  readonly requestTimeout: Duration.Input
}

/** A live backend and its client library. */
export interface Backend {
  /** The library's name and TL layer, as printed. */
  readonly name: string
  /** A stock client of the library pointed at the server (not yet connected). */
  readonly client: (server: LoopbackServer.Server, session: Redacted.Redacted<string>) => RawClient
  /** The backend's `layerFromClient` over a stock client. */
  readonly layerFromClient: (client: RawClient) => Layer.Layer<TelegramRpc.TelegramRpc, unknown>
  /** The backend's own `layer` (it builds, connects and owns its client). */
  readonly layer: (options: LayerOptions) => Layer.Layer<TelegramRpc.TelegramRpc, unknown>
  /**
   * Builds the library's `Api.InputPhoneCall` once and returns a maker of
   * `new Api.phone.ReceivedCall({ peer })`.
   */
  readonly receivedCall: (id: bigint, accessHash: bigint) => () => object
  readonly library: Library
}

const gramjs: Backend = {
  name: "GramJS (telegram 2.26.22, layer 198)",
  client: (server, session) =>
    new TelegramLib.TelegramClient(
      new GramJsSession(Redacted.value(session)),
      1,
      "bench",
      server.clientOptions()
    ) as unknown as RawClient,
  layerFromClient: (client) => GramJs.layerFromClient(client as unknown as GramJs.ClientLike),
  layer: (options) => GramJs.layer(options),
  receivedCall: (id, accessHash) => {
    const peer = new TelegramLib.Api.InputPhoneCall({
      id: TelegramLib.helpers.returnBigInt(id),
      accessHash: TelegramLib.helpers.returnBigInt(accessHash)
    })
    return () => new TelegramLib.Api.phone.ReceivedCall({ peer })
  },
  library: {
    Api: TelegramLib.Api as unknown as Library["Api"],
    returnBigInt: (n) => TelegramLib.helpers.returnBigInt(n),
    rawEvents: () => new GramJsRaw({})
  }
}

/**
 * teleproto's TCP Full connection pinned to the server's port (the session names port 443),
 * with Nagle's algorithm off like the connection `LoopbackServer.clientOptions` gives GramJS.
 */
const teleprotoConnection = (port: number): typeof TeleprotoTcpFull =>
  class PinnedTeleprotoTcpFull extends TeleprotoTcpFull {
    constructor(o: ConstructorParameters<typeof TeleprotoTcpFull>[0]) {
      super({ ...o, ip: "127.0.0.1", port })
    }
    override async connect(): Promise<void> {
      await super.connect()
      const socket = (this as unknown as { socket?: { client?: { setNoDelay?: (on: boolean) => unknown } } })
        .socket?.client
      socket?.setNoDelay?.(true)
    }
  }

const teleproto: Backend = {
  name: "teleproto (teleproto 1.229.0, layer 229)",
  client: (server, session) =>
    new TeleprotoLib.TelegramClient(new TeleprotoSession(Redacted.value(session)), 1, "bench", {
      connection: teleprotoConnection(server.port),
      floodSleepThreshold: 0,
      connectionRetries: 1,
      retryDelay: 100,
      baseLogger: new TeleprotoLogger(TeleprotoLogLevel.NONE)
    }) as unknown as RawClient,
  layerFromClient: (client) => Teleproto.layerFromClient(client as unknown as Teleproto.ClientLike),
  layer: (options) => Teleproto.layer(options),
  receivedCall: (id, accessHash) => {
    const peer = new TeleprotoLib.Api.InputPhoneCall({
      id: TeleprotoLib.helpers.returnBigInt(id),
      accessHash: TeleprotoLib.helpers.returnBigInt(accessHash)
    })
    return () => new TeleprotoLib.Api.phone.ReceivedCall({ peer })
  },
  library: {
    Api: TeleprotoLib.Api as unknown as Library["Api"],
    returnBigInt: (n) => TeleprotoLib.helpers.returnBigInt(n),
    rawEvents: () => new TeleprotoRaw({})
  }
}

/** Both backends, GramJS first. */
export const backends: ReadonlyArray<Backend> = [gramjs, teleproto]
