/**
 * The world's directory: users (their usernames, phone numbers and access hashes), chats and
 * channels, and who knows whom well enough to name them by a bare id.
 */
import { Model, type TelegramRpc } from "@tgphone/core"
import type { PhoneCallProtocol } from "@tgphone/crypto"
import { Clock, Effect, Option, PubSub } from "effect"
import type {
  AddChatOptions,
  AddUserOptions,
  CallPrivacy,
  Service,
  TestChat,
  TestUser,
  UserInfo
} from "../../TestTelegram.js"
import type { TestTelegramError } from "../../TestTelegramError.js"
import * as Protocol from "../protocol.js"
import type { SeededRandom } from "../random.js"
import type { CallRec } from "./calls.js"
import { handleError, reject } from "./step.js"

export interface UserRec {
  readonly id: bigint
  readonly accessHash: bigint
  readonly firstName: string
  readonly lastName: string | undefined
  readonly username: string | undefined
  readonly phone: string | undefined
  readonly bot: boolean
  readonly handle: TestUser
  deactivated: boolean
  connected: boolean
  privacy: { allow: CallPrivacy["allow"]; alwaysAllow: Set<bigint>; neverAllow: Set<bigint> }
  readonly contacts: Set<bigint>
  /** Users this account resolved by username or phone (a client's entity cache). */
  readonly seen: Set<bigint>
  readonly blocked: Set<bigint>
  protocol: PhoneCallProtocol | null
  /** Whether the user's client can move a 1:1 call into a conference (`conferenceSupported`). */
  readonly conferenceCalls: boolean
  readonly pubsub: PubSub.PubSub<Model.Update>
  /** The state of this user's connection (`disconnect` / `reconnect`), its latest one replayed. */
  readonly link: PubSub.PubSub<TelegramRpc.ConnectionState>
  readonly log: Array<Model.Update>
  readonly pending: Array<Model.Update>
  dropNext: number
  readonly delays: Array<number>
  readonly randomIds: Set<number>
  /** Non-discarded 1:1 calls this user takes part in. */
  readonly calls: Set<CallRec>
}

export interface ChatRec {
  readonly id: bigint
  readonly kind: AddChatOptions["kind"]
  title: string
  readonly accessHash: bigint | undefined
  readonly username: string | undefined
  readonly date: number
  readonly creatorId: bigint
  readonly members: Set<bigint>
  readonly admins: Set<bigint>
  readonly handle: TestChat
  rtmpKey: string
}

/** The directory's part of the service. */
export type DirectoryOperations = Pick<
  Service,
  | "addUser"
  | "users"
  | "user"
  | "findUser"
  | "setPrivacy"
  | "addContact"
  | "block"
  | "unblock"
  | "deactivate"
  | "setClientProtocol"
  | "addChat"
  | "addMember"
>

const usernamePattern = /^[A-Za-z][A-Za-z0-9_]{4,31}$/

export class Directory {
  readonly usersById = new Map<bigint, UserRec>()
  private readonly usersByName = new Map<string, UserRec>()
  private readonly usersByPhone = new Map<string, UserRec>()
  readonly chats = new Map<bigint, ChatRec>()
  private nextUserId = 1_000_000_001n
  private nextChatId = 2_000_000_001n

  constructor(private readonly rng: SeededRandom) {}

  // ---------------------------------------------------------------------------------------------
  // handles and views
  // ---------------------------------------------------------------------------------------------

  userOf(operation: string, handle: TestUser): Effect.Effect<UserRec, TestTelegramError> {
    const rec = this.usersById.get(handle.id)
    return rec !== undefined && rec.accessHash === handle.accessHash
      ? Effect.succeed(rec)
      : Effect.fail(handleError(operation, `user ${handle.id} does not belong to this world`))
  }

  chatOf(operation: string, handle: TestChat): Effect.Effect<ChatRec, TestTelegramError> {
    const rec = this.chats.get(handle.id)
    return rec !== undefined && rec.handle === handle
      ? Effect.succeed(rec)
      : Effect.fail(handleError(operation, `chat ${handle.id} does not belong to this world`))
  }

