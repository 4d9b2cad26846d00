/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every SCTP packet
 * (RFC 9260 §6.8 and Appendix A). The table is computed on first use.
 */
let table: Uint32Array | undefined

const crcTable = (): Uint32Array => {
  if (table !== undefined) return table
  const t = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    t[i] = c >>> 0
  }
  table = t
  return t
}

/** CRC-32C of `data`, with the 4 bytes at `skip` (the checksum field) read as zeros. */
export const crc32c = (data: Uint8Array, skip = -1): number => {
  const t = crcTable()
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) {
    const byte = i >= skip && i < skip + 4 ? 0 : data[i]!
    crc = t[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
  }
  return ~crc >>> 0
}
