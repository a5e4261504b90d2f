/* One stable line of text per message, effect and configuration, after etcd
 * raft's DescribeMessage (`1->2 MsgApp Term:1 Log:1/2 Commit:2`). protobuf-c
 * has no text format; these lines are what `xroadctl trace` prints, what the
 * text twins of replay traces hold, and, for effects, what a trace's EFFECT
 * record stores and a replay compares. Changing a rendering changes every
 * twin: rewrite them with XROAD_REWRITE=1 and review the diff. Changing an
 * effect's rendering also invalidates the EFFECT records of every recorded
 * trace (regenerate: `cmake --build build --target replay_regen`; re-record
 * the daemon's).
 *
 * Grammar (docs in one place, examples from a real run):
 *   message  FROM->TO [ep=E] [snap=S] BODY   (ep= only when the coordinator
 *            epoch is not 1, the first coordinator's; snap= when not 0)
 *     Wave#ID KIND rROUND down|echo [intents=[I ...]] [override=O] [log=[C ...]]
 *     Crossed rROUND at=MS
 *     CrossingNotice C
 *     Blocked rROUND seen=N overrides=N [held] waits=[ID,...]
 *     Detect rROUND eEPOCH
 *     Probe rROUND eEPOCH init=ID path=[ID,...]
 *     DeadlockFound rROUND eEPOCH cycle=[ID,...]
 *     Proceed rROUND eEPOCH
 *     Rejoin rROUND
 *     Marker sSNAPSHOT
 *     RejoinState rROUND [fixed] [intents=[..]] [log=[..]] [overrides=[O ..]]
 *                 [proceed=[ID,...]]
 *   intent I = CAR:APPROACH:TURN@ARRIVAL_MS   e.g. 1:S:straight@0
 *   crossing C = rROUND#INDEX:CAR             e.g. r1#0:2
 *   override O = eEPOCH:WINNER>LOSER          e.g. e1:2>3
 *   effect   fx NODE NAME rROUND FIELDS       e.g. fx 2 Enter r1 car=2 ...
 *   config   config self=.. light=.. cars=[ID:APPROACH ..] nbrs=[..] seed=..
 *            weights=R/S/L cross_ms=.. resend_ms=.. stall_ms=.. rounds=..
 *            [heartbeat_ms=.. fail_ms=..] run=..
 *            (the failover pair only when one of them is not 0: a config
 *            without failover, every trace recorded before the pair was,
 *            reads as it always did)
 * Every scalar of a message is printed, zero or not; flags appear only when
 * set, and optional parts (a wave's intents, log, override; the lists of a
 * RejoinState) only when present. The lists a message exists to carry
 * (waits, path, cycle) are printed even when empty. An effect prints the
 * fields its type uses, plus any other field that is not zero, so no value
 * is ever lost from an EFFECT record. Values out of range print as ?N.
 *
 * Every function writes at most `cap` bytes including the NUL (truncating
 * like snprintf) and returns the length the full line needs. */
#ifndef XR_WIRE_DESCRIBE_H
#define XR_WIRE_DESCRIBE_H

#include <stddef.h>

#include "node.h"

/* Enough for the longest line of any of the functions below. */
#define XR_DESCRIBE_MAX 4096
/* Enough for any effect line; the trace reader refuses longer ones. */
#define XR_EFFECT_LINE_MAX 1024

size_t xr_msg_describe(const struct xr_msg *m, char *buf, size_t cap);
size_t xr_effect_describe(uint32_t node, const struct xr_effect *fx, char *buf,
			  size_t cap);
size_t xr_config_describe(const struct xr_node_config *c, char *buf,
			  size_t cap);

#endif
