/* AWS Signature Version 4: canonical request, string to sign, signing key,
 * signature; header and presigned-query forms. See sigv4.h.
 *
 * "CanonicalRequest = HTTPRequestMethod + '\n' + CanonicalURI + '\n' +
 *  CanonicalQueryString + '\n' + CanonicalHeaders + '\n' +
 *  SignedHeaders + '\n' + HexEncode(Hash(RequestPayload))"
 * (AWS General Reference, "Create a canonical request for Signature
 * Version 4"). */
#include "sigv4.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "aws_buf.h"
#include "err.h"

#define SIGV4_MAX (16u * 1024 * 1024) /* bound on any string we build */
#define SIGV4_MAX_HEADERS 64
#define SIGV4_MAX_PARAMS 128

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[d[i] >> 4];
		out[2 * i + 1] = hexdig[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void xr_sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(data ? data : (const void *)"", len, md);
	to_hex(md, sizeof(md), out);
}

static int hmac(const void *key, size_t klen, const void *msg, size_t mlen,
		unsigned char out[32])
{
	unsigned int olen = 32;
	if (HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &olen) == NULL)
		return XR_ENOMEM;
	return 0;
}

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '~';
}

static int uri_encode_into(struct xr_buf *b, const char *s, size_t len,
			   int keep_slash)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			xr_buf_addc(b, (char)c);
		} else {
			char e[3] = {'%', "0123456789ABCDEF"[c >> 4],
				     "0123456789ABCDEF"[c & 15]};
			xr_buf_add(b, e, 3);
		}
	}
	return xr_buf_err(b);
}

char *xr_sigv4_uri_encode(const char *s, size_t len, int keep_slash)
{
	struct xr_buf b;
	xr_buf_init(&b, SIGV4_MAX);
	uri_encode_into(&b, s, len, keep_slash);
	return xr_buf_take(&b);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..len) into b; XR_EINVAL on a broken escape. */
static int uri_decode_into(struct xr_buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			xr_buf_addc(b, s[i]);
			continue;
		}
		if (i + 2 >= len)
			return XR_EINVAL;
		int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
		if (h < 0 || l < 0)
			return XR_EINVAL;
		xr_buf_addc(b, (char)(h * 16 + l));
		i += 2;
	}
	return xr_buf_err(b);
}

/* ---------------------------------------------------------------- path */

/* Removes "." and ".." segments and empty segments (RFC 3986 5.2.4 as the
 * suite applies it), keeping a trailing slash. */
static int normalize_path(const char *in, struct xr_buf *out)
{
	size_t len = strlen(in);
	const char *seg[256];
	size_t seglen[256];
	size_t n = 0;
	size_t i = 0;
	int trailing = 0;
	while (i < len) {
		while (i < len && in[i] == '/')
			i++;
		size_t st = i;
		while (i < len && in[i] != '/')
			i++;
		size_t sl = i - st;
		trailing = (i == len && sl == 0) ||
			   (sl == 1 && in[st] == '.') ||
			   (sl == 2 && in[st] == '.' && in[st + 1] == '.');
		if (sl == 0 || (sl == 1 && in[st] == '.'))
			continue;
		if (sl == 2 && in[st] == '.' && in[st + 1] == '.') {
			if (n > 0)
				n--;
			continue;
		}
		if (n == 256)
			return XR_EINVAL;
		seg[n] = in + st;
		seglen[n] = sl;
		n++;
	}
	xr_buf_addc(out, '/');
	for (size_t k = 0; k < n; k++) {
		xr_buf_add(out, seg[k], seglen[k]);
		if (k + 1 < n || trailing)
			xr_buf_addc(out, '/');
	}
	return xr_buf_err(out);
}

/* Returns the path to send (normalized if asked, encoded once); *canon gets
 * the path as the canonical request wants it (encoded twice when
 * double_encode). */
