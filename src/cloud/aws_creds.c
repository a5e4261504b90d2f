/* Credentials from the environment, then IMDSv2; see aws_creds.h. */
#include "aws_creds.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws_http.h"
#include "aws_buf.h"
#include "err.h"

#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_TOKEN_TTL "21600"

static int copy(char *dst, size_t n, const char *src)
{
	size_t l = strlen(src);
	if (l >= n)
		return XR_ERANGE;
	memcpy(dst, src, l + 1);
	return 0;
}

int xr_aws_credsrc_init(struct xr_aws_credsrc *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->imds_timeout_ms = 2000;
	const char *ak = getenv("AWS_ACCESS_KEY_ID");
	const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = getenv("AWS_SESSION_TOKEN");
	if (ak && ak[0] && sk && sk[0]) {
		if (copy(s->cur.access_key, sizeof(s->cur.access_key), ak) ||
		    copy(s->cur.secret_key, sizeof(s->cur.secret_key), sk) ||
		    copy(s->cur.token, sizeof(s->cur.token), tok ? tok : "")) {
			xr_why(err, errlen, XR_OK,
			       "aws credentials: AWS_ACCESS_KEY_ID, "
			       "AWS_SECRET_ACCESS_KEY or AWS_SESSION_TOKEN "
			       "too long");
			return XR_ECONFIG;
		}
		s->have = 1;
		s->from_env = 1;
	}
	const char *dis = getenv("AWS_EC2_METADATA_DISABLED");
	s->imds_disabled = dis && strcasecmp(dis, "true") == 0;
	const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if (ep == NULL || ep[0] == '\0')
		ep = IMDS_DEFAULT;
	size_t l = strlen(ep);
	while (l > 0 && ep[l - 1] == '/')
		l--;
	if (l >= sizeof(s->imds) || (strncmp(ep, "http://", 7) != 0 &&
				     strncmp(ep, "https://", 8) != 0)) {
		xr_why(err, errlen, XR_OK,
		       "aws credentials: AWS_EC2_METADATA_SERVICE_ENDPOINT "
		       "must be an http(s) URL");
		return XR_ECONFIG;
	}
	memcpy(s->imds, ep, l);
	s->imds[l] = '\0';
	return 0;
}

void xr_aws_credsrc_free(struct xr_aws_credsrc *s)
{
	if (s->curl)
		curl_easy_cleanup(s->curl);
	/* leave no secret behind in freed memory */
	memset(s, 0, sizeof(*s));
}

void xr_aws_creds_invalidate(struct xr_aws_credsrc *s)
{
	if (!s->from_env)
		s->have = 0;
}

static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

int xr_aws_parse_iso8601(const char *s, time_t *out)
{
	int Y, M, D, h, m, sec, used = 0;
	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h,
				&m, &sec, &used) != 6)
		return -1;
	const char *rest = s + used;
	if (*rest == '.') /* fractional seconds */
		while (*++rest >= '0' && *rest <= '9')
			;
	if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0)
		return -1;
	if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 ||
	    m > 59 || sec > 60 || h < 0 || m < 0 || sec < 0)
		return -1;
	*out = (time_t)(days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400L +
			h * 3600L + m * 60L + sec);
	return 0;
}

/* One IMDS request; 0 with resp filled on HTTP 200. */
static int imds_call(struct xr_aws_credsrc *s, const char *method,
		     const char *path, const char *hdr, struct xr_http_resp *r,
		     char *err, size_t errlen)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", s->imds, path);
	struct curl_slist *h = curl_slist_append(NULL, hdr);
	if (h == NULL)
		return XR_ENOMEM;
	struct xr_http_req req = {.method = method,
				  .url = url,
				  .headers = h,
				  .timeout_ms = s->imds_timeout_ms,
				  .max_body = 64 * 1024};
	int rc = XR_ENET;
	/* IMDS is local and quick: two tries, a short pause between. */
	for (int attempt = 0; attempt < 2; attempt++) {
		rc = xr_http_do(s->curl, &req, r);
		if (rc == 0 && r->status < 500)
			break;
		if (attempt == 0)
			xr_aws_sleep_ms(100);
	}
	curl_slist_free_all(h);
	if (rc != 0) {
		xr_why(err, errlen, XR_OK, "imds %s %s: %s", method, path,
		       r->curl_err[0] ? r->curl_err : xr_strerror(rc));
		return rc == XR_ETOOBIG ? XR_ECLOUD : XR_ENET;
	}
	if (r->status != 200) {
		xr_why(err, errlen, XR_OK, "imds %s %s: HTTP %ld", method, path,
		       r->status);
		return XR_ECLOUD;
	}
	return 0;
}

