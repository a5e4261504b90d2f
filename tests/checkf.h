/* CHECK(cond, fmt, ...) for the C tests: a failed check prints where, what
 * and why, counts itself in `failures`, and the test goes on so that one run
 * shows every failure. The test's main returns failures != 0. */
#ifndef XR_TESTS_CHECKF_H
#define XR_TESTS_CHECKF_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			failures++;                                         \
			fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, \
				__LINE__, #cond);                           \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
		}                                                           \
	} while (0)

#endif
