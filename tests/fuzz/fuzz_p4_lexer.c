/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: arbitrary text through the P4 front end's preprocessor
 * and lexer (p4/source.c, p4/lexer.c). Part of tests/.
 *
 * Every input either lexes to the end or stops at one error whose message
 * starts with the source's name and a position: "fuzz.p4:LINE:COL: ". The
 * tokens' positions never go past the input, and the same error comes back
 * from every later call. Includes of files are refused (no include path and
 * no file named like the inputs), built-in <core.p4> and <pna.p4> work.
 *
 * Longer run:
 *   build-fuzz/tests/fuzz/fuzz_p4_lexer -max_total_time=600 -max_len=4096 \
 *       /tmp/fuzz-p4 tests/fuzz/corpus/p4
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p4_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ft_error err = {0};
	struct p4_src *src = p4_src_open_string("fuzz.p4", (const char *)data, size, NULL, &err);
	struct p4_token tok;
	int rc = 0;

	if (src == NULL)
		return 0; /* out of memory */
	for (uint32_t n = 0; n < 1000000; n++) {
		rc = p4_next(src, &tok, &err);
		if (rc < 0 || tok.kind == P4_TOK_EOF)
			break;
		if (tok.loc.line == 0 || tok.loc.col == 0)
			abort();
	}
	if (rc < 0) {
		struct ft_error again = {0};

		if (strncmp(err.message, "fuzz.p4:", 8) != 0 && strncmp(err.message, "<", 1) != 0 &&
		    strstr(err.message, ".p4:") == NULL)
			abort(); /* an error without its position */
		if (p4_next(src, &tok, &again) != rc || strcmp(again.message, err.message) != 0)
			abort(); /* the first error must stick */
	}
	p4_src_close(src);
	return 0;
}
