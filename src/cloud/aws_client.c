/* Signed AWS calls with retries, backoff and a deadline; see aws_client.h. */
#include "aws_client.h"

#include <cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws_buf.h"
#include "err.h"
#include "sigv4.h"

long xr_aws_env_ulong(const char *name, long dflt, long lo, long hi)
{
	const char *s = getenv(name);
	if (s == NULL || s[0] == '\0')
		return dflt;
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

static uint64_t seed(void)
{
	uint64_t s = 0;
	int fd = open("/dev/urandom", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, &s, sizeof(s)) != (ssize_t)sizeof(s))
			s = 0;
		close(fd);
	}
	if (s == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
		    (uint64_t)getpid();
	}
	return s;
}

int xr_aws_init(struct xr_aws *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	struct {
		const char *env;
		long dflt, lo, hi;
		unsigned *dst;
	} knobs[] = {
		{"XROAD_AWS_MAX_ATTEMPTS", 8, 1, 100, &a->policy.max_attempts},
		{"XROAD_AWS_BACKOFF_BASE_MS", 50, 1, 60000, &a->policy.base_ms},
		{"XROAD_AWS_BACKOFF_CAP_MS", 2000, 1, 600000,
		 &a->policy.cap_ms},
		{"XROAD_AWS_DEADLINE_MS", 20000, 100, 3600000,
		 &a->policy.deadline_ms},
		{"XROAD_AWS_ATTEMPT_TIMEOUT_MS", 5000, 100, 600000,
		 &a->policy.attempt_ms},
		/* report_crossing's function timeout is 10 s (terraform):
		 * an Invoke must be allowed to outlast it */
		{"XROAD_LAMBDA_INVOKE_TIMEOUT_MS", 15000, 100, 960000,
		 &a->policy.invoke_ms},
	};
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		long v = xr_aws_env_ulong(knobs[i].env, knobs[i].dflt,
					  knobs[i].lo, knobs[i].hi);
		if (v < 0) {
			xr_why(err, errlen, XR_OK,
			       "aws: %s must be a whole number in [%ld, %ld]",
			       knobs[i].env, knobs[i].lo, knobs[i].hi);
			return XR_ECONFIG;
		}
		*knobs[i].dst = (unsigned)v;
	}
	long js = xr_aws_env_ulong("XROAD_AWS_JITTER_SEED", 0, 0, 0x7fffffffL);
	a->rng = js > 0 ? (uint64_t)js : seed();
	const char *region = getenv("AWS_REGION");
	if (region == NULL || region[0] == '\0')
		region = getenv("AWS_DEFAULT_REGION");
	if (region == NULL || region[0] == '\0')
		region = "us-east-1";
	size_t rl = strlen(region);
	if (rl >= sizeof(a->region) ||
	    strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != rl) {
		xr_why(err, errlen, XR_OK,
		       "aws: AWS_REGION '%.64s' is not a region", region);
		return XR_ECONFIG;
	}
	memcpy(a->region, region, rl + 1);
	int rc = xr_aws_credsrc_init(&a->creds, err, errlen);
	if (rc != 0)
		return rc;
	a->curl = curl_easy_init();
	if (a->curl == NULL) {
		xr_aws_credsrc_free(&a->creds);
		xr_why(err, errlen, XR_OK, "aws: curl_easy_init failed");
		return XR_ENOMEM;
	}
	return 0;
}

void xr_aws_free(struct xr_aws *a)
{
	if (a->curl)
		curl_easy_cleanup(a->curl);
	a->curl = NULL;
	xr_aws_credsrc_free(&a->creds);
}

int xr_aws_endpoint_init(struct xr_aws_endpoint *ep, const char *service,
			 const char *env_var, const char *region, char *err,
			 size_t errlen)
{
	memset(ep, 0, sizeof(*ep));
	snprintf(ep->service, sizeof(ep->service), "%s", service);
	const char *v = env_var ? getenv(env_var) : NULL;
	char url[256];
	if (v != NULL && v[0] != '\0') {
		ep->overridden = 1;
		if (strlen(v) >= sizeof(url)) {
			xr_why(err, errlen, XR_OK, "aws: %s too long", env_var);
			return XR_ECONFIG;
		}
		snprintf(url, sizeof(url), "%s", v);
	} else {
		snprintf(url, sizeof(url), "https://%s.%s.amazonaws.com",
			 service, region);
	}
	size_t l = strlen(url);
	while (l > 0 && url[l - 1] == '/')
		url[--l] = '\0';
	const char *host;
	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		host = NULL;
	if (host == NULL || host[0] == '\0' || strpbrk(host, "/?#@ ") != NULL ||
	    strlen(host) >= sizeof(ep->host)) {
		xr_why(err, errlen, XR_OK,
		       "aws: %s='%.100s' is not an http(s)://host[:port] URL",
		       env_var ? env_var : service, url);
		return XR_ECONFIG;
	}
	memcpy(ep->url, url, l + 1);
	snprintf(ep->host, sizeof(ep->host), "%s", host);
	return 0;
}

