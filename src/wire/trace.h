/* Node traces: every event a node's core consumed and everything it emitted,
 * as a standard protobuf stream of TraceRecord messages, each preceded by its
 * length as a varint (what Java's writeDelimitedTo and Python's
 * _DecodeVarint32 speak). Any protobuf implementation reads it; nothing here
 * is a private format.
 *
 * A trace is written by the driver of a core (the nng daemon, the replay
 * generator) in the order the core saw and produced things:
 *   START   xr_node_init() with the recorded config, then XR_EV_START;
 *   RECEIVE / TIMER / COMMAND   one xr_node_step() input each;
 *   EFFECT, then SEND   the outbox of the step just recorded, in the order the
 *           outbox is applied (node.h: effects, then messages).
 * A START may carry the durable state the node was rebuilt from (a restart
 * with a state file: xr_trace_start_durable); a replay initialises the node
 * with it, and a START without it is a fresh node. A restarted node appends
 * to its trace (xr_trace_open_append), so one file holds its whole life.
 *
 * Recording the durable state needs TraceRecord.durable in the schema
 * (proto/xroad.proto `message Durable`, field 9). This file compiles with or
 * without it: xr_trace_has_durable() says which. Without it the state is not
 * written, and a replay takes a second START of a node for a restart from
 * the durable state its own replay had reached: what the node had on disk,
 * since every step's durable state is stored before its messages go out
 * (node.h), unless it died between the two.
 * Several nodes may share one trace file: every record names its node. */
#ifndef XR_WIRE_TRACE_H
#define XR_WIRE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "describe.h"
#include "node.h"

/* Same numbers as TraceRecord.Kind in proto/xroad.proto. */
enum xr_trace_kind {
	XR_TRACE_START = 1,
	XR_TRACE_RECEIVE,
	XR_TRACE_TIMER,
	XR_TRACE_COMMAND,
	XR_TRACE_SEND,
	XR_TRACE_EFFECT,
};

/* Longest record accepted (length prefix excluded): one full Envelope or
 * NodeConfig plus the record's own fields, with room to spare. */
#define XR_TRACE_RECORD_MAX (2u * 64u * 1024u)

/* One record, decoded and validated. Only the members of `kind` are set; the
 * rest are zero. */
struct xr_trace_rec {
	enum xr_trace_kind kind;
	uint64_t now_ms;
	uint32_t node;
	struct xr_node_config config; /* START (tracer fields NULL) */
	bool has_durable;             /* START after a restart */
	struct xr_durable durable;
	struct xr_msg msg;               /* RECEIVE, SEND */
	enum xr_timer timer;             /* TIMER */
	enum xr_command_op op;           /* COMMAND */
	uint32_t rounds;                 /* COMMAND RUN */
	char effect[XR_EFFECT_LINE_MAX]; /* EFFECT: xr_effect_describe() line */
	/* Where the record was found (reader only): 1-based record number and
	 * byte offset of its length prefix. */
	uint32_t index;
	uint64_t offset;
};

const char *xr_trace_kind_name(enum xr_trace_kind k); /* "recv", "send"... */
const char *xr_timer_name(enum xr_timer t);           /* "tick", "cross" */
const char *xr_command_name(enum xr_command_op op);   /* "run", "pause"... */

/* ------------------------------------------------------------ writer */

/* Owned by the caller between xr_trace_open() and xr_trace_close(). Every
 * record reaches the file in one write and is flushed, so a node killed with
 * SIGKILL leaves a trace whose records are all whole. */
struct xr_trace_writer;

/* Creates (truncates) `path`. 0 and *out, or XR_EIO / XR_ENOMEM with the
 * reason in `why`. */
int xr_trace_open(const char *path, struct xr_trace_writer **out, char *why,
		  size_t why_len);

/* Opens `path` for appending, creating it if needed: what a restarted node
 * does, so that one file holds its whole life (START, ..., START again).
 * Every record already there is read first; a torn record at the end (the
 * node was killed while writing it) is cut off, and *dropped says how many
 * bytes went (0 normally). A file that is not a trace is refused
 * (XR_EDECODE) rather than appended to. */
