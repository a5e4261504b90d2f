/* Edge logging: one key=value line per event to stderr,
 *   ts=13:05:01.123 level=info node=2 event=crossing round=3 car=2 turn=left
 * The level comes from XROAD_LOG (error, warn, info, debug; default info).
 * Values with spaces or quotes are the caller's to quote (xr_log_quote).
 *
 * Rate limit: no input may flood the disk (issue 13: a forged epoch made a
 * light log 22,000 lines a second). Of each event name at most
 * XROAD_LOG_RATE lines (default XR_LOG_RATE_DEFAULT; 0: no limit) are
 * written per second; the others are counted, and once the second is over
 * (at the next line of any event, or at xr_log_flush()) one line says how
 * many:  event=log_suppressed what=EVENT repeated=N why="..."
 * The default is far above what a run writes (a car logs about 4 lines a
 * round, the light fewer; rounds take cross_ms and a round trip). */
#ifndef XR_NET_LOG_H
#define XR_NET_LOG_H

#include <stddef.h>

enum xr_log_level {
	XR_LOG_ERROR = 0,
	XR_LOG_WARN = 1,
	XR_LOG_INFO = 2,
	XR_LOG_DEBUG = 3,
};

#define XR_LOG_RATE_DEFAULT 200

/* Reads XROAD_LOG and XROAD_LOG_RATE once; `node` is printed on every line (-1: none). */
void xr_log_init(int node);
int xr_log_enabled(enum xr_log_level level);
/* `fmt` is the rest of the line after "event=NAME", already key=value. */
void xr_log(enum xr_log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Writes the summaries of lines suppressed so far (at exit). */
void xr_log_flush(void);

/* Renders `s` as a double-quoted value with \" and \\ escaped and control
 * characters dropped; always NUL-terminates `out`. */
const char *xr_log_quote(const char *s, char *out, size_t out_len);

#endif
