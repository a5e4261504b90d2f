/* Minimal test assertions for tests/wire and tests/replay: a failed check
 * prints where and what, the test goes on, and main returns check_status(). */
#ifndef XR_TEST_CHECK_H
#define XR_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n",      \
				__FILE__, __LINE__, #cond);                \
			check_failures++;                                  \
		}                                                          \
	} while (0)

#define CHECK_EQ_INT(got, want)                                            \
	do {                                                               \
		long long g_ = (long long)(got), w_ = (long long)(want);   \
		if (g_ != w_) {                                            \
			fprintf(stderr, "%s:%d: %s = %lld, want %lld\n",   \
				__FILE__, __LINE__, #got, g_, w_);         \
			check_failures++;                                  \
		}                                                          \
	} while (0)

#define CHECK_EQ_STR(got, want)                                            \
	do {                                                               \
		const char *g_ = (got), *w_ = (want);                      \
		if (strcmp(g_, w_) != 0) {                                 \
			fprintf(stderr,                                    \
				"%s:%d: %s\n   got: %s\n  want: %s\n",     \
				__FILE__, __LINE__, #got, g_, w_);         \
			check_failures++;                                  \
		}                                                          \
	} while (0)

static inline int check_status(const char *name)
{
	if (check_failures != 0) {
		fprintf(stderr, "%s: %d check(s) failed\n", name,
			check_failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

#endif
