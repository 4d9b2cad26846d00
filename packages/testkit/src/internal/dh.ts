/**
 * The Diffie–Hellman group the in-memory server hands out in `messages.getDhConfig`.
 *
 * Provenance: the 2048-bit `dh_prime` published in Telegram's "Security Guidelines for Client
 * Developers" (core.telegram.org/mtproto/security_guidelines), the same constant built into
 * TDLib `td/telegram/DhCache.cpp`, tdesktop `mtproto_dh_utils.cpp` and Android `Utilities.java`;
 * copied from the project's spec notes (e2e-calls §3.1). For this prime only g ∈ {3, 4, 7}
 * satisfies the quadratic-residue condition; the world uses g = 3.
 */

const PRIME_HEX =
  "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F" +
  "48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37" +
  "20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64" +
  "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4" +
  "A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754" +
  "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4" +
  "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F" +
  "0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B"

/** The known prime as 256 big-endian bytes (a fresh copy each call). */
export const knownPrimeBytes = (): Uint8Array => {
  const out = new Uint8Array(256)
  for (let i = 0; i < 256; i++) out[i] = Number.parseInt(PRIME_HEX.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** The generator the world pairs with the known prime. */
export const generator = 3

/** The largest `random_length` the world serves (bytes). */
export const maxRandomLength = 256
