/* COM2 read incrementally (see com2.h). */
#include "proto/com2.h"

#include <string.h>

void kt_com2_init(struct kt_com2 *c)
{
	memset(c, 0, sizeof(*c));
	kt_frame_scan_init(&c->frame);
	kt_marker_init(&c->init_started, KT_COM2_INIT_STARTED);
	kt_marker_init(&c->payload_starting, KT_COM2_PAYLOAD_STARTING);
	c->sched_log.tail_cap = c->plain.tail_cap = KT_COM2_TAIL;
}

void kt_com2_free(struct kt_com2 *c)
{
	kt_frame_scan_free(&c->frame);
	kt_capture_free(&c->sched_log);
	kt_capture_free(&c->plain);
}

static bool starts(const struct kt_com2 *c, const char *marker)
{
	size_t n = strlen(marker);

	return c->line_len >= n && !memcmp(c->line, marker, n);
}

static void keep_line(struct kt_capture *cap, const struct kt_com2 *c)
{
	kt_capture_add(cap, c->line, c->line_len);
	if (c->line_cut)
		kt_capture_add(cap, " [...]", 6);
	kt_capture_add(cap, "\n", 1);
}

/* A whole line: the scheduler's log section, or the guest's words
 * unless it belongs to a section or a frame. */
static void route_line(struct kt_com2 *c)
{
	bool end_sched = starts(c, KT_SCHED_LOG_END);

	if (starts(c, KT_SCHED_LOG_BEGIN)) {
		c->in_sched = true;
		kt_capture_reset(&c->sched_log);
	} else if (end_sched) {
		c->in_sched = false;
	} else if (c->in_sched) {
		keep_line(&c->sched_log, c);
	}
	if (starts(c, KT_SCHED_LOG_BEGIN) || starts(c, KT_FRAME_BEGIN))
		c->skip = true;
	if (!c->skip)
		keep_line(&c->plain, c);
	if (end_sched || starts(c, KT_FRAME_END))
		c->skip = false;
	c->line_len = 0;
	c->line_cut = false;
}

void kt_com2_feed(struct kt_com2 *c, const char *p, size_t n)
{
	kt_frame_scan_feed(&c->frame, p, n);
	kt_marker_feed(&c->init_started, p, n);
	kt_marker_feed(&c->payload_starting, p, n);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r')
			continue;
		if (p[i] == '\n')
			route_line(c);
		else if (c->line_len < sizeof(c->line))
			c->line[c->line_len++] = p[i];
		else
			c->line_cut = true;
	}
}

void kt_com2_finish(struct kt_com2 *c)
{
	if (c->done)
		return;
	if (c->line_len)
		route_line(c);
	kt_frame_scan_finish(&c->frame);
	c->done = true;
}
