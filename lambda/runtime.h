/* The custom runtime loop of the provided.al2023 bootstraps: the Lambda
 * Runtime API (AWS_LAMBDA_RUNTIME_API, version 2018-06-01) over libcurl.
 *
 *   GET  /2018-06-01/runtime/invocation/next        -> event, request id
 *   POST /2018-06-01/runtime/invocation/<id>/response
 *   POST /2018-06-01/runtime/invocation/<id>/error
 *   POST /2018-06-01/runtime/init/error
 *
 * A handler error becomes an /error post (Lambda then answers the invoker
 * with X-Amz-Function-Error); a cloud backend that cannot be opened becomes
 * an /init/error post and exit status 1. The loop never gives up on a bad
 * event: it reports it and asks for the next one. */
#ifndef XR_LAMBDA_RUNTIME_H
#define XR_LAMBDA_RUNTIME_H

#include "cloud.h"

typedef int (*xr_lambda_fn)(struct xr_cloud *c, const char *event_json,
			    char **result_json);

/* Runs the loop until the Runtime API goes away. `name` appears in logs.
 * Returns the process exit status. With XROAD_RUNTIME_MAX_EVENTS=n the loop
 * returns 0 after n events (for tests). */
int xr_lambda_runtime_main(const char *name, xr_lambda_fn fn);

#endif
