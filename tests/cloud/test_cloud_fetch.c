/* Embedded fetch: a local file read whole, with a size cap and errors that
 * name the file. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cloud.h"
#include "cloud_fixture.h"
#include "embedded.h"
#include "err.h"

static void write_file(const char *path, size_t size)
{
	FILE *f = fopen(path, "wb");

	for (size_t i = 0; i < size; i++)
		fputc('a' + (int)(i % 26), f);
	fclose(f);
}

int main(void)
{
	char dir[512], path[600];
	struct xr_cloud c;
	char *data = (char *)1;
	size_t len = 99;

	CHECK_EQ(fx_tempdir(dir, sizeof dir, "fetch"), 0);
	CHECK_EQ(xr_cloud_open_embedded(&c, dir), 0);
	CHECK_STR(c.ops->name, "embedded");

	snprintf(path, sizeof path, "%s/routes.txt", dir);
	{
		FILE *f = fopen(path, "w");

		fputs("right 1\nstraight 2\nleft 1\n", f);
		fclose(f);
	}
	CHECK_EQ(c.ops->fetch(&c, path, &data, &len), 0);
	CHECK_STR(data, "right 1\nstraight 2\nleft 1\n");
	CHECK_EQ(len, strlen("right 1\nstraight 2\nleft 1\n"));
	free(data);

	/* Empty file: fine, an empty string. */
	write_file(path, 0);
	CHECK_EQ(c.ops->fetch(&c, path, &data, &len), 0);
	CHECK_EQ(len, 0);
	CHECK_STR(data, "");
	free(data);

	/* Exactly at the cap: accepted; one byte more: refused. */
	write_file(path, XR_EMBEDDED_FETCH_MAX);
	CHECK_EQ(c.ops->fetch(&c, path, &data, &len), 0);
	CHECK_EQ(len, XR_EMBEDDED_FETCH_MAX);
	free(data);
	write_file(path, XR_EMBEDDED_FETCH_MAX + 1);
	data = (char *)1;
	CHECK_EQ(c.ops->fetch(&c, path, &data, &len), XR_ETOOBIG);
	CHECK(data == NULL);
	CHECK_HAS(c.err, "routes.txt");
	CHECK_HAS(c.err, "more than");
	unlink(path);

	snprintf(path, sizeof path, "%s/missing.txt", dir);
	CHECK_EQ(c.ops->fetch(&c, path, &data, &len), XR_ENOTFOUND);
	CHECK_HAS(c.err, "missing.txt");
	CHECK_HAS(c.err, "No such file");

	CHECK_EQ(c.ops->fetch(&c, dir, &data, &len), XR_EIO);
	CHECK_HAS(c.err, "not a regular file");
	CHECK_EQ(c.ops->fetch(&c, "/dev/zero", &data, &len), XR_EIO);
	CHECK_EQ(c.ops->fetch(&c, "s3://bucket/routes.txt", &data, &len),
		 XR_EINVAL);
	CHECK_HAS(c.err, "s3://bucket/routes.txt");
	CHECK_HAS(c.err, "aws");
	CHECK_EQ(c.ops->fetch(&c, "", &data, &len), XR_EINVAL);
	CHECK_EQ(c.ops->fetch(&c, NULL, &data, &len), XR_EINVAL);
	CHECK_EQ(c.ops->fetch(&c, path, NULL, &len), XR_EINVAL);

	/* A file we may not read (skipped as root, who may read anything). */
	if (geteuid() != 0) {
		snprintf(path, sizeof path, "%s/secret.txt", dir);
		write_file(path, 10);
		chmod(path, 0);
		CHECK_EQ(c.ops->fetch(&c, path, &data, &len), XR_EIO);
		CHECK_HAS(c.err, "Permission denied");
		unlink(path);
	}

	xr_cloud_close(&c);
	xr_cloud_close(&c); /* twice is harmless */
	fx_rmdir(dir);

	/* Opening refuses what it cannot use, with a message. */
	CHECK(xr_cloud_open_embedded(&c, "/proc/xroad-no/state") < 0);
	CHECK_HAS(c.err, "/proc/xroad-no");
	CHECK(xr_cloud_open_embedded(&c, NULL) == XR_EINVAL);
	setenv("XROAD_EMBEDDED_VISIBILITY_MS", "fast", 1);
	CHECK_EQ(fx_tempdir(dir, sizeof dir, "fetch"), 0);
	CHECK_EQ(xr_cloud_open_embedded(&c, dir), XR_ECONFIG);
	CHECK_HAS(c.err, "XROAD_EMBEDDED_VISIBILITY_MS");
	unsetenv("XROAD_EMBEDDED_VISIBILITY_MS");
	setenv("XROAD_EMBEDDED_SYNC", "sometimes", 1);
	CHECK_EQ(xr_cloud_open_embedded(&c, dir), XR_ECONFIG);
	CHECK_HAS(c.err, "XROAD_EMBEDDED_SYNC");
	setenv("XROAD_EMBEDDED_SYNC", "full", 1);
	CHECK_EQ(xr_cloud_open_embedded(&c, dir), 0);
	xr_cloud_close(&c);
	unsetenv("XROAD_EMBEDDED_SYNC");
	fx_rmdir(dir);
	CHECK_DONE("test_cloud_fetch");
}
