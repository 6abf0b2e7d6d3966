/*
 * fuzz.c: helpers shared by the fuzz targets: the fixed Ed25519 public key
 * that signed the seed corpora, and the abort on a broken property.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "identity.h"
#include "util.h"

EVP_PKEY *
fuzz_pubkey(void)
{
	static EVP_PKEY *pub;
	uint8_t raw[ED25519_PUB_LEN];

	if (pub != NULL)
		return pub;
	if (hex_decode(FUZZ_PUB_HEX, raw, sizeof(raw)) == -1 ||
	    (pub = identity_pubkey_from_raw(raw)) == NULL)
		fuzz_fail(__FILE__, __LINE__, "cannot build the test key");
	return pub;
}

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
	abort();
}
