/* Structured stderr logging for the shells (never used by the core). */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int log_level = XR_LOG_INFO;
static int log_node = -1;

/* Rate limit (log.h): per event name, at most rate_lines lines per
 * RATE_WINDOW_MS; the rest are counted and summed up in one line. */
#define RATE_WINDOW_MS 1000
#define RATE_SLOTS 64
#define RATE_EVENT_MAX 40

struct rate {
	char event[RATE_EVENT_MAX]; /* "": free */
	uint64_t window_start;
	unsigned lines;             /* printed in this window */
	unsigned long long dropped; /* suppressed since the last summary */
};

static unsigned rate_lines = XR_LOG_RATE_DEFAULT; /* 0: no limit */
static struct rate rates[RATE_SLOTS];
static pthread_mutex_t rate_mtx = PTHREAD_MUTEX_INITIALIZER;

void xr_log_init(int node)
{
	const char *v = getenv("XROAD_LOG");

	const char *r = getenv("XROAD_LOG_RATE");

	log_node = node;
	if (r != NULL && *r != '\0') {
		char *end;
		unsigned long k = strtoul(r, &end, 10);
		if (*end == '\0' && k <= 1000000)
			rate_lines = (unsigned)k;
		else
			fprintf(stderr,
				"level=warn event=bad_env XROAD_LOG_RATE=%s "
				"expected=0..1000000\n",
				r);
	}
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
		fprintf(stderr,
			"level=warn event=bad_env XROAD_LOG=%s "
			"expected=error|warn|info|debug\n",
			v);
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

/* Formats and writes one line. */
static void emit(enum xr_log_level level, const char *event, const char *fmt,
		 va_list ap)
{
	char line[2048];
	char ts[32];
	struct timespec now;
	struct tm tm;
	size_t off;
	int n;

	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%H:%M:%S", &tm);
	if (log_node >= 0)
		n = snprintf(line, sizeof line,
			     "ts=%s.%03ld level=%s node=%d event=%s", ts,
			     now.tv_nsec / 1000000L, level_name(level),
			     log_node, event);
	else
		n = snprintf(line, sizeof line, "ts=%s.%03ld level=%s event=%s",
			     ts, now.tv_nsec / 1000000L, level_name(level),
			     event);
	if (n < 0)
		return;
	off = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
	if (fmt != NULL && *fmt != '\0' && off + 2 < sizeof line) {
		line[off++] = ' ';
		n = vsnprintf(line + off, sizeof line - off, fmt, ap);
		if (n > 0)
			off += (size_t)n < sizeof line - off
				       ? (size_t)n
				       : sizeof line - off - 1;
	}
	line[off] = '\0';
	/* One write per line so that lines of concurrent threads never mix. */
	fprintf(stderr, "%s\n", line);
}

static void emit_f(enum xr_log_level level, const char *event, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
static void emit_f(enum xr_log_level level, const char *event, const char *fmt,
		   ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, event, fmt, ap);
	va_end(ap);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The one line that stands for the suppressed ones. Under rate_mtx. */
static void summarize(struct rate *r)
{
	if (r->dropped == 0)
		return;
	emit_f(XR_LOG_WARN, "log_suppressed",
	       "what=%s repeated=%llu why=\"more than %u %s lines in %d ms: "
	       "the rest were counted, not written\"",
	       r->event, r->dropped, rate_lines, r->event, RATE_WINDOW_MS);
	r->dropped = 0;
}

/* true: write the line. Under rate_mtx. Summaries of windows that are over
 * come first, so that a flood that stopped is still accounted for. */
static bool rate_admit(const char *event, uint64_t now)
{
	struct rate *mine = NULL, *free_slot = NULL;

	for (int i = 0; i < RATE_SLOTS; i++) {
		struct rate *r = &rates[i];
		if (r->event[0] == '\0') {
			if (free_slot == NULL)
				free_slot = r;
			continue;
		}
		if (now - r->window_start >= RATE_WINDOW_MS) {
			summarize(r);
			r->window_start = now;
			r->lines = 0;
		}
		if (strncmp(r->event, event, sizeof r->event) == 0)
			mine = r;
	}
	if (mine == NULL) {
		if (free_slot == NULL)
			return true; /* more event names than slots: not limited */
		mine = free_slot;
		snprintf(mine->event, sizeof mine->event, "%s", event);
		mine->window_start = now;
		mine->lines = 0;
		mine->dropped = 0;
	}
	if (mine->lines < rate_lines) {
		mine->lines++;
		return true;
	}
	mine->dropped++;
	return false;
}

void xr_log(enum xr_log_level level, const char *event, const char *fmt, ...)
{
	va_list ap;
	bool write = true;

	if (!xr_log_enabled(level))
		return;
	pthread_mutex_lock(&rate_mtx);
	if (rate_lines > 0)
		write = rate_admit(event, mono_ms());
	if (write) {
		va_start(ap, fmt);
		emit(level, event, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&rate_mtx);
}

void xr_log_flush(void)
{
	pthread_mutex_lock(&rate_mtx);
	for (int i = 0; i < RATE_SLOTS; i++)
		if (rates[i].event[0] != '\0')
			summarize(&rates[i]);
	pthread_mutex_unlock(&rate_mtx);
	fflush(stderr);
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
