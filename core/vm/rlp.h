/*
 * rlp.h - the small part of Ethereum's Recursive Length Prefix encoding the
 * engine needs: byte strings and lists, appended to a GByteArray.
 *
 * A byte string of one byte below 0x80 is itself; otherwise a length
 * prefix (0x80 + len below 56 bytes, else 0xb7 + the length's byte count
 * and the length big-endian) and the bytes. A list is the same with 0xc0 /
 * 0xf7 around the concatenated encodings of its items.
 */
#ifndef CHAINSIM_VM_RLP_H
#define CHAINSIM_VM_RLP_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

/* Appends the encoding of the byte string data[0..len). */
void rlp_bytes(GByteArray *out, const uint8_t *data, size_t len);
/* Appends an unsigned integer: its big-endian bytes without leading zeros. */
void rlp_uint(GByteArray *out, uint64_t v);
/* Appends a list whose items are already encoded in payload. */
void rlp_list(GByteArray *out, const uint8_t *payload, size_t len);

#endif