/* ----------------------------------------------------------- error codes */

static const char *const throttles[] = {
	"Throttling",
	"ThrottlingException",
	"ThrottledException",
	"RequestThrottledException",
	"TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"RequestLimitExceeded",
	"BandwidthLimitExceeded",
	"SlowDown",
	"RequestThrottled",
	"AWS.SimpleQueueService.RequestThrottled",
	"PriorRequestNotComplete",
	"TransactionInProgressException",
	"EC2ThrottledException",
	"LimitExceededException",
	"InternalError",
	"InternalFailure",
	"ServiceUnavailable",
	"ServiceUnavailableException",
	"RequestTimeout",
	"RequestTimeoutException",
};

/* Credentials refused: fresh ones may help where they can be fetched again
 * (IMDS role credentials rotate), once per call; credentials from the
 * environment stay what they are, so there these are permanent
 * (xr_aws_call). */
static const char *const expired[] = {
	"ExpiredToken",
	"ExpiredTokenException",
	"TokenRefreshRequired",
	"InvalidClientTokenId",        /* rotated role credentials */
	"UnrecognizedClientException", /* DynamoDB's InvalidClientTokenId */
	"InvalidAccessKeyId",          /* S3's */
};

/* The request's time is too far from AWS's: no retry fixes the clock. */
static int clock_skew(const char *code, const char *msg)
{
	return strcmp(code, "RequestTimeTooSkewed") == 0 ||
	       strcmp(code, "RequestExpired") == 0 ||
	       strstr(msg, "Signature expired") != NULL ||
	       strstr(msg, "Signature not yet current") != NULL;
}

enum xr_aws_verdict xr_aws_classify(long status, const char *code)
{
	code = code ? code : "";
	for (size_t i = 0; i < sizeof(expired) / sizeof(expired[0]); i++)
		if (strcmp(code, expired[i]) == 0)
			return XR_AWS_REFRESH;
	if (status >= 500 || status == 429 || status == 0)
		return XR_AWS_RETRY;
	for (size_t i = 0; i < sizeof(throttles) / sizeof(throttles[0]); i++)
		if (strcmp(code, throttles[i]) == 0)
			return XR_AWS_RETRY;
	return XR_AWS_FAIL;
}

static void copy_until(char *dst, size_t n, const char *src, const char *stop)
{
	size_t l = strcspn(src, stop);
	if (l >= n)
		l = n - 1;
	memcpy(dst, src, l);
	dst[l] = '\0';
}

static int xml_tag(const char *body, const char *tag, char *out, size_t n)
{
	char open_t[32], close_t[32];
	snprintf(open_t, sizeof(open_t), "<%s>", tag);
	snprintf(close_t, sizeof(close_t), "</%s>", tag);
	const char *s = strstr(body, open_t);
	if (s == NULL)
		return -1;
	s += strlen(open_t);
	const char *e = strstr(s, close_t);
	if (e == NULL)
		return -1;
	size_t l = (size_t)(e - s);
	if (l >= n)
		l = n - 1;
	memcpy(out, s, l);
	out[l] = '\0';
	return 0;
}

void xr_aws_error_code(const struct xr_http_resp *r, char *code,
		       size_t code_len, char *msg, size_t msg_len)
{
	code[0] = '\0';
	msg[0] = '\0';
	const char *body = r->body.p ? r->body.p : "";
	cJSON *j = body[0] == '{' ? cJSON_ParseWithLength(body, r->body.len)
				  : NULL;
	if (j != NULL) {
		const char *t = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(j, "__type"));
		if (t == NULL)
			t = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(j, "code"));
		if (t == NULL)
			t = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(j, "Code"));
		if (t != NULL) {
			const char *hash = strrchr(t, '#');
			copy_until(code, code_len, hash ? hash + 1 : t, ":");
		}
		const char *m = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(j, "message"));
		if (m == NULL)
			m = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(j, "Message"));
		if (m == NULL)
			m = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(
					j, "errorMessage"));
		if (m != NULL)
			copy_until(msg, msg_len, m, "\r\n");
		cJSON_Delete(j);
	} else if (strstr(body, "<Code>") != NULL) {
		xml_tag(body, "Code", code, code_len);
		xml_tag(body, "Message", msg, msg_len);
	}
	if (code[0] == '\0' && r->error_type[0] != '\0')
		copy_until(code, code_len, r->error_type, ":;");
}

static int not_found(long status, const char *code)
{
	static const char *const codes[] = {
		"NoSuchKey",
		"NoSuchBucket",
		"ResourceNotFoundException",
		"QueueDoesNotExist",
		"AWS.SimpleQueueService.NonExistentQueue",
		"NotFound"};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return status == 404;
}

