/* Embedded "Lambda Invoke": the report_crossing handler is called in
 * process, so a local run executes the very code AWS Lambda runs. */
#include <stdlib.h>

#include "embedded_impl.h"
#include "err.h"
#include "handlers.h"

int xr_emb_invoke_report(struct xr_cloud *c, const char *payload_json)
{
	char *result = NULL;
	int rc;

	/* The handler fills c->err on failure, already naming itself. */
	rc = xr_lambda_report_crossing(c, payload_json, &result);
	free(result);
	return rc;
}
