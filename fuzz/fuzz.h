/*
 * fuzz.h: what the fuzz targets share. Each fuzz/fuzz_<name>.c defines
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer (clang,
 * HOTLINE_FUZZ=ON) or with replay.c, which feeds it the files of a corpus so
 * that ctest replays every corpus on every build. fuzz.c holds the fixed test
 * key and the property check that aborts, so that a broken property is a
 * crash for libFuzzer and a failed test for ctest alike.
 *
 * The key is RFC 8032's first Ed25519 test key (docs/PROTOCOL.md's worked
 * example). Its holder plays the peer FUZZ_PEER ("us"); the node under test
 * is FUZZ_SELF ("ru"). Seeds are signed with it by fuzz/mkcorpus.c.
 */
#ifndef HOTLINE_FUZZ_H
#define HOTLINE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define FUZZ_PEER	"us"	/* holder of the test key */
#define FUZZ_SELF	"ru"	/* the node whose link is fuzzed */

/* RFC 8032 test key 1, as 64 hex digits. */
#define FUZZ_SEED_HEX \
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define FUZZ_PUB_HEX \
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

/* The libFuzzer entry point every target defines. Always returns 0. */
int		 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The test key's public half, built once and kept (never NULL). */
EVP_PKEY	*fuzz_pubkey(void);

/* Print where a property failed and abort(). */
void		 fuzz_fail(const char *file, int line, const char *what)
		    __attribute__((noreturn));

/* A property of the code under test; unlike assert() it survives NDEBUG. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond);			\
} while (0)

#endif
