/* The trace writer (trace.h): TraceRecord, varint-length-delimited. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec_pb.h"
#include "err.h"
#include "trace.h"

struct xr_trace_writer {
	FILE *f;
	char path[256];
	uint32_t records;
	char err[256 + 384 + 32];         /* path + what + position */
	struct xr_trace_rec rec;          /* for the conveniences below */
	uint8_t config[XR_MSG_MAX_BYTES]; /* encoded NodeConfig */
	/* Length prefix + record, so one record is one fwrite. */
	uint8_t buf[10 + XR_TRACE_RECORD_MAX];
};

static int fail(struct xr_trace_writer *w, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct xr_trace_writer *w, int code, const char *fmt, ...)
{
	char what[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(w->err, sizeof w->err, "%s: record %u: %s", w->path,
		 w->records + 1, what);
	return code;
}

/* A writer on `path` opened with fopen `mode` ("wb" or "ab"). */
static int writer_open(const char *path, const char *mode,
		       struct xr_trace_writer **out, char *why, size_t why_len)
{
	struct xr_trace_writer *w = calloc(1, sizeof *w);
	if (w == NULL)
		return xr_why(why, why_len, XR_ENOMEM, "%s: out of memory",
			      path);
	w->f = fopen(path, mode);
	if (w->f == NULL) {
		int e = errno;
		free(w);
		return xr_why(why, why_len, XR_EIO, "%s: %s", path,
			      strerror(e));
	}
	snprintf(w->path, sizeof w->path, "%s", path);
	*out = w;
	return 0;
}

int xr_trace_open(const char *path, struct xr_trace_writer **out, char *why,
		  size_t why_len)
{
	*out = NULL;
	return writer_open(path, "wb", out, why, why_len);
}

/* The offset just past the last whole record of `path`, or an error when the
 * file holds something other than trace records before its tail. */
static int good_prefix(const char *path, uint64_t *good, uint64_t *size,
		       char *why, size_t why_len)
{
	static const size_t rec_size = sizeof(struct xr_trace_rec);
	struct xr_trace_reader *r;
	struct xr_trace_rec *rec = malloc(rec_size);
	int rc;

	*good = 0;
	*size = 0;
	if (rec == NULL)
		return xr_why(why, why_len, XR_ENOMEM, "%s: out of memory",
			      path);
	rc = xr_trace_reader_open(path, &r, why, why_len);
	if (rc == XR_ENOTFOUND) {
		free(rec);
		return 0; /* a new file */
	}
	if (rc != 0) {
		free(rec);
		return rc;
	}
	while ((rc = xr_trace_next(r, rec)) == 1)
		;
	*good = xr_trace_reader_offset(r);
	FILE *f = fopen(path, "rb");
	if (f != NULL && fseek(f, 0, SEEK_END) == 0) {
		long end = ftell(f);
		*size = end > 0 ? (uint64_t)end : 0;
	}
	if (f != NULL)
		fclose(f);
	/* Only a cut at the very end is a torn write; damage before it
	 * means this is not (only) our trace: refuse to add to it. */
	if (rc < 0 && !xr_trace_reader_torn(r))
		xr_why(why, why_len, rc, "%s", xr_trace_reader_error(r));
	else
		rc = 0;
	xr_trace_reader_close(r);
	free(rec);
	return rc;
}

int xr_trace_open_append(const char *path, struct xr_trace_writer **out,
			 uint64_t *dropped, char *why, size_t why_len)
{
	uint64_t good, size;
	*out = NULL;
	*dropped = 0;
	int rc = good_prefix(path, &good, &size, why, why_len);
	if (rc != 0)
		return rc;
	if (size > good) {
		if (truncate(path, (off_t)good) != 0)
			return xr_why(why, why_len, XR_EIO,
				      "%s: cutting a torn record at %llu: %s",
				      path, (unsigned long long)good,
				      strerror(errno));
		*dropped = size - good;
	}
	return writer_open(path, "ab", out, why, why_len);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static bool effect_line_ok(const char *s)
{
	size_t n = strnlen(s, XR_EFFECT_LINE_MAX);
	if (n == 0 || n >= XR_EFFECT_LINE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ')
			return false; /* one record, one line */
	return true;
}

bool xr_trace_has_durable(void)
{
#ifdef XROAD__DURABLE__INIT
	return true;
#else
	return false;
#endif
}

int xr_trace_write(struct xr_trace_writer *w, const struct xr_trace_rec *r)
{
	Xroad__TraceRecord t = XROAD__TRACE_RECORD__INIT;
#ifdef XROAD__DURABLE__INIT
	Xroad__Durable durable = XROAD__DURABLE__INIT;
	Xroad__Crossing last_log[XR_MAX_CARS];
	Xroad__Crossing *last_log_ptrs[XR_MAX_CARS];
#endif
	Xroad__ControlRequest cmd = XROAD__CONTROL_REQUEST__INIT;
	struct xr_pb_env env;
	char why[256];
	int rc;

	if (r->node >= XR_MAX_NODES)
		return fail(w, XR_ERANGE, "node %u out of range", r->node);
	t.kind = (Xroad__TraceRecord__Kind)r->kind;
	t.now_ms = r->now_ms;
	t.node = r->node;
	switch (r->kind) {
	case XR_TRACE_START: {
		size_t len;
		if (r->config.self != r->node)
			return fail(w, XR_EINVAL,
				    "start of node %u with the config of "
				    "node %u",
				    r->node, r->config.self);
		rc = xr_config_encode(&r->config, w->config, sizeof w->config,
				      &len);
		if (rc != 0)
			return fail(w, rc, "config: %s", xr_strerror(rc));
		t.config.data = w->config;
		t.config.len = len;
#ifdef XROAD__DURABLE__INIT
		if (r->has_durable) {
			durable.log_count = r->durable.log_count;
			durable.log_digest = r->durable.log_digest;
			durable.last_round = r->durable.last_round;
			durable.crossings = r->durable.crossings;
			durable.last_crossed_round =
				r->durable.last_crossed_round;
			durable.acked_round = r->durable.acked_round;
			durable.snapshot_floor = r->durable.snapshot_floor;
			durable.epoch = r->durable.epoch;
			durable.target_round = r->durable.target_round;
			durable.entered_round = r->durable.entered_round;
			durable.left_count = r->durable.left_count;
			durable.arrivals_from_ms = r->durable.arrivals_from_ms;
			xr_pb_crossings_build(
				last_log, last_log_ptrs, r->durable.last_log,
				r->durable.last_log_n < XR_MAX_CARS
					? r->durable.last_log_n
					: XR_MAX_CARS);
			durable.n_last_log = r->durable.last_log_n;
			durable.last_log = last_log_ptrs;
			t.durable = &durable;
		}
#endif
		break;
	}
	case XR_TRACE_RECEIVE:
	case XR_TRACE_SEND:
		rc = xr_pb_env_build(&env, &r->msg, why, sizeof why);
		if (rc != 0)
			return fail(w, rc, "%s", why);
		t.envelope = &env.env;
		break;
	case XR_TRACE_TIMER:
		if ((unsigned)r->timer >= XR_TIMERS)
			return fail(w, XR_ERANGE, "timer %u out of range",
				    (unsigned)r->timer);
		t.timer = (uint32_t)r->timer;
		break;
	case XR_TRACE_COMMAND:
		if (r->op < XR_CMD_RUN || r->op > XR_CMD_SNAPSHOT)
			return fail(w, XR_ERANGE, "command %u out of range",
				    (unsigned)r->op);
		cmd.op = (Xroad__ControlOp)r->op;
		cmd.rounds = r->rounds;
		t.command = &cmd;
		break;
	case XR_TRACE_EFFECT:
		if (!effect_line_ok(r->effect))
			return fail(w, XR_EINVAL,
				    "effect line empty, too long or not one "
				    "line");
		/* protobuf-c's field is `char *` but pack only reads it. */
		t.effect = (char *)(uintptr_t)r->effect;
		break;
	default:
		return fail(w, XR_ERANGE, "record kind %u out of range",
			    (unsigned)r->kind);
	}

	size_t len = xroad__trace_record__get_packed_size(&t);
	if (len > XR_TRACE_RECORD_MAX)
		return fail(w, XR_ETOOBIG, "%zu bytes, at most %u", len,
			    XR_TRACE_RECORD_MAX);
	size_t pre = put_varint(w->buf, len);
	xroad__trace_record__pack(&t, w->buf + pre);
	if (fwrite(w->buf, 1, pre + len, w->f) != pre + len ||
	    fflush(w->f) != 0)
		return fail(w, XR_EIO, "write: %s", strerror(errno));
	w->records++;
	return 0;
}

int xr_trace_start(struct xr_trace_writer *w, uint64_t now_ms,
		   const struct xr_node_config *cfg)
{
	return xr_trace_start_durable(w, now_ms, cfg, NULL);
}

int xr_trace_start_durable(struct xr_trace_writer *w, uint64_t now_ms,
			   const struct xr_node_config *cfg,
			   const struct xr_durable *durable)
{
	struct xr_trace_rec *r = &w->rec;
	memset(r, 0, sizeof *r);
	r->kind = XR_TRACE_START;
	r->now_ms = now_ms;
	r->node = cfg->self;
	r->config = *cfg;
	if (durable != NULL) {
		r->has_durable = true;
		r->durable = *durable;
	}
	return xr_trace_write(w, r);
}

int xr_trace_event(struct xr_trace_writer *w, uint32_t node,
		   const struct xr_event *ev)
{
	struct xr_trace_rec *r = &w->rec;
	memset(r, 0, sizeof *r);
	r->now_ms = ev->now_ms;
	r->node = node;
	switch (ev->type) {
	case XR_EV_RECEIVE:
		if (ev->msg == NULL)
			return fail(w, XR_EINVAL, "receive without a message");
		r->kind = XR_TRACE_RECEIVE;
		r->msg = *ev->msg;
		break;
	case XR_EV_TIMER:
		r->kind = XR_TRACE_TIMER;
		r->timer = ev->timer;
		break;
	case XR_EV_COMMAND:
		r->kind = XR_TRACE_COMMAND;
		r->op = ev->op;
		r->rounds = ev->rounds;
		break;
	case XR_EV_START:
	default:
		return fail(w, XR_EINVAL,
			    "event type %u: only receive, timer and command "
			    "(start is xr_trace_start)",
			    (unsigned)ev->type);
	}
	return xr_trace_write(w, r);
}

int xr_trace_outbox(struct xr_trace_writer *w, uint32_t node, uint64_t now_ms,
		    const struct xr_outbox *out)
{
	struct xr_trace_rec *r = &w->rec;
	int rc;

	memset(r, 0, sizeof *r);
	r->now_ms = now_ms;
	r->node = node;
	r->kind = XR_TRACE_EFFECT;
	for (uint32_t i = 0; i < out->n_effects && i < XR_OUTBOX_EFFECTS; i++) {
		size_t n = xr_effect_describe(node, &out->effects[i], r->effect,
					      sizeof r->effect);
		if (n >= sizeof r->effect)
			return fail(w, XR_ETOOBIG, "effect line of %zu bytes",
				    n);
		rc = xr_trace_write(w, r);
		if (rc != 0)
			return rc;
	}
	r->effect[0] = '\0';
	r->kind = XR_TRACE_SEND;
	for (uint32_t i = 0; i < out->n_msgs && i < XR_OUTBOX_MSGS; i++) {
		r->msg = out->msgs[i];
		rc = xr_trace_write(w, r);
		if (rc != 0)
			return rc;
	}
	return 0;
}

const char *xr_trace_writer_error(const struct xr_trace_writer *w)
{
	return w->err;
}

int xr_trace_close(struct xr_trace_writer *w)
{
	if (w == NULL)
		return 0;
	int rc = fclose(w->f) == 0 ? 0 : XR_EIO;
	free(w);
	return rc;
}