static char *canonical_path(const char *path, const struct xr_sigv4_params *p,
			    char **canon, int *rc)
{
	struct xr_buf norm, enc;
	xr_buf_init(&norm, SIGV4_MAX);
	xr_buf_init(&enc, SIGV4_MAX);
	*canon = NULL;
	if (path == NULL || path[0] != '/') {
		*rc = XR_EINVAL;
		return NULL;
	}
	if (p->normalize)
		*rc = normalize_path(path, &norm);
	else
		*rc = xr_buf_adds(&norm, path);
	if (*rc == 0)
		*rc = uri_encode_into(&enc, norm.p, norm.len, 1);
	xr_buf_free(&norm);
	char *once = *rc == 0 ? xr_buf_take(&enc) : NULL;
	xr_buf_free(&enc);
	if (once == NULL) {
		if (*rc == 0)
			*rc = XR_ENOMEM;
		return NULL;
	}
	*canon = p->double_encode ? xr_sigv4_uri_encode(once, strlen(once), 1)
				  : strdup(once);
	if (*canon == NULL) {
		free(once);
		*rc = XR_ENOMEM;
		return NULL;
	}
	return once;
}

/* ---------------------------------------------------------------- query */

struct param {
	char *key; /* encoded */
	char *val; /* encoded */
};

static int param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c != 0 ? c : strcmp(x->val, y->val);
}

static char *encode_component(const char *s, size_t len, int decode_first,
			      int *rc)
{
	struct xr_buf dec, enc;
	xr_buf_init(&dec, SIGV4_MAX);
	xr_buf_init(&enc, SIGV4_MAX);
	if (decode_first) {
		*rc = uri_decode_into(&dec, s, len);
		if (*rc == 0)
			xr_buf_add(&dec, "", 0);
		if (*rc == 0)
			*rc = xr_buf_err(&dec);
		if (*rc != 0) {
			xr_buf_free(&dec);
			return NULL;
		}
		s = dec.p;
		len = dec.len;
	}
	*rc = uri_encode_into(&enc, s, len, 0);
	xr_buf_free(&dec);
	if (*rc != 0) {
		xr_buf_free(&enc);
		return NULL;
	}
	char *r = xr_buf_take(&enc);
	if (r == NULL)
		*rc = XR_ENOMEM;
	return r;
}

static int add_param(struct param *ps, size_t *n, const char *k, size_t kl,
		     const char *v, size_t vl, int decode_first)
{
	int rc = 0;
	if (*n == SIGV4_MAX_PARAMS)
		return XR_EINVAL;
	ps[*n].key = encode_component(k, kl, decode_first, &rc);
	if (rc != 0)
		return rc;
	ps[*n].val = encode_component(v, vl, decode_first, &rc);
	if (rc != 0) {
		free(ps[*n].key);
		return rc;
	}
	(*n)++;
	return 0;
}

static int parse_query(const char *q, struct param *ps, size_t *n)
{
	if (q == NULL)
		return 0;
	const char *s = q;
	while (*s != '\0') {
		const char *amp = strchr(s, '&');
		size_t len = amp ? (size_t)(amp - s) : strlen(s);
		if (len > 0) {
			const char *eq = memchr(s, '=', len);
			size_t kl = eq ? (size_t)(eq - s) : len;
			const char *v = eq ? eq + 1 : s + len;
			size_t vl = eq ? len - kl - 1 : 0;
			int rc = add_param(ps, n, s, kl, v, vl, 1);
			if (rc != 0)
				return rc;
		}
		s += len;
		if (*s == '&')
			s++;
	}
	return 0;
}

static void free_params(struct param *ps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ps[i].key);
		free(ps[i].val);
	}
}

/* ---------------------------------------------------------------- headers */

struct hdr {
	char *name; /* lower case */
	struct xr_buf val;
};

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* Appends value trimmed, inner whitespace runs (newlines of folded lines
 * included) collapsed to one space. */
static void add_trimmed(struct xr_buf *b, const char *v)
{
	int pending = 0, any = 0;
	for (const char *s = v; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			pending = any;
			continue;
		}
		if (pending)
			xr_buf_addc(b, ' ');
		pending = 0;
		any = 1;
		xr_buf_addc(b, *s);
	}
}

static int add_header(struct hdr *hs, size_t *n, const char *name,
		      const char *value)
{
	size_t nl = strlen(name);
	char lower[128];
	if (nl == 0 || nl >= sizeof(lower))
		return XR_EINVAL;
	for (size_t i = 0; i <= nl; i++) {
		char c = name[i];
		lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(hs[i].name, lower) == 0) {
			xr_buf_addc(&hs[i].val, ',');
			add_trimmed(&hs[i].val, value);
			return xr_buf_err(&hs[i].val);
		}
	}
	if (*n == SIGV4_MAX_HEADERS)
		return XR_EINVAL;
	hs[*n].name = strdup(lower);
	if (hs[*n].name == NULL)
		return XR_ENOMEM;
	xr_buf_init(&hs[*n].val, SIGV4_MAX);
	xr_buf_add(&hs[*n].val, "", 0);
	add_trimmed(&hs[*n].val, value);
	(*n)++;
	return xr_buf_err(&hs[*n - 1].val);
}

