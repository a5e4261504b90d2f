/* Private to src/wire: the struct-level half of the codec, shared by codec.c
 * (bytes <-> struct) and the trace writer and reader, whose TraceRecord embeds
 * an Envelope as a submessage rather than as bytes.
 *
 * Building goes into caller-provided scratch (struct xr_pb_env) so that
 * encoding never allocates; reading copies out of a protobuf-c message that
 * the caller unpacked and will free (exactly once, in its own single exit). */
#ifndef XR_WIRE_CODEC_PB_H
#define XR_WIRE_CODEC_PB_H

#include "codec.h"
#include "err.h"
#include "xroad.pb-c.h"

/* Everything one Envelope points to, so that it can be built on the stack.
 * Only the members of the message's body are used. */
struct xr_pb_env {
	Xroad__Envelope env;
	union {
		Xroad__WaveMsg wave;
		Xroad__Crossed crossed;
		Xroad__CrossingNotice notice;
		Xroad__Blocked blocked;
		Xroad__Detect detect;
		Xroad__Probe probe;
		Xroad__DeadlockFound deadlock;
		Xroad__Proceed proceed;
		Xroad__Rejoin rejoin;
		Xroad__Arrived arrived;
		Xroad__RejoinState rejoin_state;
		Xroad__Marker marker;
		Xroad__Heartbeat heartbeat;
		Xroad__Election election;
		Xroad__Answer answer;
		Xroad__Coordinator coordinator;
		Xroad__Recover recover;
		Xroad__RecoverState recover_state;
		Xroad__LogFetch log_fetch;
		Xroad__LogRound log_round;
	} body;
	Xroad__RejoinState inner_state;        /* RecoverState.state */
	Xroad__Override last_override;         /* RecoverState.last_override */
	Xroad__Crossing last_log[XR_MAX_CARS]; /* RecoverState.last_log */
	Xroad__Crossing *last_log_ptrs[XR_MAX_CARS];
	Xroad__Intent intents[XR_MAX_CARS];
	Xroad__Intent *intent_ptrs[XR_MAX_CARS];
	Xroad__Crossing log[XR_MAX_CARS];
	Xroad__Crossing *log_ptrs[XR_MAX_CARS];
	Xroad__Crossing crossing;
	Xroad__Override override;
	Xroad__Override overrides[XR_MAX_OVERRIDES];
	Xroad__Override *override_ptrs[XR_MAX_OVERRIDES];
	uint32_t ids[XR_MAX_CARS];
};

/* Fills s->env from `m` after xr_msg_check(); s->env points into s. */
int xr_pb_env_build(struct xr_pb_env *s, const struct xr_msg *m, char *why,
		    size_t why_len);

/* `n` log entries as protobuf Crossings in `store`, `ptrs` pointing at
 * them (the shape of a repeated field); one Crossing read back. Shared by
 * the codec and the trace files (a durable state's last log). */
void xr_pb_crossings_build(Xroad__Crossing *store, Xroad__Crossing **ptrs,
			   const struct xr_crossing *log, uint32_t n);
void xr_pb_crossing_read(const Xroad__Crossing *c, struct xr_crossing *out);

/* Validates an unpacked Envelope and copies it into *out (zeroed first). */
int xr_pb_env_read(const Xroad__Envelope *e, struct xr_msg *out, char *why,
		   size_t why_len);

#endif
