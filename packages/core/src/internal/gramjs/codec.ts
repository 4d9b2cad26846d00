/**
 * Codecs between the domain model (`Model.ts`) and GramJS `Api` objects, for every TL
 * constructor the registry needs. Field names of the domain model equal GramJS's camelCase
 * field names, so each constructor is described once as a table of field codecs and both
 * directions are derived from it.
 *
 * Conventions of GramJS 2.26 that this relies on (checked by the round-trip tests):
 * - longs are written from native `bigint` and read back as `big-integer` objects;
 * - bytes are `Buffer`s; flags-true fields read back as `false` when absent; other absent
 *   optional fields read back as `null`;
 * - `getBytes()` derives `flags` from which optional fields are set (a `Bool` `false` still
 *   sets its flag).
 *
 * Internal failures are thrown as `CodecError` and caught at the public boundary
 * (`internal/gramjs/rpc.ts`), which turns them into values.
 */
import { Redacted, Schema } from "effect"
import { Api, helpers } from "telegram"
import * as Model from "../../Model.js"

/**
 * A value could not be converted between the domain model and the GramJS backend.
 *
 * @since 0.1.0
 * @category errors
 */
export class CodecError extends Schema.TaggedError<CodecError>()("CodecError", {
  direction: Schema.Literals(["encode", "decode"]),
  message: Schema.String
}) {}

const fail = (direction: "encode" | "decode", message: string): never => {
  throw new CodecError({ direction, message })
}

/** One direction pair. Method syntax keeps the parameter bivariant, so codecs fit in tables. */
export interface Codec<D> {
  encode(domain: D): unknown
  decode(wire: unknown): D
}

type Fields = Readonly<Record<string, Field>>
interface Field {
  readonly codec: Codec<unknown>
  /** `req`: always present; `opt`: `flags.N?X`, absent ↔ null/undefined; `flag`: `flags.N?true`. */
  readonly mode: "req" | "opt" | "flag"
}

interface ApiClass {
  readonly className: string
  new (args: never): object
}

const describe = (wire: unknown): string =>
  typeof wire === "object" && wire !== null && "className" in wire
    ? String((wire as { className: unknown }).className)
    : wire === null
      ? "null"
      : typeof wire

/** The GramJS class name of a TL object, or `undefined` for anything else. */
export const classNameOf = (wire: unknown): string | undefined =>
  typeof wire === "object" && wire !== null && "className" in wire && typeof wire.className === "string"
    ? wire.className
    : undefined

// ---------------------------------------------------------------------------------------------
// primitives
// ---------------------------------------------------------------------------------------------

const MIN_LONG = -(2n ** 63n)
const MAX_LONG = 2n ** 63n - 1n

/** A GramJS long (big-integer, bigint, number or decimal string) as a native `bigint`. */
export const toBigInt = (wire: unknown): bigint => {
  let value: bigint | undefined
  if (typeof wire === "bigint") value = wire
  else if (typeof wire === "number" && Number.isSafeInteger(wire)) value = BigInt(wire)
  else if (typeof wire === "string" && /^-?\d+$/.test(wire)) value = BigInt(wire)
  else if (typeof wire === "object" && wire !== null && "value" in wire && typeof wire.value === "bigint")
    value = wire.value
  else if (typeof wire === "object" && wire !== null && typeof wire.toString === "function") {
    const text = wire.toString()
    if (/^-?\d+$/.test(text)) value = BigInt(text)
  }
  if (value === undefined) return fail("decode", `expected a long, got ${describe(wire)}`)
  if (value < MIN_LONG || value > MAX_LONG) return fail("decode", `long out of range: ${value}`)
  return value
}

const long: Codec<bigint> = {
  encode: (d) => helpers.returnBigInt(d),
  decode: toBigInt
}

const int: Codec<number> = {
  encode: (d) => d,
  decode: (w) =>
    typeof w === "number" && Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 31
      ? w
      : fail("decode", `expected an int, got ${describe(w)}`)
}

const string: Codec<string> = {
  encode: (d) => d,
  decode: (w) => (typeof w === "string" ? w : fail("decode", `expected a string, got ${describe(w)}`))
}

