/**
 * The RPCs the loopback server answers itself when the handler leaves a request alone:
 * config, nearest DC, update state, users, resolving, and a minimal code login. Requests and
 * answers are schema-level TL objects (`tlCodec.ts`), written in the caller's layer.
 *
 * @internal
 */
import * as NodeCrypto from "node:crypto"
import type { Account, HandlerReply, KeyEntry, MtprotoServer } from "./server.js"
import { isTlObject, type TlObject, type TlValue } from "./tlCodec.js"

/** Methods a fresh (not logged-in) auth key may call. */
export const UNAUTHORISED_OK: ReadonlySet<string> = new Set([
  "help.getConfig",
  "help.getNearestDc",
  "auth.sendCode",
  "auth.signIn",
  "auth.resendCode",
  "auth.cancelCode",
  "auth.logOut",
  "langpack.getLangPack",
  "langpack.getStrings",
  "langpack.getLanguages"
])

/** Normalises a phone number to digits only. */
export const normalisePhone = (phone: string): string => phone.replace(/[^0-9]/g, "")

/** The TL `user` for an account; `self` when it is the caller. */
export const user = (account: Account, self: boolean): TlObject => ({
  _: "user",
  self,
  bot: account.bot === true,
  contact: !self,
  id: account.userId,
  access_hash: account.accessHash,
  first_name: account.firstName,
  ...(account.lastName === undefined ? {} : { last_name: account.lastName }),
  ...(account.username === undefined ? {} : { username: account.username }),
  ...(account.phone === undefined ? {} : { phone: normalisePhone(account.phone) })
})

/** The `Config` of `help.getConfig`: one DC (2) at the server's port, the configured call timeouts. */
export const config = (server: MtprotoServer): TlObject => {
  const now = Math.floor(Date.now() / 1000)
  const c = server.options.callConfig
  return {
    _: "config",
    date: now,
    expires: now + 3600,
    test_mode: false,
    this_dc: 2,
    dc_options: [{ _: "dcOption", id: 2, ip_address: "127.0.0.1", port: server.port }],
    dc_txt_domain_name: "localhost",
    chat_size_max: 200,
    megagroup_size_max: 200000,
    forwarded_count_max: 100,
    online_update_period_ms: 210000,
    offline_blur_timeout_ms: 5000,
    offline_idle_timeout_ms: 30000,
    online_cloud_timeout_ms: 300000,
    notify_cloud_delay_ms: 30000,
    notify_default_delay_ms: 1500,
    push_chat_period_ms: 60000,
    push_chat_limit: 2,
    edit_time_limit: 172800,
    revoke_time_limit: 2147483647,
    revoke_pm_time_limit: 2147483647,
    rating_e_decay: 2419200,
    stickers_recent_limit: 200,
    channels_read_media_period: 604800,
    call_receive_timeout_ms: c.callReceiveTimeoutMs,
    call_ring_timeout_ms: c.callRingTimeoutMs,
    call_connect_timeout_ms: c.callConnectTimeoutMs,
    call_packet_timeout_ms: c.callPacketTimeoutMs,
    me_url_prefix: "https://t.me/",
    caption_length_max: 1024,
    message_length_max: 4096,
    webfile_dc_id: 2
  }
}

const findUser = (
  server: MtprotoServer,
  input: TlValue | undefined,
  self: Account | undefined
): Account | undefined => {
  if (!isTlObject(input)) return undefined
  if (input._ === "inputUserSelf" || input._ === "inputPeerSelf") return self
  if (input._ === "inputUser" || input._ === "inputPeerUser") {
    if (typeof input.user_id !== "bigint") return undefined
    const a = server.accounts.get(input.user_id)
    return a !== undefined && a.accessHash === input.access_hash ? a : undefined
  }
  return undefined
}

const byPhone = (server: MtprotoServer, phone: string): Account | undefined =>
  [...server.accounts.values()].find((x) => x.phone !== undefined && normalisePhone(x.phone) === phone)

