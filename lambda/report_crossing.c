/* The report_crossing Lambda: one crossing in, one queue message out.
 * It re-encodes the validated record rather than forwarding the payload, so
 * the queue only ever holds canonical, checked records. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_err.h"
#include "cloud_json.h"
#include "err.h"
#include "handlers.h"

int xr_lambda_report_crossing(struct xr_cloud *c, const char *event_json,
			      char **result_json)
{
	struct xr_crossing_record r;
	char why[XR_CLOUD_ERR_MAX];
	char res[128];
	char *body = NULL;
	int rc, n;

	if (result_json != NULL)
		*result_json = NULL;
	if (c == NULL)
		return XR_EINVAL;
	if (c->ops == NULL || c->ops->queue_send == NULL) {
		return xr_cloud_errf(c, XR_EINVAL,
				     "report_crossing: no queue to send to");
	}
	rc = xr_crossing_record_from_json(event_json, &r, why, sizeof why);
	if (rc != 0) {
		return xr_cloud_errf(
			c, rc, "report_crossing: crossing record: %s", why);
	}
	rc = xr_crossing_record_to_json(&r, &body);
	if (rc != 0) {
		return xr_cloud_errf(c, rc, "report_crossing: encode: %s",
				     xr_strerror(rc));
	}
	rc = c->ops->queue_send(c, body);
	free(body);
	if (rc != 0)
		return xr_cloud_err_wrap(c, rc, "report_crossing");
	n = snprintf(res, sizeof res,
		     "{\"status\":\"queued\",\"run\":\"%s\",\"round\":%" PRIu32
		     ",\"car\":%" PRIu32 "}",
		     r.run, r.round, r.car);
	if (result_json == NULL)
		return 0;
	if (n < 0 || (size_t)n >= sizeof res ||
	    (*result_json = malloc((size_t)n + 1)) == NULL) {
		/* The record is queued; only the acknowledgement is lost and a
		 * resend is harmless, so this is reported, not hidden. */
		return xr_cloud_errf(
			c, XR_ENOMEM,
			"report_crossing: out of memory for the result");
	}
	memcpy(*result_json, res, (size_t)n + 1);
	return 0;
}
