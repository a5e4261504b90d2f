/* One HTTP exchange over libcurl, and the retry arithmetic around it:
 * exponential backoff with full jitter ("sleep = random_between(0,
 * min(cap, base * 2 ** attempt))", AWS Architecture Blog, "Exponential
 * Backoff And Jitter", 2015), bounded by a deadline. Used by the AWS
 * clients, the IMDSv2 credential source and the Lambda runtime loop. */
#ifndef XR_AWS_HTTP_H
#define XR_AWS_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "aws_buf.h"

#define XR_HTTP_MAX_BODY (16u * 1024 * 1024)

struct xr_http_req {
	const char *method; /* GET, PUT, POST, DELETE */
	const char *url;
	const struct curl_slist *headers; /* owned by the caller */
	const char *body;
	size_t body_len;
	long timeout_ms; /* whole exchange; 0 = no limit */
	size_t max_body; /* response cap; 0 = XR_HTTP_MAX_BODY */
};

/* The response; free with xr_http_resp_free(). */
struct xr_http_resp {
	long status; /* 0 when no HTTP response arrived */
	struct xr_buf body;
	char error_type[128];        /* x-amzn-ErrorType / x-amzn-query-error */
	char request_id[128];        /* x-amzn-RequestId / x-amz-request-id */
	char function_error[64];     /* X-Amz-Function-Error (Lambda) */
	char lambda_deadline[32];    /* Lambda-Runtime-Deadline-Ms */
	char lambda_request_id[128]; /* Lambda-Runtime-Aws-Request-Id */
	int curl_code;               /* CURLE_OK or the transport error */
	char curl_err[CURL_ERROR_SIZE];
};

void xr_http_resp_init(struct xr_http_resp *r);
void xr_http_resp_free(struct xr_http_resp *r);

/* One attempt. 0 when an HTTP response arrived (any status), XR_ENET on a
 * transport error (resp->curl_err says which), XR_ETOOBIG when the body is
 * over max_body, XR_EINVAL on bad arguments. `h` is reset and reused. */
int xr_http_do(CURL *h, const struct xr_http_req *req,
	       struct xr_http_resp *resp);

/* A small seeded generator (splitmix64) for jitter: tests seed it. */
uint64_t xr_aws_rand(uint64_t *state);

/* Full jitter: a uniform draw in [0, min(cap_ms, base_ms * 2^attempt)],
 * attempt counting from 0. */
unsigned xr_aws_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms,
			   uint64_t *rng);

/* Milliseconds on the monotonic clock (deadlines) and sleeping. */
uint64_t xr_aws_mono_ms(void);
void xr_aws_sleep_ms(unsigned ms);

/* The CA bundle to give libcurl, or NULL for its built-in default:
 * $XROAD_CA_BUNDLE; else NULL when libcurl's compiled-in CA file exists;
 * else the first readable of XROAD_DEFAULT_CA_BUNDLE (compile time) and the
 * distributions' paths (Amazon Linux /etc/pki/tls/certs/ca-bundle.crt and
 * /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem, Debian
 * /etc/ssl/certs/ca-certificates.crt, SUSE, Alpine); else NULL. */
const char *xr_aws_ca_bundle(void);

#endif
