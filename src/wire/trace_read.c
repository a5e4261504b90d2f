/* The trace reader (trace.h). A trace may come from a node killed mid-write,
 * a disk that filled up or a file that is not a trace at all: every length,
 * kind and field is checked, and a failure names the file, the record number
 * and the byte offset so that `xroadctl trace` and a replay point at it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_pb.h"
#include "err.h"
#include "trace.h"

struct xr_trace_reader {
	FILE *f;            /* NULL when reading from memory */
	const uint8_t *mem; /* xr_trace_reader_open_mem: borrowed */
	size_t mem_len;
	char path[256];
	uint64_t offset;          /* of the next byte to read */
	uint32_t records;         /* read so far */
	uint64_t good;            /* offset past the last whole record */
	bool torn;                /* the error is EOF inside a record */
	int error;                /* sticky: 0 or the first failure */
	char err[256 + 512 + 64]; /* path + what + position */
	uint8_t buf[XR_TRACE_RECORD_MAX];
};

static int fail(struct xr_trace_reader *r, uint64_t at, int code,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct xr_trace_reader *r, uint64_t at, int code,
		const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof r->err, "%s: record %u at offset %llu: %s",
		 r->path, r->records + 1, (unsigned long long)at, what);
	r->error = code;
	return code;
}

int xr_trace_reader_open(const char *path, struct xr_trace_reader **out,
			 char *why, size_t why_len)
{
	*out = NULL;
	struct xr_trace_reader *r = calloc(1, sizeof *r);
	if (r == NULL)
		return xr_why(why, why_len, XR_ENOMEM, "%s: out of memory",
			      path);
	r->f = fopen(path, "rb");
	if (r->f == NULL) {
		int e = errno;
		free(r);
		return xr_why(why, why_len, e == ENOENT ? XR_ENOTFOUND : XR_EIO,
			      "%s: %s", path, strerror(e));
	}
	snprintf(r->path, sizeof r->path, "%s", path);
	*out = r;
	return 0;
}

int xr_trace_reader_open_mem(const void *buf, size_t len, const char *name,
			     struct xr_trace_reader **out)
{
	*out = NULL;
	struct xr_trace_reader *r = calloc(1, sizeof *r);
	if (r == NULL)
		return XR_ENOMEM;
	r->mem = buf;
	r->mem_len = len;
	snprintf(r->path, sizeof r->path, "%s", name);
	*out = r;
	return 0;
}

/* getc() and fread() over either source; r->offset is the position. */
static int next_byte(struct xr_trace_reader *r)
{
	if (r->f != NULL)
		return getc(r->f);
	return r->offset < r->mem_len ? r->mem[r->offset] : EOF;
}

static size_t next_bytes(struct xr_trace_reader *r, uint8_t *dst, size_t n)
{
	if (r->f != NULL)
		return fread(dst, 1, n, r->f);
	size_t left = r->mem_len - (size_t)r->offset;
	if (n > left)
		n = left;
	memcpy(dst, r->mem + r->offset, n);
	return n;
}

static bool read_error(const struct xr_trace_reader *r)
{
	return r->f != NULL && ferror(r->f);
}

/* The length prefix: 1 and *len, 0 at a clean end of file, or an error. A
 * record longer than XR_TRACE_RECORD_MAX needs at most 3 varint bytes; more
 * is garbage, refused before it can overflow. */
static int read_prefix(struct xr_trace_reader *r, uint64_t at, size_t *len)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 10; i++) {
		int c = next_byte(r);
		if (c == EOF) {
			if (read_error(r))
				return fail(r, at, XR_EIO, "read: %s",
					    strerror(errno));
			if (i == 0)
				return 0;
			r->torn = true;
			return fail(r, at, XR_EDECODE,
				    "truncated length prefix");
		}
		r->offset++;
		v |= (uint64_t)(c & 0x7f) << (7 * i);
		if (v > XR_TRACE_RECORD_MAX)
			return fail(r, at, XR_ETOOBIG,
				    "length prefix over %u bytes: not a "
				    "trace, or a corrupt one",
				    XR_TRACE_RECORD_MAX);
		if ((c & 0x80) == 0) {
			*len = (size_t)v;
			return 1;
		}
	}
	return fail(r, at, XR_EDECODE, "length prefix longer than 10 bytes");
}