/* ----------------------------------------------------------------- call */

static struct curl_slist *add(struct curl_slist *l, int *oom, const char *fmt,
			      const char *a, const char *b)
{
	char line[8192];
	int n = snprintf(line, sizeof(line), fmt, a, b ? b : "");
	if (n < 0 || (size_t)n >= sizeof(line)) {
		*oom = 1;
		return l;
	}
	struct curl_slist *r = curl_slist_append(l, line);
	if (r == NULL)
		*oom = 1;
	return r ? r : l;
}

/* Signs and sends one attempt. */
static int attempt(struct xr_aws *a, const struct xr_aws_call *c,
		   const struct xr_aws_creds *cr, long timeout_ms,
		   struct xr_http_resp *resp, char *err, size_t errlen)
{
	struct xr_sigv4_header sh[4];
	size_t nh = 0;
	char xname[64], xval[512];
	sh[nh++] = (struct xr_sigv4_header){"Host", c->ep->host};
	if (c->content_type)
		sh[nh++] = (struct xr_sigv4_header){"Content-Type",
						    c->content_type};
	if (c->target)
		sh[nh++] = (struct xr_sigv4_header){"X-Amz-Target", c->target};
	if (c->extra_header) {
		const char *colon = strchr(c->extra_header, ':');
		size_t l = colon ? (size_t)(colon - c->extra_header) : 0;
		if (l == 0 || l >= sizeof(xname))
			return XR_EINVAL;
		memcpy(xname, c->extra_header, l);
		xname[l] = '\0';
		const char *v = colon + 1;
		while (*v == ' ')
			v++;
		snprintf(xval, sizeof(xval), "%s", v);
		sh[nh++] = (struct xr_sigv4_header){xname, xval};
	}
	struct xr_sigv4_request sreq = {
		.method = c->method,
		.path = c->path,
		.query = c->query,
		.headers = sh,
		.n_headers = nh,
		.body = c->body,
		.body_len = c->body_len,
	};
	struct xr_sigv4_creds screds = {cr->access_key, cr->secret_key,
					cr->token[0] ? cr->token : NULL};
	struct xr_sigv4_params p = {
		.region = a->region,
		.service = c->ep->service,
		.now = time(NULL),
		.normalize = !c->s3,
		.double_encode = !c->s3,
		.sign_body = c->s3,
	};
	struct xr_sigv4_result res;
	int rc = xr_sigv4_sign(&sreq, &screds, &p, &res);
	if (rc != 0) {
		xr_why(err, errlen, XR_OK, "cannot sign the request: %s",
		       xr_strerror(rc));
		return rc;
	}
	struct curl_slist *h = NULL;
	int oom = 0;
	for (size_t i = 0; i < nh; i++)
		h = add(h, &oom, "%s: %s", sh[i].name, sh[i].value);
	h = add(h, &oom, "%s: %s", "X-Amz-Date", res.amz_date);
	if (c->s3)
		h = add(h, &oom, "%s: %s", "x-amz-content-sha256",
			res.payload_hash);
	if (cr->token[0])
		h = add(h, &oom, "%s: %s", "X-Amz-Security-Token", cr->token);
	h = add(h, &oom, "%s: %s", "Authorization", res.authorization);
	h = add(h, &oom, "%s%s", "Expect:", NULL);
	h = add(h, &oom, "%s%s", "Accept:", NULL);
	struct xr_buf url;
	xr_buf_init(&url, 8192);
	xr_buf_addf(&url, "%s%s", c->ep->url, res.canonical_path);
	if (res.query && res.query[0])
		xr_buf_addf(&url, "?%s", res.query);
	xr_sigv4_result_free(&res);
	if (oom || xr_buf_err(&url)) {
		curl_slist_free_all(h);
		xr_buf_free(&url);
		return XR_ENOMEM;
	}
	struct xr_http_req req = {
		.method = c->method,
		.url = url.p,
		.headers = h,
		.body = c->body,
		.body_len = c->body_len,
		.timeout_ms = timeout_ms,
		.max_body = c->max_resp,
	};
	rc = xr_http_do(a->curl, &req, resp);
	curl_slist_free_all(h);
	xr_buf_free(&url);
	return rc;
}

