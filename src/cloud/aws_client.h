/* A signed AWS API call with retries: SigV4 over one libcurl handle,
 * exponential backoff with full jitter on throttling, 5xx and network
 * errors, fresh credentials after an ExpiredToken answer, all bounded by a
 * deadline. When it gives up, err names the service, the operation, the
 * HTTP status and the AWS error code:
 *   "sqs SendMessage xroad-crossings: HTTP 400: ThrottlingException: Rate
 *    exceeded (gave up after 8 attempts)" */
#ifndef XR_AWS_CLIENT_H
#define XR_AWS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "aws_creds.h"
#include "aws_http.h"

struct xr_aws_endpoint {
	char service[16]; /* signing name: s3, sqs, dynamodb, lambda */
	char url[256];    /* scheme://host[:port], no trailing slash */
	char host[200];   /* host[:port] as sent in Host */
	int overridden;   /* from an XROAD_*_ENDPOINT variable */
};

struct xr_aws_policy {
	unsigned max_attempts; /* >= 1 */
	unsigned base_ms;
	unsigned cap_ms;
	unsigned deadline_ms; /* whole operation, retries included */
	unsigned attempt_ms;  /* one HTTP exchange */
	unsigned invoke_ms;   /* one Lambda Invoke exchange: longer than the
				* function's timeout, or a retry would run
				* beside an invocation still going */
};

struct xr_aws {
	CURL *curl;
	struct xr_aws_credsrc creds;
	struct xr_aws_policy policy;
	uint64_t rng;
	char region[64];
	/* CLOCK_MONOTONIC ms that no call may pass, retries and backoff
	 * included; 0: none. Set for a Lambda invocation (its deadline minus a
	 * margin to answer) and narrowed by an operation made of several calls
	 * (table_put), so nested deadlines never add up. */
	uint64_t until_ms;
	/* counters, for tests and logs */
	unsigned long calls, attempts, retries;
};

struct xr_aws_call {
	const struct xr_aws_endpoint *ep;
	const char *op;   /* "GetObject", "SendMessage", ... */
	const char *what; /* object key, queue or table name; or NULL */
	const char *method;
	const char *path;         /* raw; the signer encodes it */
	const char *query;        /* or NULL */
	const char *target;       /* X-Amz-Target or NULL */
	const char *content_type; /* or NULL */
	const char *extra_header; /* one "Name: value" or NULL */
	const char *body;
	size_t body_len;
	int s3; /* S3 signing: payload hash header, no double encoding */
	unsigned extra_ms; /* added to the deadline (long polls) */
	size_t max_resp;   /* 0 = XR_HTTP_MAX_BODY */
};

/* Sets policy from XROAD_AWS_* variables (docs/CLOUD.md), region from
 * AWS_REGION / AWS_DEFAULT_REGION, the jitter seed, and credentials. */
int xr_aws_init(struct xr_aws *a, char *err, size_t errlen);
void xr_aws_free(struct xr_aws *a);

/* Fills an endpoint from env_var (an http(s) URL, for emulators) or the
 * public one (https://<service>.<region>.amazonaws.com). */
int xr_aws_endpoint_init(struct xr_aws_endpoint *ep, const char *service,
			 const char *env_var, const char *region, char *err,
			 size_t errlen);

/* Runs the call. 0 when AWS answered 2xx: resp holds the answer (the
 * caller frees it with xr_http_resp_free). Otherwise a negative XR_E* and a
 * message in err: XR_ENOTFOUND (404, NoSuchKey, ResourceNotFound...),
 * XR_ECLOUD (any other AWS error), XR_ETIMEDOUT (deadline), XR_ENET,
 * XR_ECONFIG (credentials), XR_EINVAL. */
int xr_aws_call(struct xr_aws *a, const struct xr_aws_call *call,
		struct xr_http_resp *resp, char *err, size_t errlen);

/* What an error answer says to do. */
enum xr_aws_verdict {
	XR_AWS_FAIL = 0,    /* give up now */
	XR_AWS_RETRY = 1,   /* back off and try again */
	XR_AWS_REFRESH = 2, /* get fresh credentials, try again */
};
enum xr_aws_verdict xr_aws_classify(long status, const char *code);

/* The AWS error code and message of an error answer, from the JSON body
 * ("__type", "code", "message"), the XML body (<Code>, <Message>) or the
 * x-amzn-ErrorType header; "" when there is none. */
void xr_aws_error_code(const struct xr_http_resp *r, char *code,
		       size_t code_len, char *msg, size_t msg_len);

/* Reads an unsigned decimal environment variable within [lo, hi];
 * returns dflt when unset, -1 when malformed. */
long xr_aws_env_ulong(const char *name, long dflt, long lo, long hi);

#endif
