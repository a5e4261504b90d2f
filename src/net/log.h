/* Edge logging: one key=value line per event to stderr,
 *   ts=13:05:01.123 level=info node=2 event=crossing round=3 car=2 turn=left
 * The level comes from XROAD_LOG (error, warn, info, debug; default info).
 * Values with spaces or quotes are the caller's to quote (xr_log_quote). */
#ifndef XR_NET_LOG_H
#define XR_NET_LOG_H

#include <stddef.h>

enum xr_log_level {
	XR_LOG_ERROR = 0,
	XR_LOG_WARN = 1,
	XR_LOG_INFO = 2,
	XR_LOG_DEBUG = 3,
};

/* Reads XROAD_LOG once; `node` is printed on every line (-1: none). */
void xr_log_init(int node);
int xr_log_enabled(enum xr_log_level level);
/* `fmt` is the rest of the line after "event=NAME", already key=value. */
void xr_log(enum xr_log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Renders `s` as a double-quoted value with \" and \\ escaped and control
 * characters dropped; always NUL-terminates `out`. */
const char *xr_log_quote(const char *s, char *out, size_t out_len);

#endif
