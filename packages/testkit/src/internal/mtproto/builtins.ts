/**
 * The RPCs the loopback server answers itself when the handler leaves a request alone:
 * config, nearest DC, update state, users, resolving, and a minimal code login.
 *
 * @internal
 */
import * as NodeCrypto from "node:crypto"
import { Api } from "telegram"
import type { Account, HandlerReply, KeyEntry, MtprotoServer } from "./server.js"
import { type TlResult, toLong } from "./tl.js"

/** Methods a fresh (not logged-in) auth key may call. */
export const UNAUTHORISED_OK = new Set([
  "help.GetConfig",
  "help.GetNearestDc",
  "auth.SendCode",
  "auth.SignIn",
  "auth.ResendCode",
  "auth.CancelCode",
  "auth.LogOut",
  "langpack.GetLangPack",
  "langpack.GetStrings",
  "langpack.GetLanguages"
])

/** Normalises a phone number to digits only. */
export const normalisePhone = (phone: string): string => phone.replace(/[^0-9]/g, "")

/** A GramJS `User` for an account; `self` when it is the caller. */
export const user = (account: Account, self: boolean): Api.User => {
  return new Api.User({
    self,
    bot: account.bot === true,
    contact: !self,
    id: toLong(account.userId),
    accessHash: toLong(account.accessHash),
    firstName: account.firstName,
    ...(account.lastName === undefined ? {} : { lastName: account.lastName }),
    ...(account.username === undefined ? {} : { username: account.username }),
    ...(account.phone === undefined ? {} : { phone: normalisePhone(account.phone) })
  })
}

/** The `Config` of `help.getConfig`: one DC (2) at the server's port, the configured call timeouts. */
export const config = (server: MtprotoServer): Api.Config => {
  const now = Math.floor(Date.now() / 1000)
  const c = server.options.callConfig
  return new Api.Config({
    date: now,
    expires: now + 3600,
    testMode: false,
    thisDc: 2,
    dcOptions: [new Api.DcOption({ id: 2, ipAddress: "127.0.0.1", port: server.port })],
    dcTxtDomainName: "localhost",
    chatSizeMax: 200,
    megagroupSizeMax: 200000,
    forwardedCountMax: 100,
    onlineUpdatePeriodMs: 210000,
    offlineBlurTimeoutMs: 5000,
    offlineIdleTimeoutMs: 30000,
    onlineCloudTimeoutMs: 300000,
    notifyCloudDelayMs: 30000,
    notifyDefaultDelayMs: 1500,
    pushChatPeriodMs: 60000,
    pushChatLimit: 2,
    editTimeLimit: 172800,
    revokeTimeLimit: 2147483647,
    revokePmTimeLimit: 2147483647,
    ratingEDecay: 2419200,
    stickersRecentLimit: 200,
    channelsReadMediaPeriod: 604800,
    callReceiveTimeoutMs: c.callReceiveTimeoutMs,
    callRingTimeoutMs: c.callRingTimeoutMs,
    callConnectTimeoutMs: c.callConnectTimeoutMs,
    callPacketTimeoutMs: c.callPacketTimeoutMs,
    meUrlPrefix: "https://t.me/",
    captionLengthMax: 1024,
    messageLengthMax: 4096,
    webfileDcId: 2
  })
}

const findUser = (server: MtprotoServer, input: unknown, self: Account | undefined): Account | undefined => {
  if (input instanceof Api.InputUserSelf || input instanceof Api.InputPeerSelf) return self
  if (input instanceof Api.InputUser || input instanceof Api.InputPeerUser) {
    const a = server.accounts.get(BigInt(input.userId.toString()))
    return a !== undefined && a.accessHash === BigInt(input.accessHash.toString()) ? a : undefined
  }
  return undefined
}

