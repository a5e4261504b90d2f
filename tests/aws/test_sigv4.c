/* Runs every case of an AWS SigV4 test suite folder (the aws-c-auth layout:
 * context.json, request.txt, header-*.txt, query-*.txt) through the signer
 * and compares the canonical request, the string to sign, the signature and
 * the Authorization header with the expected files.
 *
 * Suite: $XROAD_SIGV4_SUITE when set, else tests/aws/sigv4-suite (a copy of
 * shared/sigv4). Case folders are found recursively, so either the suite's
 * root or its v4/ folder can be given. Prints "sigv4: N cases, F failed". */
#include <cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sigv4.h"

#define MAX_CASES 1024

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf == NULL)
		return NULL;
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static int parse_time(const char *s, time_t *t)
{
	int Y, M, D, h, m, sec;
	if (s == NULL ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &Y, &M, &D, &h, &m, &sec) != 6)
		return -1;
	*t = (time_t)(days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400L +
		      h * 3600L + m * 60L + sec);
	return 0;
}

struct parsed {
	char method[16];
	char *path;
	char *query;
	struct xr_sigv4_header h[64];
	size_t nh;
	char *body;
	size_t body_len;
	char *store; /* the copy of request.txt the pointers point into */
};

/* request.txt: "METHOD target HTTP/1.1", header lines (a line starting with
 * whitespace continues the previous value), an empty line, the body. */
static int parse_request(char *txt, size_t len, struct parsed *r)
{
	memset(r, 0, sizeof(*r));
	r->store = txt;
	char *eol = strchr(txt, '\n');
	if (eol == NULL)
		eol = txt + len;
	char *sp = memchr(txt, ' ', (size_t)(eol - txt));
	if (sp == NULL || (size_t)(sp - txt) >= sizeof(r->method))
		return -1;
	memcpy(r->method, txt, (size_t)(sp - txt));
	char *proto = NULL;
	for (char *p = eol - 1; p > sp; p--)
		if (*p == ' ') {
			proto = p;
			break;
		}
	if (proto == NULL)
		return -1;
	*proto = '\0';
	r->path = sp + 1;
	char *q = strchr(r->path, '?');
	if (q) {
		*q = '\0';
		r->query = q + 1;
	}
	char *line = *eol ? eol + 1 : eol;
	char *end = txt + len;
	while (line < end) {
		char *nl = strchr(line, '\n');
		char *next = nl ? nl + 1 : end;
		if (nl)
			*nl = '\0';
		if (line[0] == '\0') {
			r->body = next;
			r->body_len = (size_t)(end - next);
			return 0;
		}
		if ((line[0] == ' ' || line[0] == '\t') && r->nh > 0) {
			/* folded value: join; the signer collapses whitespace */
			line[-1] = ' ';
		} else {
			char *colon = strchr(line, ':');
			if (colon == NULL || r->nh == 64)
				return -1;
			*colon = '\0';
			r->h[r->nh].name = line;
			r->h[r->nh].value = colon + 1;
			r->nh++;
		}
		line = next;
	}
	r->body = end;
	return 0;
}

static int expect(const char *name, const char *dir, const char *file,
		  const char *got)
{
	char *want = slurp(dir, file, NULL);
	if (want == NULL)
		return 0; /* this case does not check that form */
	chomp(want);
	int bad = got == NULL || strcmp(want, got) != 0;
	if (bad)
		fprintf(stderr, "sigv4 %s: %s differs\n--- want\n%s\n--- got\n%s\n",
			name, file, want, got ? got : "(null)");
	free(want);
	return bad;
}

static int auth_line(const char *dir, char *out, size_t n)
{
	char *txt = slurp(dir, "header-signed-request.txt", NULL);
	if (txt == NULL)
		return -1;
	const char *a = strstr(txt, "\nAuthorization:");
	int rc = -1;
	if (a) {
		a += strlen("\nAuthorization:");
		size_t l = strcspn(a, "\r\n");
		if (l < n) {
			memcpy(out, a, l);
			out[l] = '\0';
			rc = 0;
		}
	}
	free(txt);
	return rc;
}