static void free_headers(struct hdr *hs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(hs[i].name);
		xr_buf_free(&hs[i].val);
	}
}

/* ---------------------------------------------------------------- sign */

void xr_sigv4_result_free(struct xr_sigv4_result *res)
{
	free(res->canonical_request);
	free(res->string_to_sign);
	free(res->authorization);
	free(res->canonical_path);
	free(res->query);
	res->canonical_request = res->string_to_sign = NULL;
	res->authorization = res->canonical_path = res->query = NULL;
}

static int signing_key(const char *secret, const char *date, const char *region,
		       const char *service, unsigned char key[32])
{
	char k0[256];
	int n = snprintf(k0, sizeof(k0), "AWS4%s", secret);
	if (n < 0 || (size_t)n >= sizeof(k0))
		return XR_EINVAL;
	int rc = hmac(k0, (size_t)n, date, strlen(date), key);
	if (rc == 0)
		rc = hmac(key, 32, region, strlen(region), key);
	if (rc == 0)
		rc = hmac(key, 32, service, strlen(service), key);
	if (rc == 0)
		rc = hmac(key, 32, "aws4_request", 12, key);
	return rc;
}

static int valid_token(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strlen(s) < max &&
	       strpbrk(s, "\r\n/ ") == NULL;
}

int xr_sigv4_sign(const struct xr_sigv4_request *req,
		  const struct xr_sigv4_creds *creds,
		  const struct xr_sigv4_params *p, struct xr_sigv4_result *res)
{
	memset(res, 0, sizeof(*res));
	if (req == NULL || creds == NULL || p == NULL || req->method == NULL ||
	    creds->access_key == NULL || creds->secret_key == NULL ||
	    !valid_token(creds->access_key, 128) ||
	    strlen(creds->secret_key) >= 200 || !valid_token(p->region, 64) ||
	    !valid_token(p->service, 64) ||
	    (req->body == NULL && req->body_len))
		return XR_EINVAL;

	struct tm tm;
	time_t now = p->now;
	if (gmtime_r(&now, &tm) == NULL)
		return XR_EINVAL;
	char date[9];
	strftime(res->amz_date, sizeof(res->amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(date, res->amz_date, 8);
	date[8] = '\0';
	xr_sigv4_sha256_hex(req->body, req->body_len, res->payload_hash);
	const char *token =
		creds->token && creds->token[0] ? creds->token : NULL;

	struct hdr hs[SIGV4_MAX_HEADERS];
	struct param ps[SIGV4_MAX_PARAMS + 8];
	size_t nh = 0, np = 0;
	struct xr_buf b;
	xr_buf_init(&b, SIGV4_MAX);
	char scope[256];
	int rc = 0;
	int n = snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date,
			 p->region, p->service);
	if (n < 0 || (size_t)n >= sizeof(scope))
		return XR_EINVAL;

	for (size_t i = 0; i < req->n_headers && rc == 0; i++) {
		if (req->headers[i].name == NULL ||
		    req->headers[i].value == NULL)
			rc = XR_EINVAL;
		else
			rc = add_header(hs, &nh, req->headers[i].name,
					req->headers[i].value);
	}
	if (rc == 0 && !p->presign) {
		rc = add_header(hs, &nh, "x-amz-date", res->amz_date);
		if (rc == 0 && p->sign_body)
			rc = add_header(hs, &nh, "x-amz-content-sha256",
					res->payload_hash);
		if (rc == 0 && token && !p->omit_token)
			rc = add_header(hs, &nh, "x-amz-security-token", token);
	}
	if (rc != 0)
		goto out;
	qsort(hs, nh, sizeof(hs[0]), hdr_cmp);
	int have_host = 0;
	for (size_t i = 0; i < nh; i++)
		have_host |= strcmp(hs[i].name, "host") == 0;
	if (!have_host) {
		rc = XR_EINVAL;
		goto out;
	}

	struct xr_buf signed_h;
	xr_buf_init(&signed_h, SIGV4_MAX);
	for (size_t i = 0; i < nh; i++) {
		if (i > 0)
			xr_buf_addc(&signed_h, ';');
		xr_buf_adds(&signed_h, hs[i].name);
	}
	char *signed_headers = xr_buf_take(&signed_h);
	if (signed_headers == NULL) {
		rc = XR_ENOMEM;
		goto out;
	}

	rc = parse_query(req->query, ps, &np);
	if (rc == 0 && p->presign) {
		char cred[512], exp[24];
		snprintf(cred, sizeof(cred), "%s/%s", creds->access_key, scope);
		snprintf(exp, sizeof(exp), "%u", p->expires);
		const char *kv[][2] = {
			{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
			{"X-Amz-Credential", cred},
			{"X-Amz-Date", res->amz_date},
			{"X-Amz-Expires", exp},
			{"X-Amz-SignedHeaders", signed_headers},
			{"X-Amz-Security-Token",
			 token && !p->omit_token ? token : NULL},
		};
		for (size_t i = 0; i < 6 && rc == 0; i++)
			if (kv[i][1] != NULL)
				rc = add_param(ps, &np, kv[i][0],
					       strlen(kv[i][0]), kv[i][1],
					       strlen(kv[i][1]), 0);
	}
	if (rc != 0) {
		free(signed_headers);
		goto out;
	}
	qsort(ps, np, sizeof(ps[0]), param_cmp);
	struct xr_buf q;
	xr_buf_init(&q, SIGV4_MAX);
	xr_buf_add(&q, "", 0);
	for (size_t i = 0; i < np; i++)
		xr_buf_addf(&q, "%s%s=%s", i ? "&" : "", ps[i].key, ps[i].val);
	char *canon = NULL;
	res->canonical_path = canonical_path(req->path, p, &canon, &rc);
	if (rc == 0)
		rc = xr_buf_err(&q);
	if (rc != 0) {
		free(canon);
		xr_buf_free(&q);
		free(signed_headers);
		goto out;
	}

	xr_buf_addf(&b, "%s\n%s\n%s\n", req->method, canon, q.p);
	free(canon);
	for (size_t i = 0; i < nh; i++)
		xr_buf_addf(&b, "%s:%s\n", hs[i].name, hs[i].val.p);
	xr_buf_addf(&b, "\n%s\n%s", signed_headers, res->payload_hash);
	res->canonical_request = xr_buf_take(&b);
	if (res->canonical_request == NULL) {
		rc = XR_ENOMEM;
		xr_buf_free(&q);
		free(signed_headers);
		goto out;
	}

	char creq_hash[65];
	xr_sigv4_sha256_hex(res->canonical_request,
			    strlen(res->canonical_request), creq_hash);
	xr_buf_addf(&b, "AWS4-HMAC-SHA256\n%s\n%s\n%s", res->amz_date, scope,
		    creq_hash);
	res->string_to_sign = xr_buf_take(&b);
	unsigned char key[32], sig[32];
	rc = res->string_to_sign ? 0 : XR_ENOMEM;
	if (rc == 0)
		rc = signing_key(creds->secret_key, date, p->region, p->service,
				 key);
	if (rc == 0)
		rc = hmac(key, 32, res->string_to_sign,
			  strlen(res->string_to_sign), sig);
	if (rc == 0) {
		to_hex(sig, 32, res->signature);
		if (p->presign) {
			xr_buf_addf(&q, "%sX-Amz-Signature=%s", np ? "&" : "",
				    res->signature);
		} else {
			xr_buf_addf(&b,
				    "AWS4-HMAC-SHA256 Credential=%s/%s, "
				    "SignedHeaders=%s, Signature=%s",
				    creds->access_key, scope, signed_headers,
				    res->signature);
			res->authorization = xr_buf_take(&b);
			if (res->authorization == NULL)
				rc = XR_ENOMEM;
		}
	}
	if (rc == 0) {
		res->query = xr_buf_take(&q);
		if (res->query == NULL)
			rc = XR_ENOMEM;
	}
	xr_buf_free(&q);
	free(signed_headers);
out:
	xr_buf_free(&b);
	free_headers(hs, nh);
	free_params(ps, np);
	if (rc != 0)
		xr_sigv4_result_free(res);
	return rc;
}
