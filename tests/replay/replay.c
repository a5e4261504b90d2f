/* The replay test: feeds a recorded trace's inputs to fresh cores and
 * requires the very outputs the trace recorded, byte for byte.
 *
 *   replay_trace [--twin] FILE.trace...
 *
 * For every record, in file order:
 *   START    (re)build node `node` from the recorded NodeConfig and durable
 *            state and step XR_EV_START. Without TraceRecord.durable in
 *            the schema, a second START of a node is taken for a restart
 *            and the node is rebuilt with the durable state its replay had
 *            reached, which is what it had on disk (node.h: durable is
 *            stored before any message of the step goes out);
 *   RECEIVE, TIMER, COMMAND   step the node at the recorded now_ms;
 *   EFFECT, SEND   must be the next output of the node's last step: the
 *            effect line equal to xr_effect_describe() of the replayed
 *            effect, the Envelope's encoding equal to the replayed message's.
 * Outputs of a step that the trace does not have are a failure too.
 *
 * --twin also compares the trace's text form (what `xroadctl trace FILE`
 * prints) with FILE's twin, X.trace -> X.txt. XROAD_REWRITE=1 rewrites the
 * twin instead; review the diff before committing it.
 *
 * Exit status 0 when every file replays, 1 otherwise, with the first
 * divergence of each file named by record number and offset. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "describe.h"
#include "err.h"
#include "node.h"
#include "trace.h"

/* What one step produced, in the order the trace must list it. */
struct pending {
	uint32_t node;
	uint32_t next;   /* next output to match */
	uint32_t n;      /* outputs in total: effects then messages */
	uint32_t record; /* the input record that produced them */
};

struct replay {
	const char *path;
	struct xr_node *nodes[XR_MAX_NODES];
	struct pending pend;
	bool have_pend;
	uint32_t inputs, outputs, restarts;
	char err[2048];
};

