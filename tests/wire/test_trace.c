/* Trace writer and reader: every record kind survives a round trip; a file
 * cut at any byte, or with any byte changed, is read without crashing, and
 * an error names the file, the record number and the offset. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "codec.h"
#include "err.h"
#include "samples.h"
#include "trace.h"

#define PATH "test_trace.trace"
#define CUT "test_trace_cut.trace"

static struct xr_trace_rec recs[64];
static int n_recs;

static void sample_config(struct xr_node_config *c)
{
	memset(c, 0, sizeof *c);
	c->self = 0;
	c->light = 0;
	c->n_cars = 4;
	for (uint32_t i = 0; i < 4; i++) {
		c->cars[i] = i + 1;
		c->approaches[i] = (enum xr_approach)i;
		c->neighbours[i] = i + 1;
	}
	c->n_neighbours = 4;
	c->seed = 7;
	c->weights[XR_STRAIGHT] = 1;
	c->resend_ms = 50;
	c->stall_ms = 500;
	c->rounds = 1;
	c->heartbeat_ms = 100; /* not 0: a field the trace drops fails */
	c->fail_ms = 400;      /* the round trip's memcmp */
	memcpy(c->run, "t", 2);
}

/* Writes one record of every kind, and messages of every type. */
static void write_sample(void)
{
	struct xr_trace_writer *w;
	char why[256];
	struct xr_node_config cfg;
	struct xr_event ev;
	struct xr_msg m;
	static struct xr_outbox out;

	n_recs = 0;
	CHECK_EQ_INT(xr_trace_open(PATH, &w, why, sizeof why), 0);
	if (w == NULL)
		exit(1);
	sample_config(&cfg);
	CHECK_EQ_INT(xr_trace_start(w, 0, &cfg), 0);
	recs[n_recs++] = (struct xr_trace_rec){.kind = XR_TRACE_START,
					       .config = cfg};

	memset(&ev, 0, sizeof ev);
	ev.type = XR_EV_RECEIVE;
	ev.now_ms = 5;
	for (int t = XR_MSG_NONE + 1; t < XR_MSG_TYPES; t++) {
		sample_msg((enum xr_msg_type)t, t % 2 == 0, &m);
		ev.msg = &m;
		CHECK_EQ_INT(xr_trace_event(w, 0, &ev), 0);
		recs[n_recs] = (struct xr_trace_rec){
			.kind = XR_TRACE_RECEIVE, .now_ms = 5, .msg = m};
		n_recs++;
	}
	ev.type = XR_EV_TIMER;
	ev.now_ms = 50;
	ev.timer = XR_TIMER_CROSS;
	CHECK_EQ_INT(xr_trace_event(w, 0, &ev), 0);
	recs[n_recs++] = (struct xr_trace_rec){
		.kind = XR_TRACE_TIMER, .now_ms = 50, .timer = XR_TIMER_CROSS};
	ev.type = XR_EV_COMMAND;
	ev.now_ms = 60;
	ev.op = XR_CMD_RUN;
	ev.rounds = 3;
	CHECK_EQ_INT(xr_trace_event(w, 0, &ev), 0);
	recs[n_recs++] = (struct xr_trace_rec){.kind = XR_TRACE_COMMAND,
					       .now_ms = 60,
					       .op = XR_CMD_RUN,
					       .rounds = 3};

	memset(&out, 0, sizeof out);
	out.n_effects = 1;
	out.effects[0].type = XR_FX_ROUND_START;
	out.effects[0].round = 1;
	out.n_msgs = 1;
	sample_msg(XR_MSG_DETECT, false, &out.msgs[0]);
	out.msgs[0].from = 0;
	CHECK_EQ_INT(xr_trace_outbox(w, 0, 60, &out), 0);
	recs[n_recs] = (struct xr_trace_rec){.kind = XR_TRACE_EFFECT,
					     .now_ms = 60};
	memcpy(recs[n_recs].effect, "fx 0 RoundStart r1", 19);
	n_recs++;
	recs[n_recs++] = (struct xr_trace_rec){
		.kind = XR_TRACE_SEND, .now_ms = 60, .msg = out.msgs[0]};

	/* Refusals write nothing. */
	ev.type = XR_EV_START;
	CHECK_EQ_INT(xr_trace_event(w, 0, &ev), XR_EINVAL);
	CHECK(strstr(xr_trace_writer_error(w), PATH) != NULL);
	struct xr_trace_rec bad = {.kind = XR_TRACE_SEND};
	CHECK_EQ_INT(xr_trace_write(w, &bad), XR_ERANGE); /* type NONE */
	bad.kind = XR_TRACE_EFFECT;
	memcpy(bad.effect, "two\nlines", 10);
	CHECK_EQ_INT(xr_trace_write(w, &bad), XR_EINVAL);
	bad.kind = (enum xr_trace_kind)0;
	CHECK_EQ_INT(xr_trace_write(w, &bad), XR_ERANGE);
	bad.kind = XR_TRACE_START;
	bad.node = 3; /* config says self=0 */
	bad.config = cfg;
	CHECK_EQ_INT(xr_trace_write(w, &bad), XR_EINVAL);

	CHECK_EQ_INT(xr_trace_close(w), 0);
}