  info(rec: UserRec): UserInfo {
    return {
      ...rec.handle,
      deactivated: rec.deactivated,
      connected: rec.connected,
      privacy: {
        allow: rec.privacy.allow,
        alwaysAllow: [...rec.privacy.alwaysAllow],
        neverAllow: [...rec.privacy.neverAllow]
      },
      contacts: [...rec.contacts],
      blocked: [...rec.blocked],
      protocol: rec.protocol,
      conferenceCalls: rec.conferenceCalls
    }
  }

  /** `user` as a result carries it, seen by `viewerId`. */
  userObject(rec: UserRec, viewerId: bigint): Model.User {
    return new Model.User({
      id: rec.id,
      accessHash: rec.accessHash,
      firstName: rec.firstName,
      ...(rec.lastName !== undefined ? { lastName: rec.lastName } : {}),
      ...(rec.username !== undefined ? { username: rec.username } : {}),
      ...(rec.phone !== undefined ? { phone: rec.phone.replace(/^\+/, "") } : {}),
      bot: rec.bot,
      self: rec.id === viewerId,
      deleted: rec.deactivated
    })
  }

  findUser(ref: string): UserRec | undefined {
    return ref.startsWith("+")
      ? this.usersByPhone.get(`+${ref.slice(1).replace(/[^0-9]/g, "")}`)
      : this.usersByName.get(ref.replace(/^@/, "").toLowerCase())
  }

  /** A fresh RTMP stream key. */
  rtmpKey(): string {
    return Array.from(this.rng.nextBytes(12), (b) => b.toString(16).padStart(2, "0")).join("")
  }

  // ---------------------------------------------------------------------------------------------
  // building the directory
  // ---------------------------------------------------------------------------------------------

  /** Why a new user or chat cannot have `username` (its form, or it is taken), or `undefined`. */
  private usernameProblem(username: string): string | undefined {
    if (!usernamePattern.test(username))
      return `username "${username}" must be 5–32 letters, digits or _ and start with a letter`
    return this.usernameTaken(username) ? `username "${username}" is taken` : undefined
  }

  addUser(options: AddUserOptions): Effect.Effect<TestUser, TestTelegramError> {
    return Effect.gen({ self: this }, function* () {
      const op = "addUser"
      if (options.firstName.trim() === "") return yield* handleError(op, "firstName must not be empty")
      const username = options.username?.replace(/^@/, "")
      if (username !== undefined) {
        const problem = this.usernameProblem(username)
        if (problem !== undefined) return yield* handleError(op, problem)
      }
      const phone = options.phone === undefined ? undefined : `+${options.phone.replace(/^\+/, "")}`
      if (phone !== undefined) {
        if (!/^\+[0-9]{5,15}$/.test(phone))
          return yield* handleError(op, `phone "${options.phone}" must be 5–15 digits`)
        if (this.usersByPhone.has(phone)) return yield* handleError(op, `phone "${phone}" is taken`)
      }
      const pubsub = yield* PubSub.unbounded<Model.Update>()
      const link = yield* PubSub.unbounded<TelegramRpc.ConnectionState>({ replay: 1 })
      PubSub.publishUnsafe(link, "Connected")
      const id = this.nextUserId++
      const accessHash = this.rng.nextPositiveLong()
      const bot = options.bot ?? false
      const handle: TestUser = {
        id,
        accessHash,
        firstName: options.firstName,
        ...(options.lastName !== undefined ? { lastName: options.lastName } : {}),
        ...(username !== undefined ? { username } : {}),
        ...(phone !== undefined ? { phone } : {}),
        bot,
        inputUser: { _tag: "InputUser", userId: id, accessHash },
        inputPeer: { _tag: "InputPeerUser", userId: id, accessHash }
      }
      const rec: UserRec = {
        id,
        accessHash,
        firstName: options.firstName,
        lastName: options.lastName,
        username,
        phone,
        bot,
        handle,
        deactivated: false,
        connected: true,
        privacy: { allow: "everybody", alwaysAllow: new Set(), neverAllow: new Set() },
        contacts: new Set(),
        seen: new Set(),
        blocked: new Set(),
        protocol: options.protocol === undefined ? Protocol.defaultClientProtocol() : options.protocol,
        conferenceCalls: options.conferenceCalls ?? true,
        pubsub,
        link,
        log: [],
        pending: [],
        dropNext: 0,
        delays: [],
        randomIds: new Set(),
        calls: new Set()
      }
      if (options.privacy !== undefined) rec.privacy = yield* this.privacyOf(op, options.privacy)
      this.usersById.set(id, rec)
      if (username !== undefined) this.usersByName.set(username.toLowerCase(), rec)
      if (phone !== undefined) this.usersByPhone.set(phone, rec)
      return handle
    })
  }