int xr_trace_open_append(const char *path, struct xr_trace_writer **out,
			 uint64_t *dropped, char *why, size_t why_len);

/* Writes one record. `r->kind` selects the members used; index and offset
 * are ignored. 0, or XR_EINVAL / XR_ERANGE / XR_ETOOBIG (the record does not
 * validate: nothing written) or XR_EIO; xr_trace_writer_error() says why. */
int xr_trace_write(struct xr_trace_writer *w, const struct xr_trace_rec *r);

/* Conveniences for drivers of a core. */
int xr_trace_start(struct xr_trace_writer *w, uint64_t now_ms,
		   const struct xr_node_config *cfg);
/* The same for a node rebuilt from `durable` (NULL: a fresh node). */
int xr_trace_start_durable(struct xr_trace_writer *w, uint64_t now_ms,
			   const struct xr_node_config *cfg,
			   const struct xr_durable *durable);
/* true when this build's schema records a START's durable state. */
bool xr_trace_has_durable(void);
/* RECEIVE, TIMER or COMMAND from the event about to be stepped; an
 * XR_EV_START event is XR_EINVAL (use xr_trace_start). */
int xr_trace_event(struct xr_trace_writer *w, uint32_t node,
		   const struct xr_event *ev);
/* The EFFECT records, then the SEND records, of a step's outbox. */
int xr_trace_outbox(struct xr_trace_writer *w, uint32_t node, uint64_t now_ms,
		    const struct xr_outbox *out);

/* The reason for the writer's last failure, naming the file. */
const char *xr_trace_writer_error(const struct xr_trace_writer *w);

/* Flushes, closes and frees `w` (NULL is a no-op). 0, or XR_EIO when data
 * could not be written: the trace is then incomplete. */
int xr_trace_close(struct xr_trace_writer *w);

/* ------------------------------------------------------------ reader */

struct xr_trace_reader;

int xr_trace_reader_open(const char *path, struct xr_trace_reader **out,
			 char *why, size_t why_len);
/* Reads buf[0..len) (borrowed until close); `name` stands for the file in
 * error messages. For tests and fuzzing. */
int xr_trace_reader_open_mem(const void *buf, size_t len, const char *name,
			     struct xr_trace_reader **out);

/* Reads and validates the next record into *rec. 1 when a record was read,
 * 0 at the clean end of the file, or a negative XR_E* code (XR_EDECODE for a
 * truncated or malformed record, XR_ERANGE, XR_ETOOBIG, XR_EIO) with
 * xr_trace_reader_error() naming the file, record number and offset. After
 * an error every later call returns the same error. */
int xr_trace_next(struct xr_trace_reader *r, struct xr_trace_rec *rec);

const char *xr_trace_reader_error(const struct xr_trace_reader *r);

/* Byte offset just past the last record read (of the failed record's start
 * after an error): where a torn tail begins. */
uint64_t xr_trace_reader_offset(const struct xr_trace_reader *r);

/* true when the error was the end of the file inside a record: a torn
 * write, as a killed writer leaves, rather than damage. */
bool xr_trace_reader_torn(const struct xr_trace_reader *r);

void xr_trace_reader_close(struct xr_trace_reader *r);

/* ------------------------------------------------------------ text */

/* One line per record for `xroadctl trace` and the text twins:
 *   @NOW nNODE start config ...       inputs start at column 0
 *   @NOW nNODE recv 1->0 ...
 *   @NOW nNODE timer tick
 *   @NOW nNODE command run rounds=3
 *     fx 0 RoundStart r1              outputs are indented under their input
 *     send 0->1 Wave#1 ...
 * An output whose time or node differ from the input above it (`prev`, the
 * last input record, or NULL) keeps the "@NOW nNODE" prefix. Same return
 * convention as describe.h. */
size_t xr_trace_rec_describe(const struct xr_trace_rec *r,
			     const struct xr_trace_rec *prev, char *buf,
			     size_t cap);

/* The same line without indentation and "@NOW nNODE": "recv 1->0 ...",
 * "fx 0 RoundStart r1", "timer tick". */
size_t xr_trace_rec_text(const struct xr_trace_rec *r, char *buf, size_t cap);

#endif