/** The housekeeping requests GramJS sends by itself, and a minimal login; `undefined` for anything else. */
export const builtin = (
  server: MtprotoServer,
  entry: KeyEntry,
  account: Account | undefined,
  q: unknown
): HandlerReply | undefined => {
  const ok = (value: TlResult): HandlerReply => ({ _tag: "Result", value })
  const err = (code: number, message: string): HandlerReply => ({ _tag: "Error", code, message })
  if (q instanceof Api.help.GetConfig) return ok(config(server))
  if (q instanceof Api.help.GetNearestDc)
    return ok(new Api.NearestDc({ country: "ZZ", thisDc: 2, nearestDc: 2 }))
  if (q instanceof Api.updates.GetState) {
    const st = server.updateState(account)
    return ok(new Api.updates.State({ pts: st.pts, qts: st.qts, date: st.date, seq: st.seq, unreadCount: 0 }))
  }
  if (q instanceof Api.updates.GetDifference) {
    // nothing the server pushes carries pts or qts (calls travel as updatePhoneCall), and
    // pushes are not stored, so every difference is empty at the current date and seq
    const st = server.updateState(account)
    return ok(new Api.updates.DifferenceEmpty({ date: st.date, seq: st.seq }))
  }
  if (q instanceof Api.users.GetUsers) {
    const users: Array<Api.User> = []
    for (const id of q.id) {
      const a = findUser(server, id, account)
      if (a !== undefined) users.push(user(a, a.userId === account?.userId))
    }
    return ok(users)
  }
  if (q instanceof Api.users.GetFullUser) {
    const a = findUser(server, q.id, account)
    if (a === undefined) return err(400, "USER_ID_INVALID")
    return ok(
      new Api.users.UserFull({
        fullUser: new Api.UserFull({
          id: toLong(a.userId),
          settings: new Api.PeerSettings({}),
          notifySettings: new Api.PeerNotifySettings({}),
          commonChatsCount: 0,
          phoneCallsAvailable: true
        }),
        chats: [],
        users: [user(a, a.userId === account?.userId)]
      })
    )
  }
  if (q instanceof Api.contacts.ResolveUsername) {
    const name = q.username.replace(/^@/, "").toLowerCase()
    const a = [...server.accounts.values()].find((x) => x.username?.toLowerCase() === name)
    if (a === undefined) return err(400, "USERNAME_NOT_OCCUPIED")
    return ok(
      new Api.contacts.ResolvedPeer({
        peer: new Api.PeerUser({ userId: toLong(a.userId) }),
        chats: [],
        users: [user(a, a.userId === account?.userId)]
      })
    )
  }
  if (q instanceof Api.contacts.ResolvePhone) {
    const phone = normalisePhone(q.phone)
    const a = [...server.accounts.values()].find(
      (x) => x.phone !== undefined && normalisePhone(x.phone) === phone
    )
    if (a === undefined) return err(400, "PHONE_NOT_OCCUPIED")
    return ok(
      new Api.contacts.ResolvedPeer({
        peer: new Api.PeerUser({ userId: toLong(a.userId) }),
        chats: [],
        users: [user(a, a.userId === account?.userId)]
      })
    )
  }
  if (q instanceof Api.auth.SendCode) {
    const phone = normalisePhone(q.phoneNumber)
    const a = [...server.accounts.values()].find(
      (x) => x.phone !== undefined && normalisePhone(x.phone) === phone
    )
    if (a === undefined) return err(400, "PHONE_NUMBER_INVALID")
    const code = String(NodeCrypto.randomInt(10000, 100000))
    const hash = NodeCrypto.randomBytes(8).toString("hex")
    server.loginCodes.set(phone, { hash, code })
    return ok(
      new Api.auth.SentCode({
        type: new Api.auth.SentCodeTypeApp({ length: code.length }),
        phoneCodeHash: hash
      })
    )
  }
  if (q instanceof Api.auth.SignIn) {
    const phone = normalisePhone(q.phoneNumber)
    const issued = server.loginCodes.get(phone)
    if (issued === undefined || issued.hash !== q.phoneCodeHash) return err(400, "PHONE_CODE_EXPIRED")
    if (q.phoneCode === undefined || q.phoneCode !== issued.code) return err(400, "PHONE_CODE_INVALID")
    const a = [...server.accounts.values()].find(
      (x) => x.phone !== undefined && normalisePhone(x.phone) === phone
    )
    if (a === undefined) return err(400, "PHONE_NUMBER_UNOCCUPIED")
    server.loginCodes.delete(phone)
    entry.userId = a.userId
    return ok(new Api.auth.Authorization({ user: user(a, true) }))
  }
  if (q instanceof Api.auth.LogOut) {
    entry.userId = undefined
    return ok(new Api.auth.LoggedOut({}))
  }
  return undefined
}
