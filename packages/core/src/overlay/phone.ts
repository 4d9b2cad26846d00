/**
 * The hand-written overlay of `Phone`'s functions, read by `scripts/generators/phone.ts` and by
 * the generated functions (`generated/Phone.ts`): per method, what TL cannot say: its summary
 * and category, and per parameter the input's Schema where it is narrower than the TL type
 * (rating 1–5, byte lengths, JSON text), its description, its default, and how an input value
 * becomes the parameter.
 *
 * Parameters not listed take the generator's defaults: a `flags.N?true` parameter is an
 * optional `boolean` (default `false`), an `InputUser` a `UserRef` (resolved), an
 * `InputPhoneCall` a `PhoneCallRef`, an `InputGroupCall` a `GroupCallRef`, a `DataJSON` JSON
 * text, a `PhoneCallProtocol` a `ProtocolInput`.
 *
 * @internal
 */
import { Schema } from "effect"
import { Bytes, DiscardReason, Int32 } from "../Model.js"

/** JSON text (a `dataJSON` payload). */
export const JsonText = Schema.String.check(
  Schema.makeFilter(
    (s) => {
      try {
        JSON.parse(s)
        return true
      } catch {
        return false
      }
    },
    { message: "Expected valid JSON text" }
  )
)

const bytesOfLength = (n: number, what: string) =>
  Bytes.check(Schema.isBetweenLength(n, n, { message: `Expected ${what}: exactly ${n} bytes` }))

/**
 * A DH public value as TL `bytes`: an unsigned big-endian number of at most 256 significant
 * bytes. Official clients send the minimal encoding (255 bytes or fewer in about 0.5% of
 * calls) and Android may send 256 bytes with a leading zero, so any length from 1 to 257
 * (a leading zero before 256 bytes) is accepted here; the range check is `@tgphone/crypto`'s.
 */
const publicValue = (what: string) =>
  Bytes.check(Schema.isBetweenLength(1, 257, { message: `Expected ${what}: 1 to 256 significant bytes` }))

const NonNegativeInt32 = Int32.check(Schema.isGreaterThanOrEqualTo(0))
const Limit = Int32.check(Schema.isGreaterThanOrEqualTo(0))
const NonEmptyBytes = Bytes.check(Schema.isMinLength(1))

const DiscardReasonInput = Schema.Union([
  Schema.Literals(["Missed", "Disconnect", "Hangup", "Busy"]),
  DiscardReason
])

const RecordVideo = Schema.Literals(["portrait", "landscape"])

/** One parameter's overlay. */
export interface FieldSpec {
  /** The input's Schema (instead of the one the TL type gives). */
  readonly schema?: Schema.Top
  /** The input field's description. */
  readonly doc?: string
  /** The value when the input leaves the field out (the field is then optional). */
  readonly default?: unknown
  /** How the input value (possibly `undefined` for an optional field) becomes the parameter. */
  readonly map?: (value: never) => unknown
  /** The parameter comes from this other input field (through `map`); it has no input field of its own. */
  readonly from?: string
}

/** One method's overlay. */
export interface MethodSpec {
  /** What the method does (after the TL name in the JSDoc). */
  readonly summary: string
  readonly category: "1:1 calls" | "group calls" | "conference calls" | "group call messages"
  readonly fields?: Readonly<Record<string, FieldSpec>>
  /** A JSDoc `@example` body (Markdown with a fenced block). */
  readonly example?: string
}

const call = { doc: "The group call." } as const
const phoneCall = { doc: "The call." } as const

