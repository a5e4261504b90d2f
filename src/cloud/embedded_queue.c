/* Embedded queue: an SQLite table with SQS standard-queue semantics, so the
 * poller and the handlers meet the same behaviour locally as in AWS:
 *   - at-least-once: a received message stays in the table, hidden for the
 *     visibility window; if it is not deleted in time it is delivered again;
 *   - each receive hands out a fresh receipt handle and only the latest one
 *     deletes the message (a stale receipt is accepted and does nothing, as
 *     SQS does), so a slow consumer cannot delete a redelivered message;
 *   - a message received max_receives times without being deleted moves to
 *     queue_dead, like an SQS redrive policy, instead of looping forever.
 * Every step is one transaction, so a process killed anywhere leaves the
 * message either hidden (and due back) or visible, never gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embedded.h"
#include "embedded_impl.h"
#include "err.h"

/* Random hex, from SQLite's own generator (seeded from /dev/urandom). */
static void random_hex(char *out, size_t bytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[32];

	if (bytes > sizeof r)
		bytes = sizeof r;
	sqlite3_randomness((int)bytes, r);
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * bytes] = '\0';
}

/* A version-4 UUID, the shape of an SQS MessageId. */
static void new_message_id(char out[37])
{
	char h[33];

	random_hex(h, 16);
	h[12] = '4';
	h[16] = "89ab"[(h[16] >= 'a' ? h[16] - 'a' + 10 : h[16] - '0') & 3];
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16,
		 h + 20);
}

int xr_emb_queue_send(struct xr_cloud *c, const char *body)
{
	struct xr_embedded *e = c->impl;
	sqlite3_stmt *st = NULL;
	char id[37];
	uint64_t now;
	size_t len;
	int rc;

	if (body == NULL)
		return xr_cloud_errf(c, XR_EINVAL, "queue send: no body");
	len = strnlen(body, XR_EMBEDDED_BODY_MAX + 1);
	if (len == 0)
		return xr_cloud_errf(c, XR_EINVAL, "queue send: empty body");
	if (len > XR_EMBEDDED_BODY_MAX)
		return xr_cloud_errf(c, XR_ETOOBIG,
				     "queue send: body larger than %u bytes",
				     XR_EMBEDDED_BODY_MAX);
	new_message_id(id);
	now = xr_emb_now(e);
	if (sqlite3_prepare_v2(
		    e->db,
		    "INSERT INTO queue(id, body, sent_ms, visible_ms)"
		    " VALUES(?1, ?2, ?3, ?3)",
		    -1, &st, NULL) != SQLITE_OK)
		return xr_emb_sqlerr(c, "queue send");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	/* A single statement is its own transaction: busy_timeout covers the
	 * lock wait and a kill leaves the row whole or absent. */
	rc = sqlite3_step(st) == SQLITE_DONE ? 0
					     : xr_emb_sqlerr(c, "queue send");
	sqlite3_finalize(st);
	return rc;
}

