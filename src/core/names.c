/* The names of message types, wave kinds and effects, for traces, logs and
 * the describe functions of the layers above. A leaf. */
#include "internal.h"

static const char *const msg_type_names[XR_MSG_TYPES] = {
	[XR_MSG_NONE] = "None",
	[XR_MSG_WAVE] = "Wave",
	[XR_MSG_CROSSED] = "Crossed",
	[XR_MSG_NOTICE] = "CrossingNotice",
	[XR_MSG_BLOCKED] = "Blocked",
	[XR_MSG_DETECT] = "Detect",
	[XR_MSG_PROBE] = "Probe",
	[XR_MSG_DEADLOCK] = "DeadlockFound",
	[XR_MSG_PROCEED] = "Proceed",
	[XR_MSG_REJOIN] = "Rejoin",
	[XR_MSG_REJOIN_STATE] = "RejoinState",
	[XR_MSG_MARKER] = "Marker",
	[XR_MSG_HEARTBEAT] = "Heartbeat",
	[XR_MSG_ELECTION] = "Election",
	[XR_MSG_ANSWER] = "Answer",
	[XR_MSG_COORDINATOR] = "Coordinator",
	[XR_MSG_RECOVER] = "Recover",
	[XR_MSG_RECOVER_STATE] = "RecoverState",
	[XR_MSG_LOG_FETCH] = "LogFetch",
	[XR_MSG_LOG_ROUND] = "LogRound",
	[XR_MSG_ARRIVED] = "Arrived",
};

static const char *const wave_kind_names[XR_WAVE_KINDS] = {
	[XR_WAVE_NONE] = "None",
	[XR_WAVE_COLLECT_INTENTS] = "CollectIntents",
	[XR_WAVE_INTENT_SET] = "IntentSet",
	[XR_WAVE_OVERRIDE] = "Override",
	[XR_WAVE_ROUND_END] = "RoundEnd",
};

const char *xr_msg_type_name(enum xr_msg_type t)
{
	return (unsigned)t < XR_MSG_TYPES ? msg_type_names[t] : "?";
}

const char *xr_wave_kind_name(enum xr_wave_kind k)
{
	return (unsigned)k < XR_WAVE_KINDS ? wave_kind_names[k] : "?";
}

const char *xr_effect_type_name(enum xr_effect_type t)
{
	switch (t) {
	case XR_FX_ROUND_START:
		return "RoundStart";
	case XR_FX_INTENT:
		return "Intent";
	case XR_FX_ENTER:
		return "Enter";
	case XR_FX_EXIT:
		return "Exit";
	case XR_FX_LOG_APPEND:
		return "LogAppend";
	case XR_FX_DEADLOCK:
		return "Deadlock";
	case XR_FX_ROUND_END:
		return "RoundEnd";
	case XR_FX_DONE:
		return "Done";
	case XR_FX_SHUTDOWN:
		return "Shutdown";
	case XR_FX_SNAPSHOT_DONE:
		return "SnapshotDone";
	case XR_FX_COORDINATOR:
		return "Coordinator";
	case XR_FX_DEPOSED:
		return "Deposed";
	case XR_FX_CAR_LEFT:
		return "CarLeft";
	case XR_FX_CAR_AWAITED:
		return "CarAwaited";
	case XR_FX_CROSSING_INDEXED:
		return "CrossingIndexed";
	}
	return "?";
}
