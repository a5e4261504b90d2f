/* One HTTP exchange over libcurl, backoff with full jitter; see aws_http.h. */
#include "aws_http.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

#ifndef XROAD_DEFAULT_CA_BUNDLE
#define XROAD_DEFAULT_CA_BUNDLE "/etc/pki/tls/certs/ca-bundle.crt"
#endif

void xr_http_resp_init(struct xr_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	xr_buf_init(&r->body, XR_HTTP_MAX_BODY);
}

void xr_http_resp_free(struct xr_http_resp *r)
{
	xr_buf_free(&r->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xr_http_resp *r = ud;
	if (xr_buf_add(&r->body, p, size * n) != 0)
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	return size * n;
}

/* Copies the value of header `name` from a raw header line into out. */
static void header_value(const char *line, size_t len, const char *name,
			 char *out, size_t outlen)
{
	size_t nl = strlen(name);
	if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
		return;
	const char *v = line + nl + 1;
	size_t vl = len - nl - 1;
	while (vl > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl > 0 &&
	       (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	if (vl >= outlen)
		vl = outlen - 1;
	memcpy(out, v, vl);
	out[vl] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xr_http_resp *r = ud;
	size_t len = size * n;
	header_value(p, len, "x-amzn-ErrorType", r->error_type,
		     sizeof(r->error_type));
	if (r->error_type[0] == '\0')
		header_value(p, len, "x-amzn-query-error", r->error_type,
			     sizeof(r->error_type));
	header_value(p, len, "x-amzn-RequestId", r->request_id,
		     sizeof(r->request_id));
	header_value(p, len, "x-amz-request-id", r->request_id,
		     sizeof(r->request_id));
	header_value(p, len, "X-Amz-Function-Error", r->function_error,
		     sizeof(r->function_error));
	header_value(p, len, "Lambda-Runtime-Deadline-Ms", r->lambda_deadline,
		     sizeof(r->lambda_deadline));
	header_value(p, len, "Lambda-Runtime-Aws-Request-Id",
		     r->lambda_request_id, sizeof(r->lambda_request_id));
	return len;
}

int xr_http_do(CURL *h, const struct xr_http_req *req,
	       struct xr_http_resp *resp)
{
	if (h == NULL || req == NULL || resp == NULL || req->url == NULL ||
	    req->method == NULL || req->timeout_ms < 0 ||
	    (req->body == NULL && req->body_len > 0))
		return XR_EINVAL;
	xr_http_resp_free(resp);
	xr_http_resp_init(resp);
	resp->body.max = req->max_body ? req->max_body : XR_HTTP_MAX_BODY;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 req->timeout_ms > 0 && req->timeout_ms < 5000
				 ? req->timeout_ms
				 : 5000L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, resp->curl_err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, req->headers);
	const char *ca = xr_aws_ca_bundle();
	if (ca != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
				 req->body ? req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)req->body_len);
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
	CURLcode cc = curl_easy_perform(h);
	resp->curl_code = (int)cc;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	/* the error buffer must not outlive this call on the handle */
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	if (cc == CURLE_WRITE_ERROR && xr_buf_err(&resp->body) != 0) {
		snprintf(resp->curl_err, sizeof(resp->curl_err),
			 "response body over %zu bytes", resp->body.max);
		return XR_ETOOBIG;
	}
	if (cc != CURLE_OK) {
		if (resp->curl_err[0] == '\0')
			snprintf(resp->curl_err, sizeof(resp->curl_err), "%s",
				 curl_easy_strerror(cc));
		resp->status = 0;
		return cc == CURLE_OPERATION_TIMEDOUT ? XR_ETIMEDOUT : XR_ENET;
	}
	if (resp->body.p == NULL)
		xr_buf_add(&resp->body, "", 0);
	return xr_buf_err(&resp->body);
}

uint64_t xr_aws_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

unsigned xr_aws_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms,
			   uint64_t *rng)
{
	uint64_t ceil = base_ms;
	for (unsigned i = 0; i < attempt && ceil < cap_ms; i++)
		ceil *= 2;
	if (ceil > cap_ms)
		ceil = cap_ms;
	return (unsigned)(xr_aws_rand(rng) % (ceil + 1));
}

uint64_t xr_aws_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void xr_aws_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* libcurl's compiled-in CA file, read once: a libcurl bundled from Debian
 * into a Lambda zip still looks for Debian's path, which Amazon Linux does
 * not have. */
static char curl_default_ca[512];
static pthread_once_t curl_default_once = PTHREAD_ONCE_INIT;

static void read_curl_default(void)
{
#if LIBCURL_VERSION_NUM >= 0x075400 /* CURLINFO_CAINFO: 7.84.0 */
	CURL *h = curl_easy_init();
	char *p = NULL;
	if (h != NULL &&
	    curl_easy_getinfo(h, CURLINFO_CAINFO, &p) == CURLE_OK &&
	    p != NULL && strlen(p) < sizeof curl_default_ca)
		memcpy(curl_default_ca, p, strlen(p) + 1);
	if (h != NULL)
		curl_easy_cleanup(h);
#endif
}

const char *xr_aws_ca_bundle(void)
{
	/* Where distributions keep the bundle, Amazon Linux's first (the
	 * Lambda runtime), then Debian's (the instances), Fedora/AL2023's
	 * extracted trust store, SUSE's and Alpine's. */
	static const char *const known[] = {
		XROAD_DEFAULT_CA_BUNDLE,
		"/etc/pki/tls/certs/ca-bundle.crt",
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
		"/etc/ssl/certs/ca-certificates.crt",
		"/etc/ssl/ca-bundle.pem",
		"/etc/ssl/cert.pem",
	};
	const char *env = getenv("XROAD_CA_BUNDLE");
	if (env != NULL && env[0] != '\0')
		return env;
	pthread_once(&curl_default_once, read_curl_default);
	if (curl_default_ca[0] != '\0' && access(curl_default_ca, R_OK) == 0)
		return NULL; /* libcurl's own default is there: use it */
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (access(known[i], R_OK) == 0)
			return known[i];
	return NULL;
}