const bool: Codec<boolean> = {
  encode: (d) => d,
  decode: (w) => (typeof w === "boolean" ? w : fail("decode", `expected a Bool, got ${describe(w)}`))
}

const bytes: Codec<Uint8Array> = {
  encode: (d) => Buffer.from(d),
  decode: (w) =>
    w instanceof Uint8Array ? new Uint8Array(w) : fail("decode", `expected bytes, got ${describe(w)}`)
}

const vector = <D>(item: Codec<D>): Codec<ReadonlyArray<D>> => ({
  encode: (d) => d.map((x) => item.encode(x)),
  decode: (w) =>
    Array.isArray(w) ? w.map((x) => item.decode(x)) : fail("decode", `expected a vector, got ${describe(w)}`)
})

const req = <D>(codec: Codec<D>): Field => ({ codec: codec as Codec<unknown>, mode: "req" })
const opt = <D>(codec: Codec<D>): Field => ({ codec: codec as Codec<unknown>, mode: "opt" })
const flag: Field = { codec: bool as Codec<unknown>, mode: "flag" }

const encodeFields = (className: string, fields: Fields, domain: unknown): Record<string, unknown> => {
  if (typeof domain !== "object" || domain === null) return fail("encode", `${className}: expected an object`)
  const d = domain as Record<string, unknown>
  const out: Record<string, unknown> = {}
  // `for…in` over the (plain, literal) field table: no entry arrays per request
  for (const key in fields) {
    const field = fields[key] as Field
    const value = d[key]
    switch (field.mode) {
      case "flag":
        if (value === true) out[key] = true
        break
      case "opt":
        if (value !== undefined) out[key] = field.codec.encode(value)
        break
      case "req":
        if (value === undefined) return fail("encode", `${className}.${key} is missing`)
        out[key] = field.codec.encode(value)
    }
  }
  return out
}

const decodeFields = (className: string, fields: Fields, wire: unknown): Record<string, unknown> => {
  const w = wire as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const key in fields) {
    const field = fields[key] as Field
    const value = w[key]
    try {
      switch (field.mode) {
        case "flag":
          out[key] = value === true
          break
        case "opt":
          if (value !== undefined && value !== null) out[key] = field.codec.decode(value)
          break
        case "req":
          out[key] = field.codec.decode(value)
      }
    } catch (e) {
      if (e instanceof CodecError) return fail("decode", `${className}.${key}: ${e.message}`)
      throw e
    }
  }
  return out
}

/** A TL object codec: one GramJS class, a field table, and how to build the domain value. */
export interface ObjectCodec<D> extends Codec<D> {
  readonly apiClass: ApiClass
}

