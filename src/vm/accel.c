/* KVM usability probe for the QEMU backend (see accel.h). */
#include "vm/accel.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int verdict = -1; /* -1 unknown, 0 no, 1 yes */
static char reason[256];

static bool kvm_openable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int probe(void)
{
	const char *env = getenv("KTSTR_ACCEL");

	if (env && !strcmp(env, "tcg")) {
		snprintf(reason, sizeof(reason), "KTSTR_ACCEL=tcg");
		return 0;
	}
	if (env && !strcmp(env, "kvm")) {
		snprintf(reason, sizeof(reason), "KTSTR_ACCEL=kvm");
		return 1;
	}
	if (!kvm_openable()) {
		snprintf(reason, sizeof(reason), "/dev/kvm not usable: %s", strerror(errno));
		return 0;
	}
	if (kt_path_exists("/sys/module/kvm_pvm")) {
		snprintf(reason, sizeof(reason),
			 "/dev/kvm is PVM (kvm_pvm), which cannot boot a standard kernel; using TCG");
		return 0;
	}
	if (kt_path_exists("/sys/module/kvm_intel") || kt_path_exists("/sys/module/kvm_amd")) {
		snprintf(reason, sizeof(reason), "hardware KVM (%s)",
			 kt_path_exists("/sys/module/kvm_intel") ? "kvm_intel" : "kvm_amd");
		return 1;
	}
	/* Unknown provider: trust it only if it is the kernel's own KVM
	 * (built in, so no module directory); a nested L1 has this. */
	if (kt_path_exists("/sys/module/kvm")) {
		snprintf(reason, sizeof(reason), "built-in KVM");
		return 1;
	}
	snprintf(reason, sizeof(reason), "/dev/kvm of unknown origin; using TCG (KTSTR_ACCEL=kvm forces KVM)");
	return 0;
}

bool kt_accel_kvm_usable(const char *kernel, char *why, size_t len)
{
	pthread_mutex_lock(&lock);
	if (verdict < 0)
		verdict = probe();
	snprintf(why, len, "%s", reason);
	pthread_mutex_unlock(&lock);
	return verdict == 1;
}