static bool same_record(const struct xr_trace_rec *a,
			const struct xr_trace_rec *b)
{
	if (a->kind != b->kind || a->now_ms != b->now_ms || a->node != b->node)
		return false;
	switch (a->kind) {
	case XR_TRACE_START:
		return memcmp(&a->config, &b->config, sizeof a->config) == 0;
	case XR_TRACE_RECEIVE:
	case XR_TRACE_SEND:
		return memcmp(&a->msg, &b->msg, sizeof a->msg) == 0;
	case XR_TRACE_TIMER:
		return a->timer == b->timer;
	case XR_TRACE_COMMAND:
		return a->op == b->op && a->rounds == b->rounds;
	case XR_TRACE_EFFECT:
		return strcmp(a->effect, b->effect) == 0;
	}
	return false;
}

/* Reads `path`, or mem[0..mem_len) when mem is not NULL; returns the number
 * of records read, *rc the final code. */
static int read_src(const char *path, const uint8_t *mem, size_t mem_len,
		    int *rc, bool compare)
{
	static struct xr_trace_rec rec;
	struct xr_trace_reader *r;
	char why[256];
	int n = 0;

	if (mem != NULL)
		*rc = xr_trace_reader_open_mem(mem, mem_len, path, &r);
	else
		*rc = xr_trace_reader_open(path, &r, why, sizeof why);
	if (*rc != 0)
		return 0;
	uint64_t last_offset = 0;
	while ((*rc = xr_trace_next(r, &rec)) == 1) {
		if (compare) {
			CHECK(n < n_recs && same_record(&rec, &recs[n]));
			CHECK_EQ_INT(rec.index, n + 1);
			CHECK(n == 0 || rec.offset > last_offset);
		}
		last_offset = rec.offset;
		n++;
	}
	if (*rc < 0) {
		const char *e = xr_trace_reader_error(r);
		CHECK(strstr(e, path) != NULL);
		CHECK(strstr(e, "record ") != NULL);
		CHECK(strstr(e, "offset ") != NULL);
		/* Sticky. */
		int again = xr_trace_next(r, &rec);
		CHECK_EQ_INT(again, *rc);
	}
	xr_trace_reader_close(r);
	return n;
}

static int read_all(const char *path, int *rc, bool compare)
{
	return read_src(path, NULL, 0, rc, compare);
}

static int read_mem(const uint8_t *mem, size_t len, int *rc)
{
	return read_src("mem.trace", mem, len, rc, false);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	static uint8_t data[1 << 20];
	*len = f != NULL ? fread(data, 1, sizeof data, f) : 0;
	if (f != NULL)
		fclose(f);
	return data;
}

static void spit(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}

static void corruption(void)
{
	size_t len;
	uint8_t *data = slurp(PATH, &len);
	static uint8_t copy[1 << 20];
	int rc;

	/* Record boundaries, from a clean read. */
	static uint64_t ends[64];
	int n_ends = 0;
	{
		static struct xr_trace_rec rec;
		struct xr_trace_reader *r;
		CHECK_EQ_INT(xr_trace_reader_open(PATH, &r, NULL, 0), 0);
		while (xr_trace_next(r, &rec) == 1)
			ends[n_ends++] = rec.offset;
		xr_trace_reader_close(r);
		ends[n_ends] = len;
	}
	CHECK_EQ_INT(n_ends, n_recs);

	/* Cut anywhere: whole records before the cut are read, then a clean
	 * end exactly at a boundary, otherwise a truncation error. */
	for (size_t cut = 0; cut < len; cut++) {
		int whole = 0;
		bool boundary = false;
		for (int i = 1; i <= n_ends; i++) {
			if (ends[i] <= cut)
				whole = i;
			if (ends[i] == cut || cut == 0)
				boundary = true;
		}
		int n = read_mem(data, cut, &rc);
		CHECK_EQ_INT(n, whole);
		CHECK_EQ_INT(rc, boundary ? 0 : XR_EDECODE);
	}

	/* Any single byte changed: no crash, and a record is either refused
	 * or read as a valid record. */
	for (size_t at = 0; at < len; at++) {
		memcpy(copy, data, len);
		copy[at] ^= 0x5a;
		read_mem(copy, len, &rc);
		CHECK(rc <= 0);
	}

	/* Not a trace at all. */
	spit(CUT, (const uint8_t *)"hello, world\n", 13);
	read_all(CUT, &rc, false);
	CHECK(rc < 0);
	/* A length prefix beyond the limit. */
	spit(CUT, (const uint8_t *)"\xff\xff\xff\xff\x0f", 5);
	CHECK_EQ_INT(read_all(CUT, &rc, false), 0);
	CHECK_EQ_INT(rc, XR_ETOOBIG);
	/* A record of kind UNSPECIFIED: {now_ms: 1}. */
	spit(CUT, (const uint8_t *)"\x02\x10\x01", 3);
	read_all(CUT, &rc, false);
	CHECK_EQ_INT(rc, XR_ERANGE);
	/* A TIMER record that also carries an effect line. */
	spit(CUT, (const uint8_t *)"\x05\x08\x03\x42\x01x", 6);
	read_all(CUT, &rc, false);
	CHECK_EQ_INT(rc, XR_EDECODE);
	/* Empty file: no records, clean end. */
	spit(CUT, data, 0);
	CHECK_EQ_INT(read_all(CUT, &rc, false), 0);
	CHECK_EQ_INT(rc, 0);
	/* Missing file. */
	read_all("no/such/file.trace", &rc, false);
	CHECK_EQ_INT(rc, XR_ENOTFOUND);
}