  /** Whether a user or a chat has this username (usernames are case-insensitive). */
  private usernameTaken(username: string): boolean {
    if (this.usersByName.has(username.toLowerCase())) return true
    for (const chat of this.chats.values())
      if (chat.username?.toLowerCase() === username.toLowerCase()) return true
    return false
  }

  private privacyOf(op: string, privacy: CallPrivacy): Effect.Effect<UserRec["privacy"], TestTelegramError> {
    return Effect.gen({ self: this }, function* () {
      const alwaysAllow = new Set<bigint>()
      const neverAllow = new Set<bigint>()
      for (const u of privacy.alwaysAllow ?? []) alwaysAllow.add((yield* this.userOf(op, u)).id)
      for (const u of privacy.neverAllow ?? []) neverAllow.add((yield* this.userOf(op, u)).id)
      return { allow: privacy.allow, alwaysAllow, neverAllow }
    })
  }

  addChat(options: AddChatOptions): Effect.Effect<TestChat, TestTelegramError> {
    return Effect.gen({ self: this }, function* () {
      const op = "addChat"
      if (options.title.trim() === "") return yield* handleError(op, "title must not be empty")
      const username = options.username?.replace(/^@/, "")
      if (username !== undefined) {
        if (options.kind === "group") return yield* handleError(op, "a basic group cannot have a username")
        const problem = this.usernameProblem(username)
        if (problem !== undefined) return yield* handleError(op, problem)
      }
      const creator = yield* this.userOf(op, options.creator)
      const members = new Set<bigint>([creator.id])
      const admins = new Set<bigint>([creator.id])
      for (const m of options.members ?? []) members.add((yield* this.userOf(op, m)).id)
      for (const a of options.admins ?? []) {
        const rec = yield* this.userOf(op, a)
        members.add(rec.id)
        admins.add(rec.id)
      }
      const now = yield* Clock.currentTimeMillis
      const id = this.nextChatId++
      const accessHash = options.kind === "group" ? undefined : this.rng.nextPositiveLong()
      const handle: TestChat = {
        id,
        kind: options.kind,
        title: options.title,
        ...(accessHash !== undefined ? { accessHash } : {}),
        ...(username !== undefined ? { username } : {}),
        inputPeer:
          accessHash === undefined
            ? { _tag: "InputPeerChat", chatId: id }
            : { _tag: "InputPeerChannel", channelId: id, accessHash }
      }
      this.chats.set(id, {
        id,
        kind: options.kind,
        title: options.title,
        accessHash,
        username,
        date: Math.floor(now / 1000),
        creatorId: creator.id,
        members,
        admins,
        handle,
        rtmpKey: this.rtmpKey()
      })
      return handle
    })
  }

  // ---------------------------------------------------------------------------------------------
  // resolving
  // ---------------------------------------------------------------------------------------------

  /**
   * Whether `actor` knows `target` well enough to name it by its bare id: itself, a contact, a
   * user it resolved before, shares a chat with, or (`met`) had a call with.
   */
  private knows(actor: UserRec, target: UserRec, met: (a: UserRec, b: UserRec) => boolean): boolean {
    if (actor.id === target.id || actor.contacts.has(target.id) || actor.seen.has(target.id)) return true
    if (met(actor, target)) return true
    for (const chat of this.chats.values()) {
      if (chat.members.has(actor.id) && chat.members.has(target.id)) return true
    }
    return false
  }

