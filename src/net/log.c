/* Structured stderr logging for the shells (never used by the core). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int log_level = XR_LOG_INFO;
static int log_node = -1;

void xr_log_init(int node)
{
	const char *v = getenv("XROAD_LOG");

	log_node = node;
	if (v == NULL || *v == '\0')
		return;
	if (strcasecmp(v, "error") == 0)
		log_level = XR_LOG_ERROR;
	else if (strcasecmp(v, "warn") == 0)
		log_level = XR_LOG_WARN;
	else if (strcasecmp(v, "info") == 0)
		log_level = XR_LOG_INFO;
	else if (strcasecmp(v, "debug") == 0)
		log_level = XR_LOG_DEBUG;
	else
		fprintf(stderr, "level=warn event=bad_env XROAD_LOG=%s "
				"expected=error|warn|info|debug\n", v);
}

int xr_log_enabled(enum xr_log_level level)
{
	return (int)level <= log_level;
}

static const char *level_name(enum xr_log_level l)
{
	switch (l) {
	case XR_LOG_ERROR:
		return "error";
	case XR_LOG_WARN:
		return "warn";
	case XR_LOG_INFO:
		return "info";
	case XR_LOG_DEBUG:
		return "debug";
	}
	return "?";
}

void xr_log(enum xr_log_level level, const char *event, const char *fmt, ...)
{
	char line[2048];
	char ts[32];
	struct timespec now;
	struct tm tm;
	size_t off;
	int n;
	va_list ap;

	if (!xr_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%H:%M:%S", &tm);
	if (log_node >= 0)
		n = snprintf(line, sizeof line, "ts=%s.%03ld level=%s node=%d event=%s",
			     ts, now.tv_nsec / 1000000L, level_name(level),
			     log_node, event);
	else
		n = snprintf(line, sizeof line, "ts=%s.%03ld level=%s event=%s", ts,
			     now.tv_nsec / 1000000L, level_name(level), event);
	if (n < 0)
		return;
	off = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
	if (fmt != NULL && *fmt != '\0' && off + 2 < sizeof line) {
		line[off++] = ' ';
		va_start(ap, fmt);
		n = vsnprintf(line + off, sizeof line - off, fmt, ap);
		va_end(ap);
		if (n > 0)
			off += (size_t)n < sizeof line - off ? (size_t)n
							      : sizeof line - off - 1;
	}
	line[off] = '\0';
	/* One write per line so that lines of concurrent threads never mix. */
	fprintf(stderr, "%s\n", line);
}

const char *xr_log_quote(const char *s, char *out, size_t out_len)
{
	size_t o = 0;

	if (out_len < 3) {
		if (out_len > 0)
			out[0] = '\0';
		return out;
	}
	out[o++] = '"';
	for (; s != NULL && *s != '\0' && o + 3 < out_len; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch == 0x7f)
			continue;
		if (ch == '"' || ch == '\\')
			out[o++] = '\\';
		out[o++] = (char)ch;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
