/**
 * The hand-written part of the domain model that TL cannot say, read by
 * `scripts/generators/model.ts` (which generates `generated/Model.ts` and `generated/ModelTable.ts`
 * from the newest shipped TL layer). Pure data: no imports, nothing at run time reads it.
 *
 * For each modelled TL type: its export name, which constructors are modelled (default: all of
 * the newest layer), how a constructor's `_tag` is made, which fields are modelled (default: all),
 * whether decoded values keep the backend object in `raw`, the Schema of fields whose TL type says
 * too little (a `Redacted` stream key), and the JSDoc description.
 *
 * @internal
 */

/** How one TL type is modelled. */
export interface TypeSpec {
  /** The export name in `Model` (default: the TL type, `phone.` → `Phone`, other namespaces dropped). */
  readonly name?: string
  /** The modelled constructors (default: every constructor of the newest layer). */
  readonly constructors?: ReadonlyArray<string>
  /** Removed from the PascalCase constructor name to make its `_tag` (`PhoneCallDiscardReason`). */
  readonly tagPrefix?: string
  /** Per constructor: the modelled fields, as TL names (default: all). */
  readonly fields?: Readonly<Record<string, ReadonlyArray<string>>>
  /** Constructors whose decoded values keep the backend's own object in an optional `raw` field. */
  readonly raw?: ReadonlyArray<string>
  /** A variant the backend's object travels in as is, for constructors that are not modelled. */
  readonly rawVariant?: string
  /** One class for all constructors (the first is the one encoded); else one class per single constructor, a tagged union otherwise. */
  readonly merge?: boolean
  /** Not generated: the Schema is hand-written (`overlay/curated.ts`) or imported; the codec table still is. */
  readonly external?: boolean
  /** Per `constructor.field` (TL names): a Schema expression replacing the one the TL type gives. */
  readonly schemas?: Readonly<Record<string, string>>
  /** The JSDoc description (Markdown). */
  readonly description: string
}

/** The types that are hand-written in `overlay/curated.ts` or come from another package. */
export const externalTypes: ReadonlyArray<string> = ["PhoneCallProtocol", "Updates"]

/** The `Update` constructors the model carries; the backends drop every other update. */
export const modelledUpdates: ReadonlyArray<string> = [
  "updatePhoneCall",
  "updatePhoneCallSignalingData",
  "updateGroupCall",
  "updateGroupCallParticipants",
  "updateGroupCallConnection",
  "updateGroupCallChainBlocks",
  "updateGroupCallMessage",
  "updateGroupCallEncryptedMessage",
  "updateDeleteGroupCallMessages"
]

/**
 * What a server sends a client whose layer lacks a constructor: `phoneCallDiscardReasonMigrateConferenceCall`
 * (layer 202 on) reaches a layer-198 client as `phoneCallDiscardReasonHangup`: the peer left the
 * 1:1 call, and that client cannot follow it into the conference.
 */
export const fallbacks: Readonly<Record<string, string>> = {
  phoneCallDiscardReasonMigrateConferenceCall: "phoneCallDiscardReasonHangup"
}

