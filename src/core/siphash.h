/* SipHash-2-4 (Aumasson and Bernstein): a keyed 64-bit MAC for short
 * inputs.  Ferry uses it to sign file handles so that a client cannot forge
 * one, and for hash tables that a peer must not be able to flood. */
#ifndef FERRY_CORE_SIPHASH_H
#define FERRY_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

#endif