  /**
   * The peer `actor` may act as when a request names `input` (`join_as`, `send_as`): themselves,
   * or a channel they administer; anything else is `400 invalid` (`JOIN_AS_PEER_INVALID`,
   * `SEND_AS_PEER_INVALID`).
   */
  actingPeer(actor: UserRec, input: Model.InputPeer, invalid: string): Model.Peer {
    switch (input._tag) {
      case "InputPeerSelf":
        return { _tag: "PeerUser", userId: actor.id }
      case "InputPeerUser":
        return input.userId === actor.id && input.accessHash === actor.accessHash
          ? { _tag: "PeerUser", userId: actor.id }
          : reject(400, invalid)
      case "InputPeerChannel": {
        const chat = this.chats.get(input.channelId)
        return chat !== undefined &&
          chat.kind !== "group" &&
          chat.accessHash === input.accessHash &&
          chat.admins.has(actor.id)
          ? { _tag: "PeerChannel", channelId: chat.id }
          : reject(400, invalid)
      }
      default:
        return reject(400, invalid)
    }
  }

  /**
   * The step of `resolveUser`: a username, phone number or bare id (one `actor` knows, as a
   * Telegram client needs the user's access hash from somewhere) to the user's `InputUser`.
   */
  resolve(actor: UserRec, ref: string | bigint, met: (a: UserRec, b: UserRec) => boolean): Model.InputUser {
    const byId = typeof ref === "bigint" ? this.usersById.get(ref) : undefined
    const found =
      typeof ref === "bigint"
        ? byId !== undefined && this.knows(actor, byId, met)
          ? byId
          : undefined
        : this.findUser(ref)
    if (found === undefined)
      return reject(
        400,
        typeof ref === "bigint"
          ? "USER_ID_INVALID"
          : ref.startsWith("+")
            ? "PHONE_NOT_OCCUPIED"
            : "USERNAME_NOT_OCCUPIED"
      )
    actor.seen.add(found.id)
    return found.handle.inputUser
  }

  // ---------------------------------------------------------------------------------------------
  // the service
  // ---------------------------------------------------------------------------------------------

  operations(): DirectoryOperations {
    const modify = (op: string, user: TestUser, f: (rec: UserRec) => void) =>
      Effect.flatMap(this.userOf(op, user), (rec) => Effect.sync(() => f(rec)))
    const pair = (op: string, a: TestUser, b: TestUser, f: (a: UserRec, b: UserRec) => void) =>
      Effect.flatMap(Effect.all([this.userOf(op, a), this.userOf(op, b)]), ([x, y]) =>
        Effect.sync(() => f(x, y))
      )
    return {
      addUser: (options) => this.addUser(options),
      users: Effect.sync(() => Array.from(this.usersById.values(), (u) => this.info(u))),
      user: (id) =>
        Effect.sync(() => Option.map(Option.fromNullishOr(this.usersById.get(id)), (u) => this.info(u))),
      findUser: (ref) =>
        Effect.sync(() => Option.map(Option.fromNullishOr(this.findUser(ref)), (u) => this.info(u))),
      setPrivacy: (user, privacy) =>
        Effect.flatMap(
          Effect.all([this.userOf("setPrivacy", user), this.privacyOf("setPrivacy", privacy)]),
          ([rec, p]) =>
            Effect.sync(() => {
              rec.privacy = p
            })
        ),
      addContact: (owner, contact) => pair("addContact", owner, contact, (o, c) => o.contacts.add(c.id)),
      block: (blocker, blocked) => pair("block", blocker, blocked, (a, b) => a.blocked.add(b.id)),
      unblock: (blocker, blocked) => pair("unblock", blocker, blocked, (a, b) => a.blocked.delete(b.id)),
      deactivate: (user) =>
        modify("deactivate", user, (rec) => {
          rec.deactivated = true
        }),
      setClientProtocol: (user, protocol) =>
        modify("setClientProtocol", user, (rec) => {
          rec.protocol = protocol
        }),
      addChat: (options) => this.addChat(options),
      addMember: (chat, user, options) =>
        Effect.flatMap(
          Effect.all([this.chatOf("addMember", chat), this.userOf("addMember", user)]),
          ([c, u]) =>
            Effect.sync(() => {
              c.members.add(u.id)
              if (options?.admin === true) c.admins.add(u.id)
            })
        )
    }
  }
}
