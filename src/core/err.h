/* Error codes of the whole project, defined once (X-macro, after cowsql's
 * src/err.h). 0 is success; every code is negative and never renumbered.
 * xr_strerror() switches over this list without a default so that the
 * compiler flags a code that has no message. */
#ifndef XR_ERR_H
#define XR_ERR_H

#include <stddef.h>

#define XR_ERRORS(X)                                                           \
	X(XR_ENOMEM, -1, "out of memory")                                      \
	X(XR_EINVAL, -2, "invalid argument")                                   \
	X(XR_EDECODE, -3, "malformed message")                                 \
	X(XR_ESENDER, -4,                                                      \
	  "sender not in the cluster, or not the node that sends this")        \
	X(XR_EROUND, -5, "message for another round")                          \
	X(XR_ERANGE, -6, "value out of range")                                 \
	X(XR_ETOOBIG, -7, "message too large")                                 \
	X(XR_EFULL, -8, "outbox full")                                         \
	X(XR_ECONFIG, -9, "bad configuration")                                 \
	X(XR_EIO, -10, "input/output error")                                   \
	X(XR_ENOTFOUND, -11, "not found")                                      \
	X(XR_ETIMEDOUT, -12, "timed out")                                      \
	X(XR_ENET, -13, "network error")                                       \
	X(XR_ECLOUD, -14, "cloud service error")                               \
	X(XR_EEPOCH, -15, "message from an older epoch")                       \
	X(XR_EROLE, -16, "message not meant for this node's role")             \
	X(XR_ESTATE, -17, "message does not fit the node's state")

enum xr_error {
#define XR_ERR_ENUM(name, value, text) name = value,
	XR_OK = 0,
	XR_ERRORS(XR_ERR_ENUM)
#undef XR_ERR_ENUM
};

/* A static string for `code`; never NULL. */
const char *xr_strerror(int code);

/* snprintf into `why` when it is not NULL; returns `code` so that a failure
 * is one line: `return xr_why(why, why_len, XR_ERANGE, "...", ...);`. */
int xr_why(char *why, size_t why_len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