/** Every method's overlay, keyed by TL method. */
export const methods = {
  "messages.getDhConfig": {
    summary:
      'the Diffie–Hellman group for 1:1 calls (or "not modified" when `version` is current) plus `randomLength` fresh random bytes from the server.',
    category: "1:1 calls",
    fields: {
      version: {
        schema: NonNegativeInt32,
        default: 0,
        doc: "The `version` of the DH config you have cached; 0 (the default) for none."
      },
      randomLength: {
        schema: NonNegativeInt32,
        default: 256,
        doc: "How many random bytes the server should add (default 256, the size of a 2048-bit exponent)."
      }
    }
  },
  "phone.getCallConfig": {
    summary:
      "the server's call configuration (JSON text: timeouts and libtgvoip settings). Deprecated by Telegram but still served.",
    category: "1:1 calls"
  },
  "phone.requestCall": {
    summary: "start a 1:1 call (the caller's first step; the callee sees a `PhoneCallRequested`).",
    category: "1:1 calls",
    fields: {
      userId: { doc: "Whom to call: a user id, `@username`, `+phone` or `InputUser`." },
      randomId: { doc: "A random 32-bit integer identifying this request (a retry needs a new one)." },
      gAHash: { schema: bytesOfLength(32, "SHA-256(g_a)"), doc: "`SHA-256(g_a)`: exactly 32 bytes." },
      protocol: { doc: "What this client speaks." },
      video: { doc: "Start with video (default `false`)." }
    },
    example: [
      "```ts",
      'import { Effect } from "effect"',
      'import { Phone } from "@tgphone/core"',
      "",
      "declare const gAHash: Uint8Array",
      "const call = Phone.requestCall({",
      '  userId: "@alice",',
      "  randomId: 42,",
      "  gAHash,",
      '  protocol: { udpP2p: true, udpReflector: true, minLayer: 65, maxLayer: 92, libraryVersions: ["4.0.0"] }',
      '}).pipe(Effect.catchTag("UserPrivacyRestricted", () => Effect.succeed(undefined)))',
      "```"
    ].join("\n")
  },
  "phone.acceptCall": {
    summary: "the callee accepts an incoming call with its `g_b`.",
    category: "1:1 calls",
    fields: {
      peer: { doc: "The incoming call." },
      gB: {
        schema: publicValue("g_b as a big-endian number"),
        doc: "The callee's public value `g_b`, big-endian (the minimal encoding, as official clients send)."
      },
      protocol: { doc: "What this client speaks." }
    }
  },
  "phone.confirmCall": {
    summary: "the caller completes the key exchange with `g_a` and the key fingerprint.",
    category: "1:1 calls",
    fields: {
      peer: { doc: "The outgoing call." },
      gA: {
        schema: publicValue("g_a as a big-endian number"),
        doc: "The caller's public value `g_a`, big-endian (the minimal encoding, as official clients send)."
      },
      keyFingerprint: { doc: "The fingerprint of the shared key (a signed 64-bit integer)." },
      protocol: { doc: "What this client speaks." }
    }
  },
  "phone.receivedCall": {
    summary:
      "tell the server this device is ringing for the incoming call (the caller then sees `receiveDate`).",
    category: "1:1 calls",
    fields: { peer: { doc: "The incoming call." } }
  },
  "phone.discardCall": {
    summary: "refuse or end a call.",
    category: "1:1 calls",
    fields: {
      peer: { doc: "The call to end or refuse." },
      reason: {
        schema: DiscardReasonInput,
        doc: 'Why: `"Missed"`, `"Disconnect"`, `"Hangup"`, `"Busy"`, or a `DiscardReason` value.',
        map: (reason: typeof DiscardReasonInput.Type): DiscardReason =>
          typeof reason === "string" ? DiscardReason.make({ _tag: reason }) : reason
      },
      duration: {
        schema: NonNegativeInt32,
        default: 0,
        doc: "How long the call lasted, in seconds (default 0)."
      },
      connectionId: { default: 0n, doc: "The id of the connection that was in use (default 0)." },
      video: { doc: "Whether it was a video call (default `false`)." }
    }
  },
  "phone.setCallRating": {
    summary: "rate a finished call (sent to Telegram's VoIP bot).",
    category: "1:1 calls",
    fields: {
      peer: { doc: "The finished call." },
      rating: {
        schema: Schema.Int.check(
          Schema.isBetween({ minimum: 1, maximum: 5 }, { message: "Expected an integer from 1 to 5" })
        ),
        doc: "1 (worst) to 5 (best)."
      },
      comment: { default: "", doc: "Free text (default empty)." },
      userInitiative: {
        doc: "Whether the user rated on their own, not because the app asked (default `false`)."
      }
    }
  },
  "phone.saveCallDebug": {
    summary: "send a call's debug data (JSON) to Telegram.",
    category: "1:1 calls",
    fields: { peer: phoneCall, debug: { doc: "The debug data, as JSON text." } }
  },
  "phone.sendSignalingData": {
    summary: "send signalling data (tgcalls) to the other side of an active call.",
    category: "1:1 calls",
    fields: {
      peer: { doc: "The active call." },
      data: { schema: NonEmptyBytes, doc: "The signalling payload (not empty)." }
    }
  },
  "phone.saveCallLog": {
    summary: "send a libtgvoip call log file (deprecated by Telegram).",
    category: "1:1 calls",
    fields: { peer: phoneCall, file: { doc: "The log, uploaded beforehand with `upload.saveFilePart`." } }
  },
  "phone.createGroupCall": {
    summary: "start (or schedule) a video chat or livestream.",
    category: "group calls",
    fields: {
      peer: { doc: "The group or channel." },
      randomId: { doc: "A random 32-bit integer identifying this request." },
      title: { doc: "A title." },
      scheduleDate: { doc: "Schedule it for this Unix time instead of starting now." },
      rtmpStream: { doc: "An RTMP livestream (default `false`)." }
    }
  },
  "phone.joinGroupCall": {
    summary: "join a group call (or, with `publicKey` and `block`, a conference call).",
    category: "group calls",
    fields: {
      call,
      joinAs: { doc: "Join as this peer (yourself, or a channel you own)." },
      params: { doc: "The WebRTC join parameters, as JSON text." },
      muted: { doc: "Join muted (default `false`)." },
      videoStopped: { doc: "Join with video off (default `false`)." },
      inviteHash: { doc: "The invite hash of a link, to join as a speaker." },
      publicKey: { doc: "A conference call: this participant's public key (layer 229; with `block`)." },
      block: {
        doc: "A conference call: the E2E chain block that adds this participant (layer 229; with `publicKey`)."
      }
    }
  },
  "phone.leaveGroupCall": {
    summary: "leave a group call without ending it.",
    category: "group calls",
    fields: { call, source: { doc: "Your audio source id (SSRC)." } }
  },
  "phone.inviteToGroupCall": {
    summary: "invite users to a video chat.",
    category: "group calls",
    fields: {
      call,
      users: {
        doc: "Whom to invite (at least one): user ids, usernames, phone numbers or `InputUser`s.",
        minItems: 1
      }
    }
  },
  "phone.discardGroupCall": {
    summary: "end a group call for everyone.",
    category: "group calls",
    fields: { call }
  },
  "phone.toggleGroupCallSettings": {
    summary: "change a group call's settings.",
    category: "group calls",
    fields: {
      call,
      joinMuted: { doc: "Whether new participants join muted (unchanged when absent)." },
      resetInviteHash: { doc: "Invalidate the current invite links (default `false`)." },
      messagesEnabled: { doc: "Whether participants may send messages (unchanged when absent; layer 229)." },
      sendPaidMessagesStars: { doc: "The stars a message costs (unchanged when absent; layer 229)." }
    }
  },
  "phone.getGroupCall": {
    summary: "a group call and its first participants.",
    category: "group calls",
    fields: { call, limit: { schema: Limit, doc: "At most this many participants in the answer." } }
  },
  "phone.getGroupParticipants": {
    summary: "a page of a group call's participants.",
    category: "group calls",
    fields: {
      call,
      ids: { default: [], doc: "Only these participants (default: all)." },
      sources: { default: [], doc: "Only the participants with these source ids (default: all)." },
      offset: { default: "", doc: "The `nextOffset` of the previous page (default: the first page)." },
      limit: { schema: Limit, doc: "At most this many participants." }
    }
  },
  "phone.checkGroupCall": {
    summary: "which of these source ids the server still counts as joined.",
    category: "group calls",
    fields: { call, sources: { doc: "The source ids to check." } }
  },
  "phone.toggleGroupCallRecord": {
    summary: "start or stop recording a group call.",
    category: "group calls",
    fields: {
      call,
      start: { doc: "`true` to start recording; `false` (the default) to stop." },
      title: { doc: "The recording's title." },
      video: {
        schema: RecordVideo,
        doc: "Record video too, in this orientation (default: audio only).",
        map: (video: typeof RecordVideo.Type | undefined): boolean => video !== undefined
      },
      videoPortrait: {
        from: "video",
        map: (video: typeof RecordVideo.Type | undefined): boolean | undefined =>
          video === undefined ? undefined : video === "portrait"
      }
    }
  },
  "phone.editGroupCallParticipant": {
    summary: "mute, set volume, raise a hand, pause video… Fields left out are not changed.",
    category: "group calls",
    fields: {
      call,
      participant: { doc: "The participant (yourself or, as an admin, someone else)." },
      muted: { doc: "Mute or unmute them (unchanged when absent)." },
      raiseHand: { doc: "Raise or lower your hand (unchanged when absent)." },
      videoStopped: { doc: "Stop or start their video (unchanged when absent)." },
      videoPaused: { doc: "Pause or resume their video (unchanged when absent)." },
      presentationPaused: { doc: "Pause or resume their screen sharing (unchanged when absent)." },
      volume: {
        schema: Int32.check(Schema.isGreaterThanOrEqualTo(1)),
        doc: "The participant's volume for you (10000 = 100%)."
      }
    }
  },
  "phone.editGroupCallTitle": {
    summary: "rename a group call.",
    category: "group calls",
    fields: { call, title: { doc: "The new title." } }
  },
  "phone.getGroupCallJoinAs": {
    summary: "the peers you can join this chat's video chat as.",
    category: "group calls",
    fields: { peer: { doc: "The group or channel." } }
  },
  "phone.exportGroupCallInvite": {
    summary: "an invite link for a public video chat.",
    category: "group calls",
    fields: { call, canSelfUnmute: { doc: "A link that lets people join as speakers (default `false`)." } }
  },
  "phone.toggleGroupCallStartSubscription": {
    summary: "(un)subscribe to a scheduled group call's start.",
    category: "group calls",
    fields: { call: { doc: "The scheduled group call." }, subscribed: { doc: "Be notified when it starts." } }
  },
  "phone.startScheduledGroupCall": {
    summary: "start a scheduled group call now.",
    category: "group calls",
    fields: { call }
  },
  "phone.saveDefaultGroupCallJoinAs": {
    summary: "set the default join-as peer for a chat.",
    category: "group calls",
    fields: {
      peer: { doc: "The group or channel." },
      joinAs: { doc: "The peer to join its video chats as by default." }
    }
  },
  "phone.joinGroupCallPresentation": {
    summary: "start screen sharing.",
    category: "group calls",
    fields: { call, params: { doc: "The WebRTC parameters of the screen-sharing stream, as JSON text." } }
  },
  "phone.leaveGroupCallPresentation": {
    summary: "stop screen sharing.",
    category: "group calls",
    fields: { call }
  },
  "phone.getGroupCallStreamChannels": {
    summary: "the stream channels of an RTMP video chat or livestream.",
    category: "group calls",
    fields: { call }
  },
  "phone.getGroupCallStreamRtmpUrl": {
    summary: "the RTMP URL and stream key for a livestream.",
    category: "group calls",
    fields: {
      peer: { doc: "The group or channel." },
      revoke: { default: false, doc: "Revoke the previous stream key (default `false`)." },
      liveStory: { doc: "For a live story rather than a video chat (default `false`; layer 229)." }
    }
  },
  "phone.createConferenceCall": {
    summary:
      "create a conference call (an end-to-end encrypted group call), and with `join` join it at once.",
    category: "conference calls",
    fields: {
      randomId: { doc: "A random 32-bit integer identifying this request." },
      muted: { doc: "Join muted (default `false`)." },
      videoStopped: { doc: "Join with video off (default `false`)." },
      join: {
        doc: "Join the new call at once (default `false`; then `publicKey`, `block` and `params` are required)."
      },
      publicKey: { doc: "This participant's public key (with `join`)." },
      block: { doc: "The E2E chain block that adds this participant (with `join`)." },
      params: { doc: "The WebRTC join parameters, as JSON text (with `join`)." }
    }
  },
  "phone.deleteConferenceCallParticipants": {
    summary: "remove participants from a conference call.",
    category: "conference calls",
    fields: {
      call: { doc: "The conference call." },
      ids: { doc: "The user ids to remove." },
      block: { doc: "The E2E chain block that removes them." },
      onlyLeft: { doc: "Remove only participants that already left (default `false`)." },
      kick: { doc: "Remove them even if they are still in the call (default `false`)." }
    }
  },
  "phone.sendConferenceCallBroadcast": {
    summary: "broadcast an E2E chain block to a conference call's participants.",
    category: "conference calls",
    fields: { call: { doc: "The conference call." }, block: { doc: "The chain block." } }
  },
  "phone.inviteConferenceCallParticipant": {
    summary: "invite a user to a conference call (they receive an invite message).",
    category: "conference calls",
    fields: {
      call: { doc: "The conference call." },
      userId: { doc: "Whom to invite: a user id, `@username`, `+phone` or `InputUser`." },
      video: { doc: "Invite to a video call (default `false`)." }
    }
  },
  "phone.declineConferenceCallInvite": {
    summary: "decline an invitation to a conference call.",
    category: "conference calls",
    fields: { msgId: { doc: "The id of the invite message." } }
  },
  "phone.getGroupCallChainBlocks": {
    summary: "a page of a conference call's E2E chain blocks.",
    category: "conference calls",
    fields: {
      call: { doc: "The conference call." },
      subChainId: { doc: "The sub-chain (0 or 1)." },
      offset: { doc: "The first block to return." },
      limit: { schema: Limit, doc: "At most this many blocks." }
    }
  },
  "phone.sendGroupCallMessage": {
    summary: "send a message to a group call's chat.",
    category: "group call messages",
    fields: {
      call,
      randomId: { doc: "A random 64-bit integer identifying this message." },
      message: { doc: "The text and its formatting entities." },
      allowPaidStars: { doc: "The stars you agree to pay for it, when messages cost stars." },
      sendAs: { doc: "Send as this peer (default: yourself)." }
    }
  },
  "phone.sendGroupCallEncryptedMessage": {
    summary: "send an end-to-end encrypted message to a conference call's participants.",
    category: "group call messages",
    fields: { call: { doc: "The conference call." }, encryptedMessage: { doc: "The encrypted message." } }
  },
  "phone.deleteGroupCallMessages": {
    summary: "delete messages of a group call's chat.",
    category: "group call messages",
    fields: {
      call,
      messages: { doc: "The message ids." },
      reportSpam: { doc: "Report them as spam too (default `false`)." }
    }
  },
  "phone.deleteGroupCallParticipantMessages": {
    summary: "delete every message a participant sent in a group call's chat.",
    category: "group call messages",
    fields: {
      call,
      participant: { doc: "The participant." },
      reportSpam: { doc: "Report them as spam too (default `false`)." }
    }
  },
  "phone.getGroupCallStars": {
    summary: "the stars sent in a group call and its top donors.",
    category: "group call messages",
    fields: { call }
  },
  "phone.saveDefaultSendAs": {
    summary: "set the peer you send a group call's messages as by default.",
    category: "group call messages",
    fields: { call, sendAs: { doc: "The peer." } }
  }
} as const satisfies Readonly<
  Record<
    string,
    MethodSpec & { readonly fields?: Readonly<Record<string, FieldSpec & { readonly minItems?: number }>> }
  >
>
