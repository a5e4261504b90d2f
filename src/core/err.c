#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *xr_strerror(int code)
{
	switch ((enum xr_error)code) {
	case XR_OK:
		return "ok";
#define XR_ERR_CASE(name, value, text)                                         \
	case name:                                                             \
		return text;
		XR_ERRORS(XR_ERR_CASE)
#undef XR_ERR_CASE
	}
	return "unknown error code";
}

int xr_why(char *why, size_t why_len, int code, const char *fmt, ...)
{
	if (why != NULL && why_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* XR_ASSERT (internal.h): the one place the core writes anything itself,
 * just before it stops. */
void xr_assert_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "xroad core: %s:%d: assertion failed: %s\n", file, line,
		what);
	abort();
}