static int fetch_imds(struct xr_aws_credsrc *s, char *err, size_t errlen)
{
	if (s->curl == NULL && (s->curl = curl_easy_init()) == NULL)
		return XR_ENOMEM;
	struct xr_http_resp r;
	xr_http_resp_init(&r);
	char token[512], role[256], hdr[600], path[512];
	int rc = imds_call(
		s, "PUT", "/latest/api/token",
		"X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL, &r,
		err, errlen);
	if (rc != 0)
		goto out;
	size_t tl = strcspn(r.body.p, "\r\n");
	if (tl == 0 || tl >= sizeof(token)) {
		xr_why(err, errlen, XR_OK,
		       "imds PUT /latest/api/token: bad token");
		rc = XR_ECLOUD;
		goto out;
	}
	memcpy(token, r.body.p, tl);
	token[tl] = '\0';
	snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s", token);
	rc = imds_call(s, "GET", "/latest/meta-data/iam/security-credentials/",
		       hdr, &r, err, errlen);
	if (rc != 0)
		goto out;
	size_t rl = strcspn(r.body.p, "\r\n");
	if (rl == 0 || rl >= sizeof(role) ||
	    strspn(r.body.p,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789+=,.@_-") < rl) {
		xr_why(err, errlen, XR_OK,
		       "imds: no valid IAM role attached to this instance");
		rc = XR_ECONFIG;
		goto out;
	}
	memcpy(role, r.body.p, rl);
	role[rl] = '\0';
	snprintf(path, sizeof(path),
		 "/latest/meta-data/iam/security-credentials/%s", role);
	rc = imds_call(s, "GET", path, hdr, &r, err, errlen);
	if (rc != 0)
		goto out;
	cJSON *j = cJSON_ParseWithLength(r.body.p, r.body.len);
	const char *code = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(j, "Code"));
	const char *ak = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(j, "AccessKeyId"));
	const char *sk = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(j, "SecretAccessKey"));
	const char *tk = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(j, "Token"));
	const char *ex = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(j, "Expiration"));
	struct xr_aws_creds c;
	memset(&c, 0, sizeof(c));
	if (j == NULL || (code && strcmp(code, "Success") != 0) || !ak || !sk ||
	    !tk || !ex || !ak[0] || !sk[0] ||
	    copy(c.access_key, sizeof(c.access_key), ak) ||
	    copy(c.secret_key, sizeof(c.secret_key), sk) ||
	    copy(c.token, sizeof(c.token), tk) ||
	    xr_aws_parse_iso8601(ex, &c.expires) != 0) {
		xr_why(err, errlen, XR_OK,
		       "imds GET %s: malformed role credentials (Code %s)",
		       path, code ? code : "missing");
		rc = XR_ECLOUD;
	} else {
		s->cur = c;
		s->have = 1;
	}
	cJSON_Delete(j);
	memset(&c, 0, sizeof(c));
out:
	xr_http_resp_free(&r);
	return rc;
}

int xr_aws_creds_get(struct xr_aws_credsrc *s, time_t now,
		     struct xr_aws_creds *out, char *err, size_t errlen)
{
	if (s->have &&
	    (s->from_env || s->cur.expires - now > XR_CREDS_REFRESH_S)) {
		*out = s->cur;
		return 0;
	}
	if (s->imds_disabled) {
		xr_why(err, errlen, XR_OK,
		       "aws credentials: none in the environment "
		       "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and "
		       "instance metadata is disabled");
		return XR_ECONFIG;
	}
	char ierr[256];
	int rc = fetch_imds(s, ierr, sizeof(ierr));
	if (rc == 0 && s->cur.expires <= now) {
		snprintf(ierr, sizeof(ierr),
			 "imds: role credentials already expired");
		s->have = 0;
		rc = XR_ECLOUD;
	}
	if (rc != 0) {
		if (s->have && s->cur.expires > now) {
			*out = s->cur; /* refresh failed, old ones still good */
			return 0;
		}
		xr_why(err, errlen, XR_OK,
		       "aws credentials: none in the environment and %s", ierr);
		return rc;
	}
	*out = s->cur;
	return 0;
}
