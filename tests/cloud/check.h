/* A few assertion macros for the cloud tests: a failed check prints where
 * and what, and the test keeps going so one run shows every failure. */
#ifndef XR_TESTS_CLOUD_CHECK_H
#define XR_TESTS_CLOUD_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			check_failures++;                                      \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			fprintf(stderr,                                        \
				"%s:%d: %s == %lld, want %s == %lld\n",        \
				__FILE__, __LINE__, #a, a_, #b, b_);           \
			check_failures++;                                      \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {         \
			fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n",  \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)",    \
				b_ ? b_ : "(null)");                           \
			check_failures++;                                      \
		}                                                              \
	} while (0)

#define CHECK_HAS(hay, needle)                                                 \
	do {                                                                   \
		const char *h_ = (hay), *n_ = (needle);                        \
		if (h_ == NULL || strstr(h_, n_) == NULL) {                    \
			fprintf(stderr, "%s:%d: \"%s\" lacks \"%s\"\n",        \
				__FILE__, __LINE__, h_ ? h_ : "(null)", n_);   \
			check_failures++;                                      \
		}                                                              \
	} while (0)

#define CHECK_DONE(name)                                                       \
	do {                                                                   \
		if (check_failures)                                            \
			fprintf(stderr, "%s: %d checks failed\n", name,        \
				check_failures);                               \
		else                                                           \
			fprintf(stderr, "%s: ok\n", name);                     \
		return check_failures ? 1 : 0;                                 \
	} while (0)

#endif
