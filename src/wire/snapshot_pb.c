/* NodeSnapshot <-> struct xr_snapshot; see snapshot_pb.h. */
#include "snapshot_pb.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

static Xroad__CarState car_state(enum xr_car_phase p)
{
	switch (p) {
	case XR_CAR_IDLE:
		return XROAD__CAR_STATE__CAR_IDLE;
	case XR_CAR_INTENT:
	case XR_CAR_WAITING:
		return XROAD__CAR_STATE__CAR_WAITING;
	case XR_CAR_CROSSING:
		return XROAD__CAR_STATE__CAR_CROSSING;
	case XR_CAR_CROSSED:
		return XROAD__CAR_STATE__CAR_CROSSED;
	}
	return XROAD__CAR_STATE__CAR_STATE_UNSPECIFIED;
}

void xr_snapshot_pb_from_core(const struct xr_snapshot *s, xr_set members,
			      Xroad__NodeSnapshot *out,
			      struct xr_snapshot_pb_storage *st)
{
	xroad__node_snapshot__init(out);
	out->snapshot = s->id;
	out->node = s->node;
	out->is_light = s->is_light;
	out->complete = s->complete;
	out->round = s->round;
	out->crossings = s->crossings;
	out->pending_round = s->pending_round;
	out->is_car = s->is_car;
	out->car_crossings = s->car_crossings;
	out->unusable = s->unusable;
	out->epoch = s->epoch;
	out->state = s->is_car ? car_state(s->car_phase)
			       : XROAD__CAR_STATE__CAR_STATE_UNSPECIFIED;
	memcpy(st->logged, s->logged, s->n_logged * sizeof s->logged[0]);
	out->logged = st->logged;
	out->n_logged = s->n_logged;
	size_t n = 0;
	for (uint32_t from = 0; from < XR_MAX_NODES; from++) {
		if (!((members >> from) & 1) || from == s->node)
			continue;
		const struct xr_snap_channel *ch = &s->channels[from];
		Xroad__ChannelState *c = &st->channels[n];
		xroad__channel_state__init(c);
		c->from = from;
		c->closed = ch->closed;
		c->overflow = ch->overflow;
		for (uint32_t k = 0; k < ch->n && k < XR_SNAP_CHAN_MAX; k++) {
			Xroad__InFlight *f = &st->msgs[n][k];
			xroad__in_flight__init(f);
			f->type = (char *)xr_msg_type_name(ch->msgs[k].type);
			f->round = ch->msgs[k].round;
			f->car = ch->msgs[k].car;
			st->msg_ptrs[n][k] = f;
		}
		c->messages = st->msg_ptrs[n];
		c->n_messages = ch->n;
		st->channel_ptrs[n] = c;
		n++;
	}
	out->channels = st->channel_ptrs;
	out->n_channels = n;
}

static enum xr_msg_type type_from_name(const char *name)
{
	for (int t = XR_MSG_NONE + 1; t < XR_MSG_TYPES; t++)
		if (name != NULL && strcmp(name, xr_msg_type_name(t)) == 0)
			return (enum xr_msg_type)t;
	return XR_MSG_NONE;
}

int xr_snapshot_pb_to_core(const Xroad__NodeSnapshot *in, struct xr_snapshot *s,
			   char *why, size_t why_len)
{
	memset(s, 0, sizeof *s);
	if (in->node >= XR_MAX_NODES || in->n_logged > XR_MAX_CARS ||
	    in->n_channels > XR_MAX_NODES) {
		snprintf(why, why_len,
			 "snapshot of node %u: ids or counts out "
			 "of range",
			 in->node);
		return XR_ERANGE;
	}
	s->id = in->snapshot;
	s->node = in->node;
	s->is_light = in->is_light;
	s->complete = in->complete;
	s->round = in->round;
	s->crossings = in->crossings;
	s->pending_round = in->pending_round;
	s->is_car = in->is_car;
	s->car_crossings = in->car_crossings;
	s->unusable = in->unusable;
	s->epoch = in->epoch;
	switch (in->state) {
	case XROAD__CAR_STATE__CAR_IDLE:
		s->car_phase = XR_CAR_IDLE;
		break;
	case XROAD__CAR_STATE__CAR_WAITING:
		s->car_phase = XR_CAR_WAITING;
		break;
	case XROAD__CAR_STATE__CAR_CROSSING:
		s->car_phase = XR_CAR_CROSSING;
		break;
	case XROAD__CAR_STATE__CAR_CROSSED:
		s->car_phase = XR_CAR_CROSSED;
		break;
	default:
		break;
	}
	s->n_logged = (uint32_t)in->n_logged;
	memcpy(s->logged, in->logged, in->n_logged * sizeof in->logged[0]);
	for (size_t i = 0; i < in->n_channels; i++) {
		const Xroad__ChannelState *c = in->channels[i];
		if (c->from >= XR_MAX_NODES ||
		    c->n_messages > XR_SNAP_CHAN_MAX) {
			snprintf(
				why, why_len,
				"snapshot of node %u: channel %zu out of range",
				in->node, i);
			return XR_ERANGE;
		}
		struct xr_snap_channel *ch = &s->channels[c->from];
		ch->closed = c->closed;
		ch->overflow = c->overflow;
		ch->n = (uint32_t)c->n_messages;
		for (size_t k = 0; k < c->n_messages; k++) {
			ch->msgs[k].type = type_from_name(c->messages[k]->type);
			ch->msgs[k].round = c->messages[k]->round;
			ch->msgs[k].car = c->messages[k]->car;
		}
	}
	return 0;
}