/** Every modelled TL type not taken as the generator finds it. */
export const types: Readonly<Record<string, TypeSpec>> = {
  PhoneCallProtocol: {
    external: true,
    description: "`phoneCallProtocol`: the protocol rules live in `@tgphone/crypto`."
  },
  InputUser: {
    constructors: ["inputUser", "inputUserSelf"],
    description: "`inputUser` / `inputUserSelf`: a user as a request names it."
  },
  InputPhoneCall: { description: "`inputPhoneCall`: names a 1:1 call in a request." },
  InputGroupCall: {
    constructors: ["inputGroupCall"],
    description:
      "`inputGroupCall`: names a group call in a request (by id and access hash; the link and invite-message forms of layer 229 are not modelled)."
  },
  DataJSON: { name: "DataJson", description: "`dataJSON`: a JSON document carried as text." },
  PhoneCallDiscardReason: {
    name: "DiscardReason",
    tagPrefix: "PhoneCallDiscardReason",
    description: [
      "Why a 1:1 call ended (`PhoneCallDiscardReason`). `MigrateConferenceCall` (layer 202 on): the",
      "peer moved the call into the conference `slug` names; a layer-198 backend never reports it."
    ].join("\n")
  },
  PhoneConnection: {
    description: "A network endpoint of a call (`phoneConnection` / `phoneConnectionWebrtc`)."
  },
  PhoneCall: {
    description: [
      "The state of a 1:1 call as the server reports it (`PhoneCall`).",
      "",
      "- `PhoneCallEmpty`: the call does not exist (any more).",
      "- `PhoneCallWaiting`: the caller's view while the callee has not answered; `receiveDate`",
      '  appears once the callee\'s device acknowledged it (`phone.receivedCall`): "ringing".',
      "- `PhoneCallRequested`: the callee's view of an incoming call, with the caller's `gAHash`.",
      "- `PhoneCallAccepted`: the caller's view once the callee accepted, with `gB`.",
      "- `PhoneCall`: the key exchange is complete; `gAOrB` is the caller's `g_a` on the callee side;",
      "  `conferenceSupported` (layer 202 on; always `false` on layer 198): the peer's app can move the",
      "  call into a conference.",
      "- `PhoneCallDiscarded`: the call ended."
    ].join("\n")
  },
  User: {
    merge: true,
    constructors: ["user", "userEmpty"],
    fields: {
      user: ["id", "access_hash", "first_name", "last_name", "username", "phone", "bot", "self", "deleted"],
      userEmpty: ["id"]
    },
    raw: ["user", "userEmpty"],
    description: [
      "A user as results carry it (`user`, or `userEmpty` with only its id). Only what call",
      "applications need is modelled; the rest of the TL object stays reachable through `raw` (the",
      "backend's own object, untyped)."
    ].join("\n")
  },
  "phone.PhoneCall": { description: "`phone.phoneCall`: a call and the users it mentions." },
  "messages.DhConfig": {
    description:
      '`messages.DhConfig`: the Diffie–Hellman group (or "not modified") plus fresh server random bytes.'
  },
  InputPeer: {
    constructors: ["inputPeerEmpty", "inputPeerSelf", "inputPeerUser", "inputPeerChat", "inputPeerChannel"],
    rawVariant: "InputPeerRaw",
    description: [
      "`inputPeer*`: a peer (user, basic group or channel) as a request names it. `InputPeerRaw`",
      "carries a backend object for the kinds not modelled here (`inputPeerUserFromMessage`,",
      "`inputPeerChannelFromMessage`); it is backend-specific and passed through as is."
    ].join("\n")
  },
  Peer: { description: "`peerUser` / `peerChat` / `peerChannel`: a peer as results name it." },
  Chat: {
    constructors: ["chatEmpty", "chat", "chatForbidden", "channel", "channelForbidden"],
    fields: {
      chatEmpty: ["id"],
      chat: [
        "creator",
        "left",
        "deactivated",
        "call_active",
        "call_not_empty",
        "id",
        "title",
        "participants_count",
        "date",
        "version"
      ],
      chatForbidden: ["id", "title"],
      channel: [
        "creator",
        "left",
        "broadcast",
        "megagroup",
        "min",
        "call_active",
        "call_not_empty",
        "id",
        "access_hash",
        "title",
        "username",
        "date",
        "participants_count"
      ],
      channelForbidden: ["broadcast", "megagroup", "id", "access_hash", "title", "until_date"]
    },
    raw: ["chat", "channel"],
    description: [
      "A basic group or channel as results carry it (`Chat`), minimal: what group-call",
      "applications need to name and display it. The photo, rights and other fields are not",
      "modelled; `raw` holds the backend's own object when the value was decoded from one."
    ].join("\n")
  },
  InputFile: {
    constructors: ["inputFile", "inputFileBig"],
    description:
      "`inputFile` / `inputFileBig`: a file uploaded with `upload.saveFilePart` (used by `phone.saveCallLog`)."
  },
  GroupCall: {
    description: [
      "A group call (`GroupCall`): `GroupCallDiscarded` once it ended, else `GroupCall` with its",
      "settings and counters (`conference`, `messagesEnabled`, `inviteLink`, … from layer 229)."
    ].join("\n")
  },
  GroupCallParticipantVideoSourceGroup: {
    description:
      '`groupCallParticipantVideoSourceGroup`: SSRC group of a video stream (`semantics` such as `"SIM"` or `"FID"`).'
  },
  GroupCallParticipantVideo: {
    description: "`groupCallParticipantVideo`: a participant's camera or screen-sharing stream."
  },
  GroupCallParticipant: {
    description: "`groupCallParticipant`: one participant of a group call and its state."
  },
  "phone.GroupCall": {
    description:
      "`phone.groupCall`: a group call, the first page of its participants, and the chats and users they mention."
  },
  "phone.GroupParticipants": {
    description: "`phone.groupParticipants`: one page of a group call's participants."
  },
  "phone.JoinAsPeers": {
    description: "`phone.joinAsPeers`: the peers this account may join a group call as."
  },
  "phone.ExportedGroupCallInvite": {
    description: "`phone.exportedGroupCallInvite`: an invite link to a group call."
  },
  GroupCallStreamChannel: {
    description: "`groupCallStreamChannel`: one channel of an RTMP stream and its last timestamp."
  },
  "phone.GroupCallStreamChannels": {
    description: "`phone.groupCallStreamChannels`: the channels of an RTMP stream."
  },
  "phone.GroupCallStreamRtmpUrl": {
    schemas: { "phone.groupCallStreamRtmpUrl.key": "Schema.Redacted(Schema.String)" },
    description: [
      "`phone.groupCallStreamRtmpUrl`: where an external streamer publishes. The stream `key`",
      "lets anyone publish to the call, so it is `Redacted`."
    ].join("\n")
  },
  "phone.GroupCallStars": {
    description: "`phone.groupCallStars` (layer 217 on): the stars sent in a group call and its top donors."
  },
  GroupCallDonor: { description: "`groupCallDonor` (layer 217 on): one donor of a group call's stars." },
  GroupCallMessage: { description: "`groupCallMessage` (layer 216 on): a message sent in a group call." },
  TextWithEntities: { description: "`textWithEntities`: text and its formatting entities." },
  MessageEntity: {
    description: "A formatting entity of a text (`MessageEntity`): its kind, offset and length."
  },
  Update: {
    description: [
      "The updates this SDK models (the 1:1 call, group call and group-call message updates).",
      "Everything else the server pushes is dropped at the boundary."
    ].join("\n")
  }
}