static int read_effect(struct xr_trace_reader *r, uint64_t at, const char *s,
		       struct xr_trace_rec *rec)
{
	size_t n = s != NULL ? strlen(s) : 0;
	if (n == 0)
		return fail(r, at, XR_EDECODE, "effect record without a line");
	if (n >= sizeof rec->effect)
		return fail(r, at, XR_ETOOBIG, "effect line of %zu bytes", n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ')
			return fail(r, at, XR_EDECODE,
				    "effect line with control character "
				    "0x%02x",
				    (unsigned char)s[i]);
	memcpy(rec->effect, s, n + 1);
	return 0;
}

/* Checks that a record carries exactly what its kind needs. */
static int check_members(struct xr_trace_reader *r, uint64_t at,
			 const Xroad__TraceRecord *t)
{
	bool want_env = t->kind == XROAD__TRACE_RECORD__KIND__RECEIVE ||
			t->kind == XROAD__TRACE_RECORD__KIND__SEND;
	bool want_cmd = t->kind == XROAD__TRACE_RECORD__KIND__COMMAND;
	bool want_cfg = t->kind == XROAD__TRACE_RECORD__KIND__START;
	bool want_fx = t->kind == XROAD__TRACE_RECORD__KIND__EFFECT;
	bool want_timer = t->kind == XROAD__TRACE_RECORD__KIND__TIMER;
	bool has_fx = t->effect != NULL && t->effect[0] != '\0';

	if ((t->envelope != NULL) != want_env)
		return fail(r, at, XR_EDECODE, "%s envelope",
			    want_env ? "missing" : "unexpected");
	if ((t->command != NULL) != want_cmd)
		return fail(r, at, XR_EDECODE, "%s command",
			    want_cmd ? "missing" : "unexpected");
	if ((t->config.len > 0) != want_cfg)
		return fail(r, at, XR_EDECODE, "%s config",
			    want_cfg ? "missing" : "unexpected");
	if (has_fx != want_fx)
		return fail(r, at, XR_EDECODE, "%s effect line",
			    want_fx ? "missing" : "unexpected");
	if (!want_timer && t->timer != 0)
		return fail(r, at, XR_EDECODE, "unexpected timer");
#ifdef XROAD__DURABLE__INIT
	if (!want_cfg && t->durable != NULL)
		return fail(r, at, XR_EDECODE, "unexpected durable state");
#endif
	return 0;
}

static int convert(struct xr_trace_reader *r, uint64_t at,
		   const Xroad__TraceRecord *t, struct xr_trace_rec *rec)
{
	char why[384];
	int rc;

	if (t->kind < XROAD__TRACE_RECORD__KIND__START ||
	    t->kind > XROAD__TRACE_RECORD__KIND__EFFECT)
		return fail(r, at, XR_ERANGE, "record kind %d%s", (int)t->kind,
			    t->kind == 0 ? " (UNSPECIFIED)" : "");
	if (t->node >= XR_MAX_NODES)
		return fail(r, at, XR_ERANGE, "node %u out of range (max %u)",
			    t->node, XR_MAX_NODES - 1);
	rc = check_members(r, at, t);
	if (rc != 0)
		return rc;
	rec->kind = (enum xr_trace_kind)t->kind;
	rec->now_ms = t->now_ms;
	rec->node = t->node;

	switch (rec->kind) {
	case XR_TRACE_START:
		rc = xr_config_decode(t->config.data, t->config.len,
				      &rec->config, why, sizeof why);
		if (rc != 0)
			return fail(r, at, rc, "%s", why);
		if (rec->config.self != rec->node)
			return fail(r, at, XR_EDECODE,
				    "start of node %u carries the config of "
				    "node %u",
				    rec->node, rec->config.self);
#ifdef XROAD__DURABLE__INIT
		if (t->durable != NULL) {
			const Xroad__Durable *d = t->durable;
			rec->has_durable = true;
			rec->durable.log_count = d->log_count;
			rec->durable.log_digest = d->log_digest;
			rec->durable.last_round = d->last_round;
			rec->durable.crossings = d->crossings;
			rec->durable.last_crossed_round = d->last_crossed_round;
			rec->durable.acked_round = d->acked_round;
			rec->durable.snapshot_floor = d->snapshot_floor;
			rec->durable.epoch = d->epoch;
			rec->durable.target_round = d->target_round;
			rec->durable.left_count = d->left_count;
			rec->durable.entered_round = d->entered_round;
			rec->durable.arrivals_from_ms = d->arrivals_from_ms;
			if (d->n_last_log > XR_MAX_CARS)
				return fail(r, at, XR_ETOOBIG,
					    "durable.last_log: %zu entries",
					    d->n_last_log);
			for (size_t i = 0; i < d->n_last_log; i++) {
				if (d->last_log[i]->car >= XR_MAX_NODES ||
				    d->last_log[i]->index >= XR_MAX_CARS)
					return fail(
						r, at, XR_ERANGE,
						"durable.last_log[%zu]: out "
						"of range",
						i);
				xr_pb_crossing_read(d->last_log[i],
						    &rec->durable.last_log[i]);
			}
			rec->durable.last_log_n = (uint32_t)d->n_last_log;
		}
#endif
		return 0;
	case XR_TRACE_RECEIVE:
	case XR_TRACE_SEND:
		rc = xr_pb_env_read(t->envelope, &rec->msg, why, sizeof why);
		if (rc != 0)
			return fail(r, at, rc, "%s", why);
		return 0;
	case XR_TRACE_TIMER:
		if (t->timer >= XR_TIMERS)
			return fail(r, at, XR_ERANGE, "timer %u out of range",
				    t->timer);
		rec->timer = (enum xr_timer)t->timer;
		return 0;
	case XR_TRACE_COMMAND:
		/* ControlOp and xr_command_op share their numbers; the core
		 * may know ops (snapshot) the operator RPC does not. */
		if ((int)t->command->op < (int)XR_CMD_RUN ||
		    (int)t->command->op > (int)XR_CMD_SNAPSHOT)
			return fail(r, at, XR_ERANGE, "command op %d",
				    (int)t->command->op);
		rec->op = (enum xr_command_op)t->command->op;
		rec->rounds = t->command->rounds;
		return 0;
	case XR_TRACE_EFFECT:
		return read_effect(r, at, t->effect, rec);
	}
	return fail(r, at, XR_ERANGE, "record kind %d", (int)t->kind);
}

int xr_trace_next(struct xr_trace_reader *r, struct xr_trace_rec *rec)
{
	memset(rec, 0, sizeof *rec);
	if (r->error != 0)
		return r->error;

	uint64_t at = r->offset;
	size_t len = 0;
	int rc = read_prefix(r, at, &len);
	if (rc <= 0)
		return rc;
	size_t got = next_bytes(r, r->buf, len);
	r->offset += got;
	if (got != len) {
		if (read_error(r))
			return fail(r, at, XR_EIO, "read: %s", strerror(errno));
		r->torn = true;
		return fail(r, at, XR_EDECODE,
			    "truncated: %zu of %zu bytes (a node killed while "
			    "writing, a cut file, or not a trace)",
			    got, len);
	}
	Xroad__TraceRecord *t = xroad__trace_record__unpack(NULL, len, r->buf);
	if (t == NULL)
		return fail(r, at, XR_EDECODE,
			    "%zu bytes are not a TraceRecord", len);
	rc = convert(r, at, t, rec);
	/* The one place a decoded TraceRecord is freed. */
	xroad__trace_record__free_unpacked(t, NULL);
	if (rc != 0) {
		memset(rec, 0, sizeof *rec);
		return rc;
	}
	r->records++;
	r->good = r->offset;
	rec->index = r->records;
	rec->offset = at;
	return 1;
}

const char *xr_trace_reader_error(const struct xr_trace_reader *r)
{
	return r->err;
}

uint64_t xr_trace_reader_offset(const struct xr_trace_reader *r)
{
	return r->good;
}

bool xr_trace_reader_torn(const struct xr_trace_reader *r)
{
	return r->torn;
}

void xr_trace_reader_close(struct xr_trace_reader *r)
{
	if (r == NULL)
		return;
	if (r->f != NULL)
		fclose(r->f);
	free(r);
}
