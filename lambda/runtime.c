/* The Lambda custom runtime loop; see runtime.h.
 *
 * "Your runtime ... [gets] an event from the next invocation API, ...
 * invoke[s] the function handler, ... [and posts] the response from the
 * handler to the invocation response API", or "If the handler returns an
 * error, post an error to the invocation error API" (AWS Lambda Developer
 * Guide, "Building a custom runtime"). */
#include "runtime.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_client.h"
#include "aws_http.h"
#include "err.h"

#define API "/2018-06-01/runtime"
#define EVENT_MAX (6u * 1024 * 1024)

static const char *code_name(int rc)
{
	switch ((enum xr_error)rc) {
	case XR_OK:
		return "XR_OK";
#define XR_CODE_NAME(name, value, text)                                        \
	case name:                                                             \
		return #name;
		XR_ERRORS(XR_CODE_NAME)
#undef XR_CODE_NAME
	}
	return "XR_EUNKNOWN";
}

static void logkv(const char *name, const char *event, const char *id,
		  const char *detail)
{
	fprintf(stderr, "level=info fn=%s event=%s request_id=%s%s%s\n", name,
		event, id ? id : "-", detail ? " detail=" : "",
		detail ? detail : "");
}

/* POSTs body to the Runtime API; 0 when it answered 2xx. */
static int post(CURL *h, const char *base, const char *path,
		const char *error_type, const char *body)
{
	char url[512];
	snprintf(url, sizeof(url), "http://%s" API "%s", base, path);
	struct curl_slist *hdrs = curl_slist_append(NULL,
						    "Content-Type: application/json");
	char et[160];
	if (error_type != NULL && hdrs != NULL) {
		snprintf(et, sizeof(et), "Lambda-Runtime-Function-Error-Type: %s",
			 error_type);
		struct curl_slist *n = curl_slist_append(hdrs, et);
		hdrs = n ? n : hdrs;
	}
	struct curl_slist *n2 = hdrs ? curl_slist_append(hdrs, "Expect:") : NULL;
	hdrs = n2 ? n2 : hdrs;
	struct xr_http_req req = {.method = "POST",
				  .url = url,
				  .headers = hdrs,
				  .body = body,
				  .body_len = strlen(body),
				  .timeout_ms = 30000,
				  .max_body = 64 * 1024};
	struct xr_http_resp r;
	xr_http_resp_init(&r);
	int rc = xr_http_do(h, &req, &r);
	if (rc == 0 && (r.status < 200 || r.status >= 300))
		rc = XR_ECLOUD;
	if (rc != 0)
		fprintf(stderr,
			"level=error event=runtime_post path=%s status=%ld "
			"error=\"%s\"\n",
			path, r.status, r.curl_err[0] ? r.curl_err : xr_strerror(rc));
	xr_http_resp_free(&r);
	curl_slist_free_all(hdrs);
	return rc;
}

static char *error_json(const char *type, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "errorMessage", msg);
	cJSON_AddStringToObject(o, "errorType", type);
	cJSON_AddArrayToObject(o, "stackTrace");
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static int post_error(CURL *h, const char *base, const char *path,
		      const char *type, const char *msg)
{
	char *body = error_json(type, msg);
	int rc = post(h, base, path, type,
		      body ? body
			   : "{\"errorMessage\":\"out of memory\","
			     "\"errorType\":\"XR_ENOMEM\"}");
	free(body);
	return rc;
}

/* The invocation's deadline (Lambda-Runtime-Deadline-Ms, wall-clock epoch
 * ms) as the CLOCK_MONOTONIC instant every AWS call must end by: `margin_ms`
 * earlier, so that the answer is posted before Lambda kills the process (a
 * killed invocation is an error for the whole batch, and each redelivery
 * counts toward maxReceiveCount). 0 when the header is missing or bad. */
static uint64_t call_deadline(const char *header, long margin_ms)
{
	char *end = NULL;
	unsigned long long dl;
	struct timespec wall;
	uint64_t now_wall, mono = xr_aws_mono_ms();

	if (header == NULL || header[0] < '0' || header[0] > '9')
		return 0;
	dl = strtoull(header, &end, 10);
	if (end == header || *end != '\0')
		return 0;
	clock_gettime(CLOCK_REALTIME, &wall);
	now_wall = (uint64_t)wall.tv_sec * 1000u + (uint64_t)wall.tv_nsec / 1000000u;
	if (dl <= now_wall + (uint64_t)margin_ms)
		return mono; /* no time left: every call fails at once */
	return mono + (dl - now_wall - (uint64_t)margin_ms);
}