static void text(void)
{
	struct xr_trace_rec in = {.kind = XR_TRACE_TIMER, .now_ms = 50,
				  .node = 1, .timer = XR_TIMER_TICK};
	struct xr_trace_rec out = {.kind = XR_TRACE_EFFECT, .now_ms = 50,
				   .node = 1};
	char buf[256];

	memcpy(out.effect, "fx 1 Exit r1", 13);
	xr_trace_rec_describe(&in, NULL, buf, sizeof buf);
	CHECK_EQ_STR(buf, "@50 n1 timer tick");
	xr_trace_rec_describe(&out, &in, buf, sizeof buf);
	CHECK_EQ_STR(buf, "  fx 1 Exit r1");
	out.now_ms = 51;
	xr_trace_rec_describe(&out, &in, buf, sizeof buf);
	CHECK_EQ_STR(buf, "  @51 n1 fx 1 Exit r1");
	in.kind = XR_TRACE_COMMAND;
	in.op = XR_CMD_RUN;
	in.rounds = 3;
	xr_trace_rec_describe(&in, NULL, buf, sizeof buf);
	CHECK_EQ_STR(buf, "@50 n1 command run rounds=3");
	in.op = XR_CMD_PAUSE;
	xr_trace_rec_describe(&in, NULL, buf, sizeof buf);
	CHECK_EQ_STR(buf, "@50 n1 command pause");
}

/* A restarted node appends to its trace; a torn last record is cut off
 * first, and a file that is not a trace is left alone. */
static void append(void)
{
	size_t len;
	const uint8_t *data = slurp(PATH, &len);
	struct xr_trace_writer *w;
	struct xr_node_config cfg;
	uint64_t dropped = 99;
	char why[512];
	int rc;

	sample_config(&cfg);
	spit(CUT, data, len - 3); /* the last record torn */
	CHECK_EQ_INT(xr_trace_open_append(CUT, &w, &dropped, why, sizeof why),
		     0);
	CHECK(dropped > 0 && dropped < len);
	CHECK_EQ_INT(xr_trace_start(w, 99, &cfg), 0);
	CHECK_EQ_INT(xr_trace_close(w), 0);
	CHECK_EQ_INT(read_all(CUT, &rc, false), n_recs - 1 + 1);
	CHECK_EQ_INT(rc, 0);

	CHECK_EQ_INT(xr_trace_open_append(CUT, &w, &dropped, why, sizeof why),
		     0);
	CHECK_EQ_INT(dropped, 0);
	CHECK_EQ_INT(xr_trace_close(w), 0);

	unlink(CUT);
	CHECK_EQ_INT(xr_trace_open_append(CUT, &w, &dropped, why, sizeof why),
		     0); /* created */
	CHECK_EQ_INT(xr_trace_close(w), 0);

	spit(CUT, (const uint8_t *)"\x02\x10\x01more", 7);
	CHECK(xr_trace_open_append(CUT, &w, &dropped, why, sizeof why) < 0);
	CHECK(w == NULL && strstr(why, CUT) != NULL);
}

/* A restarted node's START carries the durable state it was rebuilt from,
 * when the schema has TraceRecord.durable. */
