/*
 * fuzz_note.c: C2SP signed notes, checkpoints and verifier keys
 * (note_parse, note_verify, checkpoint_parse, note_vkey_parse in
 * src/note.c): what a peer sends in a CHECKPOINT frame and what
 * `hotline audit verify` reads from a file. Properties:
 *  - a parsed note's text ends in a newline, lies inside the input and is
 *    followed by a blank line; every signature has a valid key name;
 *  - verifying with the test key as log (0x01) and cosigner (0x04) never
 *    crashes, and a successful verification counts at least one key;
 *  - a parsed checkpoint without extension lines, whose origin is a valid
 *    key name, formats back to exactly its text (the parser accepts only
 *    canonical sizes and hashes);
 *  - the input's first line, as a verifier key, either fails or formats
 *    back to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "note.h"
#include "util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct note_verifier v[2];
	struct note_result res[2];
	struct checkpoint cp;
	struct note nt;
	const char *why = NULL;
	char *line, out[NOTE_VKEY_MAX + 1], text[NOTE_NAME_MAX + 100];
	size_t n, i, rawlen = ED25519_PUB_LEN;
	int k;

	if (note_parse((const char *)data, size, &nt, &why) == 0) {
		FUZZ_CHECK(nt.textlen > 0 && nt.textlen < size);
		FUZZ_CHECK(nt.text[nt.textlen - 1] == '\n');
		FUZZ_CHECK(nt.text[nt.textlen] == '\n');
		FUZZ_CHECK(nt.nsigs >= 1 && nt.nsigs <= NOTE_SIGS_MAX);
		for (k = 0; k < nt.nsigs; k++)
			FUZZ_CHECK(note_name_valid(nt.sigs[k].name,
			    strlen(nt.sigs[k].name)));
		memset(v, 0, sizeof(v));
		for (k = 0; k < 2; k++) {
			memcpy(v[k].name, "hotline/us", 11);
			v[k].type = k == 0 ? NOTE_ALG_ED25519 : NOTE_ALG_COSIG_V1;
			FUZZ_CHECK(EVP_PKEY_get_raw_public_key(fuzz_pubkey(),
			    v[k].pub, &rawlen) == 1);
			v[k].keyid = note_keyid(v[k].name, v[k].type, v[k].pub);
		}
		k = note_verify(&nt, v, 2, res, &why);
		FUZZ_CHECK(k == -1 || (k >= 1 && (res[0].verified ||
		    res[1].verified)));
		if (checkpoint_parse(nt.text, nt.textlen, &cp, &why) == 0) {
			FUZZ_CHECK(cp.size <= INT64_MAX);
			n = checkpoint_format(&cp, text, sizeof(text));
			/* exactly three lines: must format back the same */
			for (i = 0, k = 0; i < nt.textlen; i++)
				k += nt.text[i] == '\n';
			/* (origins with spaces parse, as the spec allows,
			 * but are not ours to write) */
			if (k == 3 && note_name_valid(cp.origin,
			    strlen(cp.origin)))
				FUZZ_CHECK(n == nt.textlen &&
				    memcmp(text, nt.text, n) == 0);
		}
	}
	/* The first line as a verifier key. */
	for (n = 0; n < size && data[n] != '\n' && data[n] != '\0'; n++)
		;
	line = xmalloc(n + 1);
	memcpy(line, data, n);
	line[n] = '\0';
	if (note_vkey_parse(line, &v[0], &why) == 0) {
		FUZZ_CHECK(note_vkey_format(v[0].name, v[0].type, v[0].pub, out,
		    sizeof(out)) == 0);
		FUZZ_CHECK(strcmp(out, line) == 0);
	}
	free(line);
	return 0;
}