/* Moves due poison messages to queue_dead; inside the receive transaction. */
static int dead_letter(struct xr_cloud *c, uint64_t now)
{
	struct xr_embedded *e = c->impl;
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (e->max_receives == 0)
		return 0;
	if (sqlite3_prepare_v2(
		    e->db,
		    "INSERT INTO queue_dead(seq, id, body, sent_ms, receives,"
		    " dead_ms) SELECT seq, id, body, sent_ms, receives, ?1"
		    " FROM queue WHERE visible_ms <= ?1 AND receives >= ?2;",
		    -1, &st, NULL) != SQLITE_OK)
		return xr_emb_sqlerr(c, "queue receive: dead-letter");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2, e->max_receives);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = xr_emb_sqlerr(c, "queue receive: dead-letter");
	sqlite3_finalize(st);
	if (rc != 0 || sqlite3_changes(e->db) == 0)
		return rc;
	if (sqlite3_prepare_v2(e->db,
			       "DELETE FROM queue WHERE visible_ms <= ?1 AND"
			       " receives >= ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return xr_emb_sqlerr(c, "queue receive: dead-letter");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2, e->max_receives);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = xr_emb_sqlerr(c, "queue receive: dead-letter");
	sqlite3_finalize(st);
	return rc;
}

/* One attempt: hides up to `max` visible messages and fills `msgs`. */
static int receive_once(struct xr_cloud *c, struct xr_queue_msg *msgs,
			size_t max, size_t *n)
{
	struct xr_embedded *e = c->impl;
	sqlite3_stmt *sel = NULL, *upd = NULL;
	uint64_t now;
	size_t got = 0;
	int rc, step;

	if ((rc = xr_emb_begin(c, "queue receive")) != 0)
		return rc;
	now = xr_emb_now(e);
	if ((rc = dead_letter(c, now)) != 0)
		goto fail;
	if (sqlite3_prepare_v2(e->db,
			       "SELECT seq, id, body FROM queue"
			       " WHERE visible_ms <= ?1 ORDER BY seq LIMIT ?2",
			       -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(e->db,
			       "UPDATE queue SET receipt = ?1, visible_ms = ?2,"
			       " receives = receives + 1 WHERE seq = ?3",
			       -1, &upd, NULL) != SQLITE_OK) {
		rc = xr_emb_sqlerr(c, "queue receive");
		goto fail;
	}
	sqlite3_bind_int64(sel, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(sel, 2, (sqlite3_int64)max);
	while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
		struct xr_queue_msg *m = &msgs[got];
		const unsigned char *id = sqlite3_column_text(sel, 1);
		const unsigned char *body = sqlite3_column_text(sel, 2);
		int body_len = sqlite3_column_bytes(sel, 2);
		char nonce[33];

		if (id == NULL || body == NULL) {
			rc = xr_emb_sqlerr(c, "queue receive: read row");
			goto fail;
		}
		snprintf(m->id, sizeof m->id, "%s", (const char *)id);
		random_hex(nonce, 16);
		snprintf(m->receipt, sizeof m->receipt, "%s#%s", m->id, nonce);
		m->body = malloc((size_t)body_len + 1);
		if (m->body == NULL) {
			rc = xr_cloud_errf(c, XR_ENOMEM,
					   "queue receive: out of memory");
			goto fail;
		}
		memcpy(m->body, body, (size_t)body_len);
		m->body[body_len] = '\0';
		got++;
		sqlite3_reset(upd);
		sqlite3_bind_text(upd, 1, m->receipt, -1, SQLITE_STATIC);
		sqlite3_bind_int64(upd, 2,
				   (sqlite3_int64)(now + e->visibility_ms));
		sqlite3_bind_int64(upd, 3, sqlite3_column_int64(sel, 0));
		if (sqlite3_step(upd) != SQLITE_DONE) {
			rc = xr_emb_sqlerr(c, "queue receive: hide");
			goto fail;
		}
	}
	if (step != SQLITE_DONE) {
		rc = xr_emb_sqlerr(c, "queue receive");
		goto fail;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	if ((rc = xr_emb_commit(c, "queue receive")) != 0) {
		xr_queue_msgs_free(msgs, got);
		return rc;
	}
	*n = got;
	return 0;
fail:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	xr_emb_rollback(c);
	xr_queue_msgs_free(msgs, got);
	return rc;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* wait_ms > 0 is SQS long polling: return as soon as something arrives,
 * else after wait_ms with nothing. The wait uses the monotonic clock, not
 * the queue's (possibly test-driven) clock, because it is real sleeping. */
int xr_emb_queue_receive(struct xr_cloud *c, struct xr_queue_msg *msgs,
			 size_t max, int wait_ms, size_t *n)
{
	uint64_t start = mono_ms();

	if (n == NULL || msgs == NULL)
		return xr_cloud_errf(c, XR_EINVAL, "queue receive: no output");
	*n = 0;
	if (max == 0 || max > XR_QUEUE_BATCH_MAX)
		return xr_cloud_errf(c, XR_EINVAL,
				     "queue receive: max %zu not in 1..%d", max,
				     XR_QUEUE_BATCH_MAX);
	for (size_t i = 0; i < max; i++)
		msgs[i].body = NULL;
	for (;;) {
		int rc = receive_once(c, msgs, max, n);
		uint64_t spent = mono_ms() - start;
		uint64_t left, nap;
		struct timespec ts;

		if (rc != 0 || *n > 0 || wait_ms <= 0 ||
		    spent >= (uint64_t)wait_ms)
			return rc;
		left = (uint64_t)wait_ms - spent;
		nap = left < 20 ? left : 20;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(nap * 1000000u);
		nanosleep(&ts, NULL);
	}
}

int xr_emb_queue_delete(struct xr_cloud *c, const struct xr_queue_msg *msgs,
			size_t n)
{
	struct xr_embedded *e = c->impl;
	sqlite3_stmt *st = NULL;
	int rc;

	if (n == 0)
		return 0;
	if (msgs == NULL || n > XR_QUEUE_BATCH_MAX)
		return xr_cloud_errf(c, XR_EINVAL,
				     "queue delete: %zu messages, not 1..%d", n,
				     XR_QUEUE_BATCH_MAX);
	if ((rc = xr_emb_begin(c, "queue delete")) != 0)
		return rc;
	if (sqlite3_prepare_v2(e->db, "DELETE FROM queue WHERE receipt = ?1",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = xr_emb_sqlerr(c, "queue delete");
		xr_emb_rollback(c);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		/* A stale or unknown receipt matches nothing: SQS accepts it
		 * too, and the message then comes back, which is safe. */
		sqlite3_reset(st);
		sqlite3_bind_text(
			st, 1, msgs[i].receipt,
			(int)strnlen(msgs[i].receipt, sizeof msgs[i].receipt),
			SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = xr_emb_sqlerr(c, "queue delete");
			sqlite3_finalize(st);
			xr_emb_rollback(c);
			return rc;
		}
	}
	sqlite3_finalize(st);
	return xr_emb_commit(c, "queue delete");
}
