/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: arbitrary text through the whole P4 front end: the
 * preprocessor, lexer, parser and the translation to the pipeline IR
 * (p4/source.c, p4/lexer.c, p4/parser.c, p4/lower.c). Part of tests/.
 *
 * Every input either lexes to the end or stops at one error whose message
 * starts with a source's name and a position: "fuzz.p4:LINE:COL: ". Every
 * token has a position, and the same error comes back from every later
 * call. Then the same text is parsed: it gives a program or an error with a
 * position, and never crashes or leaks. Last, the text is translated: a
 * program that the model accepts (ft_pipeline_create()), or an error with a
 * position. Includes of files find nothing (no include path); built-in
 * <core.p4> and <pna.p4> work.
 *
 * Longer run:
 *   build-fuzz/tests/fuzz/fuzz_p4_lexer -max_total_time=600 -max_len=4096 \
 *       /tmp/fuzz-p4 tests/fuzz/corpus/p4
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/p4.h>
#include <flowtwin/pipeline.h>

#include "ast.h"
#include "p4_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Does 'msg' start with "NAME:LINE:COL: " (NAME may be <core.p4>)? */
static bool
has_position(const char *msg)
{
	const char *p = strchr(msg, ':');
	char *end;

	if (p == NULL || p == msg || strtoul(p + 1, &end, 10) == 0 || *end != ':')
		return false;
	return strtoul(end + 1, &end, 10) != 0 && end[0] == ':' && end[1] == ' ';
}

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

		if (!has_position(err.message))
			abort(); /* an error without its position */
		if (p4_next(src, &tok, &again) != rc || strcmp(again.message, err.message) != 0)
			abort(); /* the first error must stick */
	}
	p4_src_close(src);

	src = p4_src_open_string("fuzz.p4", (const char *)data, size, NULL, &err);
	if (src != NULL) {
		struct p4_program *prog = p4_parse(src, &err);

		if (prog == NULL && err.code != -ENOMEM && !has_position(err.message))
			abort(); /* an error without its position */
		p4_program_free(prog);
		p4_src_close(src);
	}

	struct ft_program *ir = ft_p4_load_string("fuzz.p4", (const char *)data, size, NULL, &err);

	if (ir == NULL) {
		if (err.code != -ENOMEM && err.code != -ENOENT && !has_position(err.message))
			abort(); /* an error without its position */
	} else {
		struct ft_pipeline *pipe = ft_pipeline_create(ir, NULL, &err);

		if (pipe == NULL)
			ft_program_destroy(ir);
		ft_pipeline_destroy(pipe);
	}
	return 0;
}