static int run_case(const char *dir, const char *name)
{
	size_t len;
	char *ctx_txt = slurp(dir, "context.json", NULL);
	char *req_txt = slurp(dir, "request.txt", &len);
	int bad = 0;
	cJSON *ctx = ctx_txt ? cJSON_Parse(ctx_txt) : NULL;
	struct parsed r;
	if (ctx == NULL || req_txt == NULL || parse_request(req_txt, len, &r)) {
		fprintf(stderr, "sigv4 %s: cannot read context.json/request.txt\n",
			name);
		bad = 1;
		goto out;
	}
	const cJSON *cr = cJSON_GetObjectItemCaseSensitive(ctx, "credentials");
	struct xr_sigv4_creds creds = {
		.access_key = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(cr, "access_key_id")),
		.secret_key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cr, "secret_access_key")),
		.token = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(cr, "token")),
	};
	struct xr_sigv4_params p = {
		.region = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(ctx, "region")),
		.service = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(ctx, "service")),
		.normalize = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(ctx, "normalize")),
		.sign_body = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(ctx, "sign_body")),
		.omit_token = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			ctx, "omit_session_token")),
		.double_encode = 0, /* the suite's paths are raw: encoded once */
	};
	const cJSON *exp =
		cJSON_GetObjectItemCaseSensitive(ctx, "expiration_in_seconds");
	p.expires = cJSON_IsNumber(exp) ? (unsigned)exp->valuedouble : 3600;
	if (parse_time(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			       ctx, "timestamp")),
		       &p.now)) {
		fprintf(stderr, "sigv4 %s: bad timestamp\n", name);
		bad = 1;
		goto out;
	}
	struct xr_sigv4_request req = {
		.method = r.method,
		.path = r.path,
		.query = r.query,
		.headers = r.h,
		.n_headers = r.nh,
		.body = r.body,
		.body_len = r.body_len,
	};
	for (int presign = 0; presign <= 1; presign++) {
		struct xr_sigv4_result res;
		p.presign = presign;
		const char *pre = presign ? "query-" : "header-";
		char f1[64], f2[64], f3[64];
		snprintf(f1, sizeof(f1), "%scanonical-request.txt", pre);
		snprintf(f2, sizeof(f2), "%sstring-to-sign.txt", pre);
		snprintf(f3, sizeof(f3), "%ssignature.txt", pre);
		int rc = xr_sigv4_sign(&req, &creds, &p, &res);
		if (rc != 0) {
			fprintf(stderr, "sigv4 %s: %s signing failed: %d\n", name,
				pre, rc);
			bad = 1;
			continue;
		}
		bad |= expect(name, dir, f1, res.canonical_request);
		bad |= expect(name, dir, f2, res.string_to_sign);
		bad |= expect(name, dir, f3, res.signature);
		char want[2048];
		if (!presign && auth_line(dir, want, sizeof(want)) == 0 &&
		    strcmp(want, res.authorization) != 0) {
			fprintf(stderr, "sigv4 %s: Authorization differs:\n%s\n%s\n",
				name, want, res.authorization);
			bad = 1;
		}
		xr_sigv4_result_free(&res);
	}
out:
	cJSON_Delete(ctx);
	free(ctx_txt);
	free(req_txt);
	return bad;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects case folders (those holding context.json) under dir. */
static void find_cases(const char *dir, int depth, char **cases, size_t *n)
{
	char probe[4096];
	struct stat st;
	snprintf(probe, sizeof(probe), "%s/context.json", dir);
	if (stat(probe, &st) == 0) {
		if (*n < MAX_CASES)
			cases[(*n)++] = strdup(dir);
		return;
	}
	if (depth == 0)
		return;
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			find_cases(sub, depth - 1, cases, n);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	char dflt[4096];
	const char *suite = getenv("XROAD_SIGV4_SUITE");
	if (argc > 1)
		suite = argv[1];
	if (suite == NULL || suite[0] == '\0') {
		const char *src = getenv("XROAD_SOURCE_DIR");
		snprintf(dflt, sizeof(dflt), "%s/tests/aws/sigv4-suite",
			 src ? src : ".");
		suite = dflt;
	}
	static char *cases[MAX_CASES];
	size_t n = 0, failed = 0;
	find_cases(suite, 3, cases, &n);
	qsort(cases, n, sizeof(cases[0]), cmpstr);
	for (size_t i = 0; i < n; i++) {
		const char *name = strrchr(cases[i], '/');
		name = name ? name + 1 : cases[i];
		if (run_case(cases[i], name)) {
			failed++;
			fprintf(stderr, "sigv4 %s: FAIL\n", name);
		}
		free(cases[i]);
	}
	printf("sigv4: %zu cases, %zu failed\n", n, failed);
	if (n == 0) {
		fprintf(stderr, "sigv4: no cases found under %s\n", suite);
		return 1;
	}
	return failed > 0;
}
