/* Live progress line (see progress.h). */
#include "runner/progress.h"
#include "util/util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct kt_progress {
	size_t total, done;
	unsigned jobs;
	const char **running; /* by case index, NULL: not running */
	uint64_t t0;
	bool stop, paused;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t th;
};

static void fmt_dur(char *buf, size_t len, double s)
{
	unsigned long t = s < 0 ? 0 : (unsigned long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%luh%02lum", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, len, "%lum%02lus", t / 60, t % 60);
	else
		snprintf(buf, len, "%lus", t);
}

void kt_progress_format(char *buf, size_t len, size_t done, size_t total, const char *running, double elapsed_s,
			unsigned jobs)
{
	char el[32], eta[32] = "?";

	fmt_dur(el, sizeof(el), elapsed_s);
	/* ETA from the cases completed so far: elapsed time per completed case
	 * times the cases left. */
	if (done && done < total)
		fmt_dur(eta, sizeof(eta), elapsed_s / (double)done * (double)(total - done));
	else if (done >= total)
		snprintf(eta, sizeof(eta), "0s");
	(void)jobs;
	snprintf(buf, len, "[%zu/%zu] elapsed %s, ETA %s%s%s", done, total, el, eta, running && *running ? " | running: " : "",
		 running ? running : "");
}

static unsigned term_cols(void)
{
	struct winsize ws;

	if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

/* Called with the lock held. */
static void draw(struct kt_progress *p)
{
	char names[512] = "", line[768];
	size_t nl = 0;
	unsigned cols = term_cols();

	for (size_t i = 0; i < p->total; i++) {
		if (!p->running[i])
			continue;
		nl += (size_t)snprintf(names + nl, sizeof(names) - nl, "%s%s", nl ? ", " : "", p->running[i]);
		if (nl >= sizeof(names) - 1)
			break;
	}
	kt_progress_format(line, sizeof(line), p->done, p->total, names,
			   (double)(kt_now_ns() - p->t0) / 1e9, p->jobs);
	/* Never wrap: a wrapped line cannot be erased with \r. */
	if (strlen(line) > cols - 1) {
		line[cols - 1] = '\0';
		if (cols > 4)
			memcpy(line + cols - 4, "...", 3);
	}
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
}

static void *ticker(void *arg)
{
	struct kt_progress *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct timespec ts;

		if (!p->paused)
			draw(p);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct kt_progress *kt_progress_start(size_t total, unsigned jobs, bool enabled)
{
	const char *term = getenv("TERM");
	struct kt_progress *p;

	if (!enabled || !total || !isatty(STDERR_FILENO) || (term && !strcmp(term, "dumb")))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->running = calloc(total, sizeof(*p->running)))) {
		free(p);
		return NULL;
	}
	p->total = total;
	p->jobs = jobs;
	p->t0 = kt_now_ns();
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->th, NULL, ticker, p)) {
		free(p->running);
		free(p);
		return NULL;
	}
	return p;
}

void kt_progress_running(struct kt_progress *p, size_t idx, const char *name)
{
	if (!p || idx >= p->total)
		return;
	pthread_mutex_lock(&p->lock);
	p->running[idx] = name;
	if (!p->paused)
		draw(p);
	pthread_mutex_unlock(&p->lock);
}

void kt_progress_pause(struct kt_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->paused = true;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	pthread_mutex_unlock(&p->lock);
}

void kt_progress_resume(struct kt_progress *p, size_t done_idx)
{
	if (!p)
		return;
	fflush(stdout);
	pthread_mutex_lock(&p->lock);
	if (done_idx < p->total && p->running[done_idx]) {
		p->running[done_idx] = NULL;
		p->done++;
	}
	p->paused = false;
	draw(p);
	pthread_mutex_unlock(&p->lock);
}

void kt_progress_stop(struct kt_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->th, NULL);
	fputs("\r\033[K", stderr);
	fflush(stderr);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->running);
	free(p);
}