int xr_aws_call(struct xr_aws *a, const struct xr_aws_call *c,
		struct xr_http_resp *resp, char *err, size_t errlen)
{
	const char *what = c->what ? c->what : "";
	const char *sp = c->what ? " " : "";
	uint64_t deadline =
		xr_aws_mono_ms() + a->policy.deadline_ms + c->extra_ms;
	int cut = 0; /* the caller's deadline (until_ms) comes first */
	if (a->until_ms != 0 && a->until_ms < deadline) {
		deadline = a->until_ms;
		cut = 1;
	}
	char code[128] = "", msg[256] = "", why[512] = "";
	const char *hint = "";
	long status = 0;
	int last = 0, refreshed = 0;
	unsigned n;
	a->calls++;
	xr_http_resp_init(resp);
	for (n = 0; n < a->policy.max_attempts; n++) {
		struct xr_aws_creds cr;
		char cerr[400];
		int rc = xr_aws_creds_get(&a->creds, time(NULL), &cr, cerr,
					  sizeof(cerr));
		if (rc != 0) {
			xr_why(err, errlen, XR_OK, "%s %s%s%s: %s",
			       c->ep->service, c->op, sp, what, cerr);
			return rc;
		}
		uint64_t now = xr_aws_mono_ms();
		if (now >= deadline) {
			last = XR_ETIMEDOUT;
			if (cut && why[0] == '\0')
				snprintf(
					why, sizeof(why), "%s",
					"no time left before the caller's deadline");
			break;
		}
		long left = (long)(deadline - now);
		long tmo = (long)(a->policy.attempt_ms + c->extra_ms);
		a->attempts++;
		rc = attempt(a, c, &cr, tmo < left ? tmo : left, resp, why,
			     sizeof(why));
		memset(&cr, 0, sizeof(cr));
		enum xr_aws_verdict v;
		if (rc == XR_ENET || rc == XR_ETIMEDOUT) {
			status = 0;
			code[0] = '\0';
			snprintf(why, sizeof(why), "%s", resp->curl_err);
			last = rc;
			v = XR_AWS_RETRY;
		} else if (rc != 0) {
			if (rc == XR_ETOOBIG)
				snprintf(why, sizeof(why), "%s",
					 resp->curl_err);
			xr_why(err, errlen, XR_OK, "%s %s%s%s: %s",
			       c->ep->service, c->op, sp, what,
			       why[0] ? why : xr_strerror(rc));
			xr_http_resp_free(resp);
			return rc;
		} else if (resp->status >= 200 && resp->status < 300) {
			return 0;
		} else {
			status = resp->status;
			xr_aws_error_code(resp, code, sizeof(code), msg,
					  sizeof(msg));
			v = xr_aws_classify(status, code);
			last = not_found(status, code) ? XR_ENOTFOUND
						       : XR_ECLOUD;
			if (v == XR_AWS_REFRESH &&
			    (a->creds.from_env || refreshed)) {
				/* nothing new to fetch, or fetched already */
				v = XR_AWS_FAIL;
				hint = a->creds.from_env
					       ? " (the credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
						 "/AWS_SESSION_TOKEN were refused; not retried)"
					       : " (refused again with fresh instance credentials; not retried)";
			} else if (v == XR_AWS_REFRESH) {
				refreshed = 1;
				xr_aws_creds_invalidate(&a->creds);
			}
			if (clock_skew(code, msg)) {
				v = XR_AWS_FAIL;
				hint = " (this machine's clock is more than 5 minutes off AWS's: "
				       "set it right, e.g. with NTP, timedatectl set-ntp true)";
			}
		}
		if (v == XR_AWS_FAIL) {
			n++;
			break;
		}
		if (n + 1 >= a->policy.max_attempts) {
			n++;
			break;
		}
		unsigned pause = xr_aws_backoff_ms(n, a->policy.base_ms,
						   a->policy.cap_ms, &a->rng);
		if (xr_aws_mono_ms() + pause >= deadline) {
			n++;
			last = status ? last : XR_ETIMEDOUT;
			if (cut)
				snprintf(msg + strlen(msg),
					 sizeof(msg) - strlen(msg),
					 "%sthe caller's deadline comes first",
					 msg[0] ? "; " : "");
			else
				snprintf(msg + strlen(msg),
					 sizeof(msg) - strlen(msg),
					 "%sdeadline of %u ms reached",
					 msg[0] ? "; " : "",
					 a->policy.deadline_ms + c->extra_ms);
			break;
		}
		a->retries++;
		xr_aws_sleep_ms(pause);
	}
	if (status != 0)
		xr_why(err, errlen, XR_OK,
		       "%s %s%s%s: HTTP %ld: %s%s%s (after %u attempt%s)%s",
		       c->ep->service, c->op, sp, what, status,
		       code[0] ? code : "no error code", msg[0] ? ": " : "",
		       msg, n, n == 1 ? "" : "s", hint);
	else
		xr_why(err, errlen, XR_OK,
		       "%s %s%s%s: %s: %s%s%s (after %u attempt%s)",
		       c->ep->service, c->op, sp, what,
		       last == XR_ETIMEDOUT ? "timed out" : "network error",
		       why[0] ? why : "no response", msg[0] ? "; " : "", msg, n,
		       n == 1 ? "" : "s");
	xr_http_resp_free(resp);
	return last ? last : XR_ECLOUD;
}