const resolved = (a: Account, caller: Account | undefined): TlObject => ({
  _: "contacts.resolvedPeer",
  peer: { _: "peerUser", user_id: a.userId },
  chats: [],
  users: [user(a, a.userId === caller?.userId)]
})

/** The housekeeping requests clients send by themselves, and a minimal login; `undefined` for anything else. */
export const builtin = (
  server: MtprotoServer,
  entry: KeyEntry,
  account: Account | undefined,
  q: TlObject
): HandlerReply | undefined => {
  const ok = (value: TlValue): HandlerReply => ({ _tag: "Result", value })
  const err = (code: number, message: string): HandlerReply => ({ _tag: "Error", code, message })
  const text = (v: TlValue | undefined): string => (typeof v === "string" ? v : "")
  switch (q._) {
    case "help.getConfig":
      return ok(config(server))
    case "help.getNearestDc":
      return ok({ _: "nearestDc", country: "ZZ", this_dc: 2, nearest_dc: 2 })
    case "updates.getState": {
      const st = server.updateState(account)
      return ok({ _: "updates.state", pts: st.pts, qts: st.qts, date: st.date, seq: st.seq, unread_count: 0 })
    }
    case "updates.getDifference":
      // what the key has not been sent since the pts it names (docs/loopback.md)
      return account === undefined
        ? undefined
        : ok(server.difference(entry, account, { pts: typeof q.pts === "number" ? q.pts : 0 }))
    case "users.getUsers": {
      const users: Array<TlObject> = []
      for (const id of Array.isArray(q.id) ? (q.id as ReadonlyArray<TlValue>) : []) {
        const a = findUser(server, id, account)
        if (a !== undefined) users.push(user(a, a.userId === account?.userId))
      }
      return ok(users)
    }
    case "users.getFullUser": {
      const a = findUser(server, q.id, account)
      if (a === undefined) return err(400, "USER_ID_INVALID")
      return ok({
        _: "users.userFull",
        full_user: {
          _: "userFull",
          id: a.userId,
          settings: { _: "peerSettings" },
          notify_settings: { _: "peerNotifySettings" },
          common_chats_count: 0,
          phone_calls_available: true
        },
        chats: [],
        users: [user(a, a.userId === account?.userId)]
      })
    }
    case "contacts.resolveUsername": {
      const name = text(q.username).replace(/^@/, "").toLowerCase()
      const a = [...server.accounts.values()].find((x) => x.username?.toLowerCase() === name)
      return a === undefined ? err(400, "USERNAME_NOT_OCCUPIED") : ok(resolved(a, account))
    }
    case "contacts.resolvePhone": {
      const a = byPhone(server, normalisePhone(text(q.phone)))
      return a === undefined ? err(400, "PHONE_NOT_OCCUPIED") : ok(resolved(a, account))
    }
    case "auth.sendCode": {
      const phone = normalisePhone(text(q.phone_number))
      if (byPhone(server, phone) === undefined) return err(400, "PHONE_NUMBER_INVALID")
      const code = String(NodeCrypto.randomInt(10000, 100000))
      const hash = NodeCrypto.randomBytes(8).toString("hex")
      server.loginCodes.set(phone, { hash, code })
      return ok({
        _: "auth.sentCode",
        type: { _: "auth.sentCodeTypeApp", length: code.length },
        phone_code_hash: hash
      })
    }
    case "auth.signIn": {
      const phone = normalisePhone(text(q.phone_number))
      const issued = server.loginCodes.get(phone)
      if (issued === undefined || issued.hash !== q.phone_code_hash) return err(400, "PHONE_CODE_EXPIRED")
      if (q.phone_code === undefined || q.phone_code !== issued.code) return err(400, "PHONE_CODE_INVALID")
      const a = byPhone(server, phone)
      if (a === undefined) return err(400, "PHONE_NUMBER_UNOCCUPIED")
      server.loginCodes.delete(phone)
      server.bindKey(entry, a.userId)
      return ok({ _: "auth.authorization", user: user(a, true) })
    }
    case "auth.logOut":
      server.bindKey(entry, undefined)
      return ok({ _: "auth.loggedOut" })
  }
  return undefined
}