static int valid_id(const char *id)
{
	size_t l = strlen(id);
	return l > 0 && l < 128 &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789-_.") == l;
}

int xr_lambda_runtime_main(const char *name, xr_lambda_fn fn)
{
	const char *base = getenv("AWS_LAMBDA_RUNTIME_API");
	if (base == NULL || base[0] == '\0' || strlen(base) > 200 ||
	    strpbrk(base, "/ ?#@") != NULL) {
		fprintf(stderr,
			"level=error fn=%s event=start error=\"AWS_LAMBDA_RUNTIME_API "
			"must be host:port\"\n",
			name);
		return 1;
	}
	long max_events =
		xr_aws_env_ulong("XROAD_RUNTIME_MAX_EVENTS", 0, 0, 1000000000L);
	/* Time kept back from the deadline to post the answer: one POST to
	 * the Runtime API on the same host takes a few ms. */
	long margin_ms = xr_aws_env_ulong("XROAD_LAMBDA_DEADLINE_MARGIN_MS", 1000, 0, 60000);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	CURL *h = curl_easy_init();
	if (h == NULL)
		return 1;
	struct xr_cloud cloud;
	int rc = xr_cloud_open_aws(&cloud);
	if (rc == 0 && margin_ms < 0) {
		snprintf(cloud.err, sizeof(cloud.err), "%s",
			 "aws: XROAD_LAMBDA_DEADLINE_MARGIN_MS must be a whole number in [0, 60000]");
		cloud.ops->close(&cloud);
		rc = XR_ECONFIG;
	}
	if (rc != 0) {
		logkv(name, "init_error", NULL, cloud.err);
		post_error(h, base, "/init/error", "Runtime.InitError", cloud.err);
		curl_easy_cleanup(h);
		return 1;
	}
	logkv(name, "ready", NULL, NULL);
	char url[512];
	snprintf(url, sizeof(url), "http://%s" API "/invocation/next", base);
	long events = 0;
	unsigned failures = 0;
	uint64_t rng = 1;
	int status = 0;
	struct xr_http_resp r;
	xr_http_resp_init(&r);
	while (max_events <= 0 || events < max_events) {
		struct xr_http_req req = {.method = "GET",
					  .url = url,
					  .timeout_ms = 0, /* waits for work */
					  .max_body = EVENT_MAX + 1};
		rc = xr_http_do(h, &req, &r);
		if (rc != 0 && rc != XR_ETOOBIG) {
			/* The Runtime API is part of the sandbox: if it stays
			 * away, the sandbox is going, and so do we. */
			if (++failures >= 5) {
				logkv(name, "runtime_api_gone", NULL, r.curl_err);
				status = 1;
				break;
			}
			xr_aws_sleep_ms(xr_aws_backoff_ms(failures, 50, 1000, &rng));
			continue;
		}
		failures = 0;
		char id[128];
		snprintf(id, sizeof(id), "%s", r.lambda_request_id);
		if (!valid_id(id)) {
			logkv(name, "bad_next", NULL,
			      "no valid Lambda-Runtime-Aws-Request-Id");
			if (r.status != 200)
				xr_aws_sleep_ms(100);
			continue;
		}
		events++;
		char path[256];
		if (rc == XR_ETOOBIG) {
			snprintf(path, sizeof(path), "/invocation/%s/error", id);
			post_error(h, base, path, "XR_ETOOBIG",
				   "event larger than 6 MB");
			logkv(name, "rejected", id, "event too large");
			continue;
		}
		char *result = NULL;
		cloud.err[0] = '\0';
		xr_cloud_set_deadline(&cloud, call_deadline(r.lambda_deadline, margin_ms));
		int hrc = fn(&cloud, r.body.p ? r.body.p : "", &result);
		xr_cloud_set_deadline(&cloud, 0);
		if (hrc == 0 && result != NULL) {
			snprintf(path, sizeof(path), "/invocation/%s/response", id);
			post(h, base, path, NULL, result);
			logkv(name, "handled", id, NULL);
		} else {
			if (hrc == 0)
				hrc = XR_EINVAL; /* a handler bug: no result */
			snprintf(path, sizeof(path), "/invocation/%s/error", id);
			post_error(h, base, path, code_name(hrc),
				   cloud.err[0] ? cloud.err : xr_strerror(hrc));
			logkv(name, "failed", id,
			      cloud.err[0] ? cloud.err : xr_strerror(hrc));
		}
		free(result);
	}
	xr_http_resp_free(&r);
	if (cloud.ops && cloud.ops->close)
		cloud.ops->close(&cloud);
	curl_easy_cleanup(h);
	return status;
}