static void durable_start(void)
{
	struct xr_trace_writer *w;
	struct xr_trace_reader *r;
	static struct xr_trace_rec rec;
	struct xr_node_config cfg;
	struct xr_durable d = {.log_count = 8,
			       .log_digest = 0x8aae4e8dc37b1e21ull,
			       .last_round = 2,
			       .crossings = 2,
			       .last_crossed_round = 2,
			       .acked_round = 2,
			       .snapshot_floor = 3,
			       .arrivals_from_ms = 23690636};

	sample_config(&cfg);
	CHECK_EQ_INT(xr_trace_open(CUT, &w, NULL, 0), 0);
	CHECK_EQ_INT(xr_trace_start_durable(w, 5, &cfg, &d), 0);
	CHECK_EQ_INT(xr_trace_close(w), 0);
	CHECK_EQ_INT(xr_trace_reader_open(CUT, &r, NULL, 0), 0);
	CHECK_EQ_INT(xr_trace_next(r, &rec), 1);
	xr_trace_reader_close(r);
	if (!xr_trace_has_durable()) {
		printf("note: schema without TraceRecord.durable: restarts "
		       "replay from the replayed state\n");
		CHECK(!rec.has_durable);
		return;
	}
	CHECK(rec.has_durable);
	CHECK(memcmp(&rec.durable, &d, sizeof d) == 0);
	char line[XR_DESCRIBE_MAX];
	xr_trace_rec_text(&rec, line, sizeof line);
	CHECK(strstr(line, " durable=log:8/8aae4e8dc37b1e21 last_round=2 "
			   "crossings=2 last_crossed=2 acked=2 "
			   "snapshot_floor=3 arrivals_from=23690636") != NULL);
}

/* Failover's heartbeat_ms and fail_ms survive a START record, and show in
 * its text; a START recorded before NodeConfig had them reads them as 0,
 * failover off, which is how that node ran, and its text is unchanged. */
static void failover_config(void)
{
	struct xr_trace_writer *w;
	struct xr_trace_reader *r;
	static struct xr_trace_rec rec;
	struct xr_node_config cfg;
	char line[XR_DESCRIBE_MAX];

	sample_config(&cfg);
	cfg.heartbeat_ms = 200;
	cfg.fail_ms = 1000;
	CHECK_EQ_INT(xr_trace_open(CUT, &w, NULL, 0), 0);
	CHECK_EQ_INT(xr_trace_start(w, 5, &cfg), 0);
	CHECK_EQ_INT(xr_trace_close(w), 0);
	CHECK_EQ_INT(xr_trace_reader_open(CUT, &r, NULL, 0), 0);
	CHECK_EQ_INT(xr_trace_next(r, &rec), 1);
	xr_trace_reader_close(r);
	CHECK_EQ_INT(rec.config.heartbeat_ms, 200);
	CHECK_EQ_INT(rec.config.fail_ms, 1000);
	xr_trace_rec_text(&rec, line, sizeof line);
	CHECK(strstr(line, " rounds=1 heartbeat_ms=200 fail_ms=1000 run=t") !=
	      NULL);

	/* The START of node 4 in tests/replay/gen-clean.trace, written before
	 * NodeConfig had fields 15 and 16. */
	static const uint8_t old[] =
		"\x2e\x08\x01\x18\x04\x3a\x28\x08\x04\x1a\x04\x01\x02\x03\x04\x22"
		"\x04\x01\x02\x03\x04\x2a\x01\x00\x30\x2a\x38\x01\x50\x0a\x58\xc8"
		"\x01\x60\xf4\x03\x72\x09\x67\x65\x6e\x2d\x63\x6c\x65\x61\x6e";
	CHECK_EQ_INT(xr_trace_reader_open_mem(old, sizeof old - 1, "old.trace",
					      &r),
		     0);
	CHECK_EQ_INT(xr_trace_next(r, &rec), 1);
	xr_trace_reader_close(r);
	CHECK_EQ_INT(rec.config.self, 4);
	CHECK_EQ_INT(rec.config.heartbeat_ms, 0);
	CHECK_EQ_INT(rec.config.fail_ms, 0);
	xr_trace_rec_text(&rec, line, sizeof line);
	CHECK_EQ_STR(line, "start config self=4 light=0 cars=[1:S 2:E 3:N 4:W] "
			   "nbrs=[0] seed=42 weights=1/0/0 cross_ms=10 "
			   "resend_ms=200 stall_ms=500 rounds=0 run=gen-clean");
}

int main(void)
{
	int rc;
	write_sample();
	CHECK_EQ_INT(read_all(PATH, &rc, true), n_recs);
	CHECK_EQ_INT(rc, 0);
	corruption();
	append();
	durable_start();
	failover_config();
	text();
	unlink(CUT);
	unlink(PATH);
	return check_status("test_trace");
}