static int failf(struct replay *r, const struct xr_trace_rec *rec,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int failf(struct replay *r, const struct xr_trace_rec *rec,
		 const char *fmt, ...)
{
	char what[1536];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (rec != NULL)
		snprintf(r->err, sizeof r->err,
			 "%s: record %u at offset %llu (node %u, @%llu): %s",
			 r->path, rec->index, (unsigned long long)rec->offset,
			 rec->node, (unsigned long long)rec->now_ms, what);
	else
		snprintf(r->err, sizeof r->err, "%s: %s", r->path, what);
	return -1;
}

/* Describes output `i` of node `id`'s outbox, for messages. */
static void describe_output(const struct xr_node *n, uint32_t id, uint32_t i,
			    char *buf, size_t cap)
{
	if (i < n->out.n_effects) {
		xr_effect_describe(id, &n->out.effects[i], buf, cap);
		return;
	}
	int k = snprintf(buf, cap, "send ");
	if (k > 0 && (size_t)k < cap)
		xr_msg_describe(&n->out.msgs[i - n->out.n_effects], buf + k,
				cap - (size_t)k);
}

/* Everything the last step emitted must have been matched by now. */
static int close_step(struct replay *r, const struct xr_trace_rec *at)
{
	if (!r->have_pend || r->pend.next == r->pend.n)
		return 0;
	char line[XR_DESCRIBE_MAX];
	const struct xr_node *n = r->nodes[r->pend.node];
	describe_output(n, r->pend.node, r->pend.next, line, sizeof line);
	return failf(r, at,
		     "the core emitted more for input record %u than the "
		     "trace recorded; first missing: %s",
		     r->pend.record, line);
}

static int do_step(struct replay *r, const struct xr_trace_rec *rec,
		   const struct xr_event *ev)
{
	struct xr_node *n = r->nodes[rec->node];
	(void)xr_node_step(n, ev); /* a refusal is replayed like any step */
	r->pend.node = rec->node;
	r->pend.next = 0;
	r->pend.n = n->out.n_effects + n->out.n_msgs;
	r->pend.record = rec->index;
	r->have_pend = true;
	r->inputs++;
	return 0;
}

static int on_start(struct replay *r, const struct xr_trace_rec *rec)
{
	char why[256];
	struct xr_durable durable;
	bool restart = r->nodes[rec->node] != NULL;

	if (!restart) {
		r->nodes[rec->node] = calloc(1, sizeof(struct xr_node));
		if (r->nodes[rec->node] == NULL)
			return failf(r, rec, "out of memory");
	} else {
		durable = r->nodes[rec->node]->durable;
		r->restarts++;
	}
	if (xr_node_config_check(&rec->config, why, sizeof why) != 0)
		return failf(r, rec, "recorded config refused: %s", why);
	/* What the node was rebuilt from: recorded; or, with a schema that
	 * cannot record it, what its replay reached when it went down;
	 * otherwise nothing: a fresh node. */
	const struct xr_durable *from = NULL;
	if (rec->has_durable)
		from = &rec->durable;
	else if (restart && !xr_trace_has_durable())
		from = &durable;
	int rc = xr_node_init(r->nodes[rec->node], &rec->config, from);
	if (rc != 0)
		return failf(r, rec, "xr_node_init: %s", xr_strerror(rc));
	struct xr_event ev = {.type = XR_EV_START, .now_ms = rec->now_ms};
	return do_step(r, rec, &ev);
}

static int on_output(struct replay *r, const struct xr_trace_rec *rec)
{
	char want[XR_DESCRIBE_MAX], got[XR_DESCRIBE_MAX];

	if (!r->have_pend || r->pend.node != rec->node ||
	    r->pend.next == r->pend.n) {
		if (rec->kind == XR_TRACE_EFFECT)
			snprintf(got, sizeof got, "%s", rec->effect);
		else
			xr_msg_describe(&rec->msg, got, sizeof got);
		return failf(r, rec,
			     "the trace has an output the replayed core did "
			     "not emit: %s",
			     got);
	}
	const struct xr_node *n = r->nodes[rec->node];
	uint32_t i = r->pend.next;
	bool is_effect = i < n->out.n_effects;
	describe_output(n, rec->node, i, want, sizeof want);

	if (rec->kind == XR_TRACE_EFFECT) {
		if (!is_effect || strcmp(want, rec->effect) != 0)
			return failf(r, rec,
				     "output %u of input record %u differs\n"
				     "  trace:  %s\n  replay: %s",
				     i + 1, r->pend.record, rec->effect, want);
	} else {
		static uint8_t a[XR_MSG_MAX_BYTES], b[XR_MSG_MAX_BYTES];
		size_t la = 0, lb = 0;
		const struct xr_msg *m =
			is_effect ? NULL : &n->out.msgs[i - n->out.n_effects];
		int ra = xr_msg_encode(&rec->msg, a, sizeof a, &la);
		int rb = m != NULL ? xr_msg_encode(m, b, sizeof b, &lb) : -1;
		if (ra != 0 || rb != 0 || la != lb || memcmp(a, b, la) != 0) {
			xr_msg_describe(&rec->msg, got, sizeof got);
			return failf(r, rec,
				     "output %u of input record %u differs "
				     "(%zu vs %zu bytes)\n  trace:  send %s\n"
				     "  replay: %s",
				     i + 1, r->pend.record, la, lb, got, want);
		}
	}
	r->pend.next++;
	r->outputs++;
	return 0;
}

static int on_record(struct replay *r, const struct xr_trace_rec *rec)
{
	struct xr_event ev = {.now_ms = rec->now_ms};

	if (rec->kind == XR_TRACE_SEND || rec->kind == XR_TRACE_EFFECT)
		return on_output(r, rec);
	if (close_step(r, rec) != 0)
		return -1;
	if (rec->kind == XR_TRACE_START)
		return on_start(r, rec);
	if (r->nodes[rec->node] == NULL)
		return failf(r, rec, "input for node %u before its start",
			     rec->node);
	switch (rec->kind) {
	case XR_TRACE_RECEIVE:
		ev.type = XR_EV_RECEIVE;
		ev.msg = &rec->msg;
		break;
	case XR_TRACE_TIMER:
		ev.type = XR_EV_TIMER;
		ev.timer = rec->timer;
		break;
	case XR_TRACE_COMMAND:
		ev.type = XR_EV_COMMAND;
		ev.op = rec->op;
		ev.rounds = rec->rounds;
		break;
	default:
		return failf(r, rec, "record kind %u", (unsigned)rec->kind);
	}
	return do_step(r, rec, &ev);
}

/* ------------------------------------------------------------ text twin */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *bigger = realloc(buf, 2 * cap + 1);
			if (bigger == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf != NULL)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* Appends `line` and a newline to a growing text (bounded: 64 MiB). */
static int append(char **text, size_t *len, size_t *cap, const char *line)
{
	size_t n = strlen(line);
	if (*len + n + 2 > *cap) {
		size_t want = (*cap == 0 ? 1 << 16 : *cap * 2);
		while (want < *len + n + 2)
			want *= 2;
		if (want > (64u << 20))
			return XR_ETOOBIG;
		char *bigger = realloc(*text, want);
		if (bigger == NULL)
			return XR_ENOMEM;
		*text = bigger;
		*cap = want;
	}
	memcpy(*text + *len, line, n);
	(*text)[*len + n] = '\n';
	*len += n + 1;
	(*text)[*len] = '\0';
	return 0;
}

static int check_twin(const char *path, const char *text, size_t len)
{
	char twin[1024];
	size_t plen = strlen(path);
	if (plen < 6 || strcmp(path + plen - 6, ".trace") != 0 ||
	    plen + 1 > sizeof twin) {
		fprintf(stderr, "replay: %s: twin needs a NAME.trace path\n",
			path);
		return 1;
	}
	snprintf(twin, sizeof twin, "%.*s.txt", (int)(plen - 6), path);

	const char *rewrite = getenv("XROAD_REWRITE");
	if (rewrite != NULL && strcmp(rewrite, "1") == 0) {
		FILE *f = fopen(twin, "wb");
		if (f == NULL || fwrite(text, 1, len, f) != len ||
		    fclose(f) != 0) {
			fprintf(stderr, "replay: %s: cannot write\n", twin);
			return 1;
		}
		printf("replay: rewrote %s\n", twin);
		return 0;
	}
	size_t have_len;
	char *have = read_file(twin, &have_len);
	if (have == NULL) {
		fprintf(stderr,
			"replay: %s: missing text twin (create it with "
			"XROAD_REWRITE=1)\n",
			twin);
		return 1;
	}
	int status = 0;
	if (have_len != len || memcmp(have, text, len) != 0) {
		/* Point at the first differing line. */
		size_t line = 1, i = 0;
		while (i < len && i < have_len && have[i] == text[i]) {
			if (text[i] == '\n')
				line++;
			i++;
		}
		fprintf(stderr,
			"replay: %s differs from the trace's text at line %zu; "
			"if the change is intended: XROAD_REWRITE=1 and review "
			"the diff\n",
			twin, line);
		status = 1;
	}
	free(have);
	return status;
}

/* ------------------------------------------------------------ main */

static int replay_file(const char *path, bool twin)
{
	static struct xr_trace_rec rec, prev;
	struct replay *r = calloc(1, sizeof *r);
	struct xr_trace_reader *rd = NULL;
	char *text = NULL;
	size_t text_len = 0, text_cap = 0;
	int status = 1, rc;
	bool have_prev = false;

	if (r == NULL)
		return 1;
	r->path = path;
	rc = xr_trace_reader_open(path, &rd, r->err, sizeof r->err);
	if (rc != 0)
		goto out;
	while ((rc = xr_trace_next(rd, &rec)) == 1) {
		if (twin) {
			char line[XR_DESCRIBE_MAX + 128];
			xr_trace_rec_describe(&rec, have_prev ? &prev : NULL,
					      line, sizeof line);
			if (append(&text, &text_len, &text_cap, line) != 0) {
				failf(r, &rec, "text twin too large");
				goto out;
			}
		}
		if (rec.kind != XR_TRACE_SEND && rec.kind != XR_TRACE_EFFECT) {
			prev = rec;
			have_prev = true;
		}
		if (on_record(r, &rec) != 0)
			goto out;
	}
	if (rc < 0) {
		snprintf(r->err, sizeof r->err, "%s",
			 xr_trace_reader_error(rd));
		goto out;
	}
	if (close_step(r, NULL) != 0)
		goto out;
	if (r->inputs == 0) {
		failf(r, NULL, "no input records: nothing was replayed");
		goto out;
	}
	status = 0;
	if (twin)
		status = check_twin(path, text != NULL ? text : "", text_len);
	printf("replay: %s: %u inputs, %u outputs identical, %u restarts\n",
	       path, r->inputs, r->outputs, r->restarts);
out:
	if (status != 0 && r->err[0] != '\0')
		fprintf(stderr, "replay: %s\n", r->err);
	xr_trace_reader_close(rd);
	for (int i = 0; i < XR_MAX_NODES; i++)
		free(r->nodes[i]);
	free(r);
	free(text);
	return status;
}

int main(int argc, char **argv)
{
	bool twin = false;
	int files = 0, failed = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--twin") == 0) {
			twin = true;
			continue;
		}
		files++;
		if (replay_file(argv[i], twin) != 0)
			failed++;
	}
	if (files == 0) {
		fprintf(stderr, "usage: replay_trace [--twin] FILE.trace...\n");
		return 2;
	}
	if (failed > 0) {
		fprintf(stderr, "replay: %d of %d trace(s) diverged\n", failed,
			files);
		return 1;
	}
	return 0;
}