const object = <D>(
  apiClass: ApiClass,
  fields: Fields,
  build: (props: Record<string, unknown>) => D
): ObjectCodec<D> => ({
  apiClass,
  encode: (d) => new apiClass(encodeFields(apiClass.className, fields, d) as never),
  decode: (w) => {
    if (classNameOf(w) !== apiClass.className)
      return fail("decode", `expected ${apiClass.className}, got ${describe(w)}`)
    try {
      return build(decodeFields(apiClass.className, fields, w))
    } catch (e) {
      if (e instanceof CodecError) throw e
      return fail("decode", `${apiClass.className}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
})

/** A domain `_tag`ged union over several TL constructors of one TL type. */
const union = <D extends { readonly _tag: string }>(
  typeName: string,
  members: Readonly<Record<string, ObjectCodec<unknown>>>
): Codec<D> => {
  const byClass = new Map(Object.values(members).map((m) => [m.apiClass.className, m] as const))
  return {
    encode: (d) => {
      const member = members[d._tag]
      return member === undefined
        ? fail("encode", `${typeName}: unsupported variant ${d._tag}`)
        : member.encode(d)
    },
    decode: (w) => {
      const member = byClass.get(classNameOf(w) ?? "")
      return member === undefined
        ? fail("decode", `${typeName}: unsupported constructor ${describe(w)}`)
        : (member.decode(w) as D)
    }
  }
}

const tagged =
  (tag: string) =>
  (props: Record<string, unknown>): unknown => ({ _tag: tag, ...props })

// ---------------------------------------------------------------------------------------------
// the model
// ---------------------------------------------------------------------------------------------

/** `DataJSON`. */
export const dataJson = object(Api.DataJSON, { data: req(string) }, (p) => new Model.DataJson(p as never))

/** `InputPhoneCall`. */
export const inputPhoneCall = object(
  Api.InputPhoneCall,
  { id: req(long), accessHash: req(long) },
  (p) => new Model.InputPhoneCall(p as never)
)

/** `InputGroupCall`. */
export const inputGroupCall = object(
  Api.InputGroupCall,
  { id: req(long), accessHash: req(long) },
  (p) => new Model.InputGroupCall(p as never)
)

/** `InputUser` (`inputUser`, `inputUserSelf`). */
export const inputUser = union<Model.InputUser>("InputUser", {
  InputUser: object(Api.InputUser, { userId: req(long), accessHash: req(long) }, tagged("InputUser")),
  InputUserSelf: object(Api.InputUserSelf, {}, tagged("InputUserSelf"))
})

const INPUT_PEER_SUBCLASS = Api.InputPeerEmpty.SUBCLASS_OF_ID

const inputPeerModelled = union<Model.InputPeer>("InputPeer", {
  InputPeerEmpty: object(Api.InputPeerEmpty, {}, tagged("InputPeerEmpty")),
  InputPeerSelf: object(Api.InputPeerSelf, {}, tagged("InputPeerSelf")),
  InputPeerUser: object(
    Api.InputPeerUser,
    { userId: req(long), accessHash: req(long) },
    tagged("InputPeerUser")
  ),
  InputPeerChat: object(Api.InputPeerChat, { chatId: req(long) }, tagged("InputPeerChat")),
  InputPeerChannel: object(
    Api.InputPeerChannel,
    { channelId: req(long), accessHash: req(long) },
    tagged("InputPeerChannel")
  )
})

const isTlObjectOf = (subclassOfId: number, value: unknown): value is { getBytes(): Buffer } =>
  typeof value === "object" &&
  value !== null &&
  (value as { SUBCLASS_OF_ID?: unknown }).SUBCLASS_OF_ID === subclassOfId &&
  typeof (value as { getBytes?: unknown }).getBytes === "function"

/** `InputPeer`; the kinds not modelled travel as `InputPeerRaw` (the GramJS object itself). */
export const inputPeer: Codec<Model.InputPeer> = {
  encode: (d) =>
    d._tag === "InputPeerRaw"
      ? isTlObjectOf(INPUT_PEER_SUBCLASS, d.raw)
        ? d.raw
        : fail("encode", "InputPeerRaw.raw is not a GramJS InputPeer object")
      : inputPeerModelled.encode(d),
  decode: (w) => {
    const name = classNameOf(w)
    if (name === "InputPeerUserFromMessage" || name === "InputPeerChannelFromMessage")
      return { _tag: "InputPeerRaw", raw: w }
    return inputPeerModelled.decode(w)
  }
}

/** `Peer`. */
export const peer = union<Model.Peer>("Peer", {
  PeerUser: object(Api.PeerUser, { userId: req(long) }, tagged("PeerUser")),
  PeerChat: object(Api.PeerChat, { chatId: req(long) }, tagged("PeerChat")),
  PeerChannel: object(Api.PeerChannel, { channelId: req(long) }, tagged("PeerChannel"))
})

/** `InputFile`. */
export const inputFile = union<Model.InputFile>("InputFile", {
  InputFile: object(
    Api.InputFile,
    { id: req(long), parts: req(int), name: req(string), md5Checksum: req(string) },
    tagged("InputFile")
  ),
  InputFileBig: object(
    Api.InputFileBig,
    { id: req(long), parts: req(int), name: req(string) },
    tagged("InputFileBig")
  )
})

/** `PhoneCallDiscardReason`. */
export const discardReason = union<Model.DiscardReason>("PhoneCallDiscardReason", {
  Missed: object(Api.PhoneCallDiscardReasonMissed, {}, tagged("Missed")),
  Disconnect: object(Api.PhoneCallDiscardReasonDisconnect, {}, tagged("Disconnect")),
  Hangup: object(Api.PhoneCallDiscardReasonHangup, {}, tagged("Hangup")),
  Busy: object(Api.PhoneCallDiscardReasonBusy, {}, tagged("Busy")),
  AllowGroupCall: object(
    Api.PhoneCallDiscardReasonAllowGroupCall,
    { encryptedKey: req(bytes) },
    tagged("AllowGroupCall")
  )
})

/** `PhoneCallProtocol`. */
export const protocol = object(
  Api.PhoneCallProtocol,
  {
    udpP2p: flag,
    udpReflector: flag,
    minLayer: req(int),
    maxLayer: req(int),
    libraryVersions: req(vector(string))
  },
  (p) => new Model.PhoneCallProtocol(p as never)
)

/** `PhoneConnection`. */
export const phoneConnection = union<Model.PhoneConnection>("PhoneConnection", {
  PhoneConnection: object(
    Api.PhoneConnection,
    { tcp: flag, id: req(long), ip: req(string), ipv6: req(string), port: req(int), peerTag: req(bytes) },
    tagged("PhoneConnection")
  ),
  PhoneConnectionWebrtc: object(
    Api.PhoneConnectionWebrtc,
    {
      turn: flag,
      stun: flag,
      id: req(long),
      ip: req(string),
      ipv6: req(string),
      port: req(int),
      username: req(string),
      password: req(string)
    },
    tagged("PhoneConnectionWebrtc")
  )
})

const callHeader: Fields = {
  video: flag,
  id: req(long),
  accessHash: req(long),
  date: req(int),
  adminId: req(long),
  participantId: req(long)
}

/** `PhoneCall`. */
export const phoneCall = union<Model.PhoneCall>("PhoneCall", {
  PhoneCallEmpty: object(Api.PhoneCallEmpty, { id: req(long) }, tagged("PhoneCallEmpty")),
  PhoneCallWaiting: object(
    Api.PhoneCallWaiting,
    { ...callHeader, protocol: req(protocol), receiveDate: opt(int), conferenceCall: opt(inputGroupCall) },
    tagged("PhoneCallWaiting")
  ),
  PhoneCallRequested: object(
    Api.PhoneCallRequested,
    { ...callHeader, gAHash: req(bytes), protocol: req(protocol), conferenceCall: opt(inputGroupCall) },
    tagged("PhoneCallRequested")
  ),
  PhoneCallAccepted: object(
    Api.PhoneCallAccepted,
    { ...callHeader, gB: req(bytes), protocol: req(protocol), conferenceCall: opt(inputGroupCall) },
    tagged("PhoneCallAccepted")
  ),
  PhoneCall: object(
    Api.PhoneCall,
    {
      p2pAllowed: flag,
      ...callHeader,
      gAOrB: req(bytes),
      keyFingerprint: req(long),
      protocol: req(protocol),
      connections: req(vector(phoneConnection)),
      startDate: req(int),
      customParameters: opt(dataJson),
      conferenceCall: opt(inputGroupCall)
    },
    tagged("PhoneCall")
  ),
  PhoneCallDiscarded: object(
    Api.PhoneCallDiscarded,
    {
      needRating: flag,
      needDebug: flag,
      video: flag,
      id: req(long),
      reason: opt(discardReason),
      duration: opt(int),
      conferenceCall: opt(inputGroupCall)
    },
    tagged("PhoneCallDiscarded")
  )
})

const withRaw =
  <D>(build: (props: Record<string, unknown>) => D) =>
  (props: Record<string, unknown>, raw: unknown): D =>
    build({ ...props, raw })

const userFields: Fields = {
  id: req(long),
  accessHash: opt(long),
  firstName: opt(string),
  lastName: opt(string),
  username: opt(string),
  phone: opt(string),
  bot: flag,
  self: flag,
  deleted: flag
}

/**
 * `User`. `userEmpty` decodes to a `User` with only its id; decoded users keep the GramJS
 * object in `raw` (not encoded back: encoding always starts from the modelled fields).
 */
export const user: Codec<Model.User> = {
  encode: (d) => {
    const args = encodeFields("User", userFields, d)
    // `bot:flags.14?true` shares its flag with `bot_info_version:flags.14?int` (not modelled):
    // a bot must carry a version or the object cannot be read back.
    if (args.bot === true) args.botInfoVersion = 0
    return new Api.User(args as never)
  },
  decode: (w) => {
    const name = classNameOf(w)
    if (name === "UserEmpty") {
      const { id } = decodeFields("UserEmpty", { id: req(long) }, w)
      return new Model.User({ id: id as bigint, bot: false, self: false, deleted: false, raw: w })
    }
    if (name !== "User") return fail("decode", `User: unsupported constructor ${describe(w)}`)
    return withRaw((p) => new Model.User(p as never))(decodeFields("User", userFields, w), w)
  }
}

const chatFields: Fields = {
  creator: flag,
  left: flag,
  deactivated: flag,
  callActive: flag,
  callNotEmpty: flag,
  id: req(long),
  title: req(string),
  participantsCount: req(int),
  date: req(int),
  version: req(int)
}

const channelFields: Fields = {
  creator: flag,
  left: flag,
  broadcast: flag,
  megagroup: flag,
  min: flag,
  callActive: flag,
  callNotEmpty: flag,
  id: req(long),
  accessHash: opt(long),
  title: req(string),
  username: opt(string),
  date: req(int),
  participantsCount: opt(int)
}

const chatPlain = union<Model.Chat>("Chat", {
  ChatEmpty: object(Api.ChatEmpty, { id: req(long) }, tagged("ChatEmpty")),
  ChatForbidden: object(Api.ChatForbidden, { id: req(long), title: req(string) }, tagged("ChatForbidden")),
  ChannelForbidden: object(
    Api.ChannelForbidden,
    {
      broadcast: flag,
      megagroup: flag,
      id: req(long),
      accessHash: req(long),
      title: req(string),
      untilDate: opt(int)
    },
    tagged("ChannelForbidden")
  )
})

/** `Chat` (basic groups and channels); `chat` and `channel` keep the GramJS object in `raw`. */
export const chat: Codec<Model.Chat> = {
  encode: (d) => {
    switch (d._tag) {
      case "Chat":
        return new Api.Chat({
          ...encodeFields("Chat", chatFields, d),
          photo: new Api.ChatPhotoEmpty()
        } as never)
      case "Channel":
        return new Api.Channel({
          ...encodeFields("Channel", channelFields, d),
          photo: new Api.ChatPhotoEmpty()
        } as never)
      default:
        return chatPlain.encode(d)
    }
  },
  decode: (w) => {
    switch (classNameOf(w)) {
      case "Chat":
        return { _tag: "Chat", ...decodeFields("Chat", chatFields, w), raw: w } as Model.Chat
      case "Channel":
        return { _tag: "Channel", ...decodeFields("Channel", channelFields, w), raw: w } as Model.Chat
      default:
        return chatPlain.decode(w)
    }
  }
}

/** `phone.PhoneCall`. */
export const phonePhoneCall = object(
  Api.phone.PhoneCall,
  { phoneCall: req(phoneCall), users: req(vector(user)) },
  (p) => new Model.PhonePhoneCall(p as never)
)

/** `messages.DhConfig`. */
export const dhConfig = union<Model.DhConfig>("messages.DhConfig", {
  DhConfig: object(
    Api.messages.DhConfig,
    { g: req(int), p: req(bytes), version: req(int), random: req(bytes) },
    tagged("DhConfig")
  ),
  DhConfigNotModified: object(
    Api.messages.DhConfigNotModified,
    { random: req(bytes) },
    tagged("DhConfigNotModified")
  )
})

/** `GroupCall`. */
export const groupCall = union<Model.GroupCall>("GroupCall", {
  GroupCallDiscarded: object(
    Api.GroupCallDiscarded,
    { id: req(long), accessHash: req(long), duration: req(int) },
    tagged("GroupCallDiscarded")
  ),
  GroupCall: object(
    Api.GroupCall,
    {
      joinMuted: flag,
      canChangeJoinMuted: flag,
      joinDateAsc: flag,
      scheduleStartSubscribed: flag,
      canStartVideo: flag,
      recordVideoActive: flag,
      rtmpStream: flag,
      listenersHidden: flag,
      id: req(long),
      accessHash: req(long),
      participantsCount: req(int),
      title: opt(string),
      streamDcId: opt(int),
      recordStartDate: opt(int),
      scheduleDate: opt(int),
      unmutedVideoCount: opt(int),
      unmutedVideoLimit: req(int),
      version: req(int),
      conferenceFromCall: opt(long)
    },
    tagged("GroupCall")
  )
})

/** `GroupCallParticipantVideoSourceGroup`. */
export const videoSourceGroup = object(
  Api.GroupCallParticipantVideoSourceGroup,
  { semantics: req(string), sources: req(vector(int)) },
  (p) => new Model.GroupCallParticipantVideoSourceGroup(p as never)
)

/** `GroupCallParticipantVideo`. */
export const participantVideo = object(
  Api.GroupCallParticipantVideo,
  { paused: flag, endpoint: req(string), sourceGroups: req(vector(videoSourceGroup)), audioSource: opt(int) },
  (p) => new Model.GroupCallParticipantVideo(p as never)
)

/** `GroupCallParticipant`. */
export const participant = object(
  Api.GroupCallParticipant,
  {
    muted: flag,
    left: flag,
    canSelfUnmute: flag,
    justJoined: flag,
    versioned: flag,
    min: flag,
    mutedByYou: flag,
    volumeByAdmin: flag,
    self: flag,
    videoJoined: flag,
    peer: req(peer),
    date: req(int),
    activeDate: opt(int),
    source: req(int),
    volume: opt(int),
    about: opt(string),
    raiseHandRating: opt(long),
    video: opt(participantVideo),
    presentation: opt(participantVideo)
  },
  (p) => new Model.GroupCallParticipant(p as never)
)

/** `phone.GroupCall`. */
export const phoneGroupCall = object(
  Api.phone.GroupCall,
  {
    call: req(groupCall),
    participants: req(vector(participant)),
    participantsNextOffset: req(string),
    chats: req(vector(chat)),
    users: req(vector(user))
  },
  (p) => new Model.PhoneGroupCall(p as never)
)

/** `phone.GroupParticipants`. */
export const phoneGroupParticipants = object(
  Api.phone.GroupParticipants,
  {
    count: req(int),
    participants: req(vector(participant)),
    nextOffset: req(string),
    chats: req(vector(chat)),
    users: req(vector(user)),
    version: req(int)
  },
  (p) => new Model.PhoneGroupParticipants(p as never)
)

/** `phone.JoinAsPeers`. */
export const phoneJoinAsPeers = object(
  Api.phone.JoinAsPeers,
  { peers: req(vector(peer)), chats: req(vector(chat)), users: req(vector(user)) },
  (p) => new Model.PhoneJoinAsPeers(p as never)
)

/** `phone.ExportedGroupCallInvite`. */
export const exportedGroupCallInvite = object(
  Api.phone.ExportedGroupCallInvite,
  { link: req(string) },
  (p) => new Model.PhoneExportedGroupCallInvite(p as never)
)

/** `GroupCallStreamChannel`. */
export const streamChannel = object(
  Api.GroupCallStreamChannel,
  { channel: req(int), scale: req(int), lastTimestampMs: req(long) },
  (p) => new Model.GroupCallStreamChannel(p as never)
)

/** `phone.GroupCallStreamChannels`. */
export const streamChannels = object(
  Api.phone.GroupCallStreamChannels,
  { channels: req(vector(streamChannel)) },
  (p) => new Model.PhoneGroupCallStreamChannels(p as never)
)

const redactedString: Codec<Redacted.Redacted<string>> = {
  encode: (d) => Redacted.value(d),
  decode: (w) => Redacted.make(string.decode(w))
}

/** `phone.GroupCallStreamRtmpUrl` (the stream key becomes `Redacted`). */
export const streamRtmpUrl = object(
  Api.phone.GroupCallStreamRtmpUrl,
  { url: req(string), key: req(redactedString) },
  (p) => new Model.PhoneGroupCallStreamRtmpUrl(p as never)
)

/** A modelled `Update`. */
export const update = union<Model.Update>("Update", {
  UpdatePhoneCall: object(Api.UpdatePhoneCall, { phoneCall: req(phoneCall) }, tagged("UpdatePhoneCall")),
  UpdatePhoneCallSignalingData: object(
    Api.UpdatePhoneCallSignalingData,
    { phoneCallId: req(long), data: req(bytes) },
    tagged("UpdatePhoneCallSignalingData")
  ),
  UpdateGroupCall: object(
    Api.UpdateGroupCall,
    { chatId: opt(long), call: req(groupCall) },
    tagged("UpdateGroupCall")
  ),
  UpdateGroupCallParticipants: object(
    Api.UpdateGroupCallParticipants,
    { call: req(inputGroupCall), participants: req(vector(participant)), version: req(int) },
    tagged("UpdateGroupCallParticipants")
  ),
  UpdateGroupCallConnection: object(
    Api.UpdateGroupCallConnection,
    { presentation: flag, params: req(dataJson) },
    tagged("UpdateGroupCallConnection")
  )
})

const MODELLED_UPDATES: ReadonlySet<string> = new Set([
  "UpdatePhoneCall",
  "UpdatePhoneCallSignalingData",
  "UpdateGroupCall",
  "UpdateGroupCallParticipants",
  "UpdateGroupCallConnection"
])

/** Whether a GramJS `Update` is one the model carries. */
export const isModelledUpdate = (wire: unknown): boolean => MODELLED_UPDATES.has(classNameOf(wire) ?? "")

/**
 * Any GramJS `Updates` (`updates`, `updatesCombined`, `updateShort`, `updatesTooLong`,
 * `updateShort*Message`, `updateShortSentMessage`) or a single `Update`, flattened to the
 * domain `Updates`; updates the model does not carry are dropped.
 */
export const updates: Codec<Model.Updates> = {
  encode: (d) =>
    new Api.Updates({
      updates: d.updates.map((u) => update.encode(u)) as never,
      users: d.users.map((u) => user.encode(u)) as never,
      chats: d.chats.map((c) => chat.encode(c)) as never,
      date: 0,
      seq: 0
    }),
  decode: (w) => {
    const name = classNameOf(w)
    const o = w as Record<string, unknown>
    let list: ReadonlyArray<unknown> = []
    let users: ReadonlyArray<unknown> = []
    let chats: ReadonlyArray<unknown> = []
    switch (name) {
      case "Updates":
      case "UpdatesCombined":
        list = Array.isArray(o.updates) ? o.updates : fail("decode", `${name}.updates is not a vector`)
        users = Array.isArray(o.users) ? o.users : []
        chats = Array.isArray(o.chats) ? o.chats : []
        break
      case "UpdateShort":
        list = [o.update]
        break
      case "UpdatesTooLong":
      case "UpdateShortMessage":
      case "UpdateShortChatMessage":
      case "UpdateShortSentMessage":
        break
      default:
        if (name?.startsWith("Update") && !name.startsWith("Updates")) list = [w]
        else return fail("decode", `Updates: unsupported constructor ${describe(w)}`)
    }
    return new Model.Updates({
      updates: list.filter(isModelledUpdate).map((u) => update.decode(u)),
      users: users.map((u) => user.decode(u)),
      chats: chats.map((c) => chat.decode(c))
    })
  }
}

/** Field-table helpers for the request codecs. */
export const fields = { req, opt, flag, long, int, string, bool, bytes, vector } as const
/** Internal building blocks shared with the request table. */
export const internals = { encodeFields, decodeFields, fail, describe } as const
