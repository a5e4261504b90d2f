/* AWS credentials: the environment first (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: what Lambda gives a function),
 * then the EC2 instance metadata service, version 2 only:
 *   PUT  /latest/api/token  (X-aws-ec2-metadata-token-ttl-seconds)
 *   GET  /latest/meta-data/iam/security-credentials/        -> role name
 *   GET  /latest/meta-data/iam/security-credentials/<role>  -> JSON
 * Role credentials are cached and fetched again XR_CREDS_REFRESH_S before
 * they expire; if the refresh fails, the cached ones are used until they
 * really expire. Never read from a file. */
#ifndef XR_AWS_CREDS_H
#define XR_AWS_CREDS_H

#include <curl/curl.h>
#include <stddef.h>
#include <time.h>

#define XR_CREDS_REFRESH_S 300

struct xr_aws_creds {
	char access_key[128];
	char secret_key[128];
	char token[4096];
	time_t expires; /* 0 = does not expire (environment) */
};

struct xr_aws_credsrc {
	struct xr_aws_creds cur;
	int have; /* cur is filled */
	int from_env;
	int imds_disabled; /* AWS_EC2_METADATA_DISABLED=true */
	char imds[256];    /* AWS_EC2_METADATA_SERVICE_ENDPOINT or default */
	long imds_timeout_ms;
	CURL *curl; /* owned */
};

/* Reads the environment. Never fails for lack of credentials: that is
 * reported by the first xr_aws_creds_get(). 0 or XR_ENOMEM/XR_ECONFIG. */
int xr_aws_credsrc_init(struct xr_aws_credsrc *s, char *err, size_t errlen);
void xr_aws_credsrc_free(struct xr_aws_credsrc *s);

/* Current credentials at wall-clock `now`, fetching or refreshing them from
 * IMDSv2 when needed. 0, or XR_ECONFIG (none anywhere), XR_ENET,
 * XR_ECLOUD (IMDS answered badly), with a message in err. */
int xr_aws_creds_get(struct xr_aws_credsrc *s, time_t now,
		     struct xr_aws_creds *out, char *err, size_t errlen);

/* Forgets cached role credentials (after an ExpiredToken answer). */
void xr_aws_creds_invalidate(struct xr_aws_credsrc *s);

/* "2015-08-30T12:36:00Z" -> seconds since the epoch; -1 if malformed. */
int xr_aws_parse_iso8601(const char *s, time_t *out);

#endif
