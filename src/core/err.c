#include "err.h"

const char *xr_strerror(int code)
{
	switch ((enum xr_error)code) {
	case XR_OK:
		return "ok";
#define XR_ERR_CASE(name, value, text) \
	case name:                     \
		return text;
		XR_ERRORS(XR_ERR_CASE)
#undef XR_ERR_CASE
	}
	return "unknown error code";
}
