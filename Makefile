# ktstr — GNU Makefile.  `make` builds build/ktstr, build/libktstr.a and
# build/ktstr-tests; `make check` runs unit tests then the VM tests.
# `make V=1` prints every command line in full.
#
# CFLAGS, LDFLAGS and EXTRA_CFLAGS belong to the user: `make CFLAGS=-O0`
# replaces the optimisation and debug flags only.  What the build needs
# (standard, include paths, warnings, dependency files) is KT_CFLAGS.
CC      ?= gcc
BUILD   ?= build
CFLAGS  ?= -O2 -g
LDFLAGS ?=
# Warnings, kvmtool-style: one flag per line, every one an error; gcc and
# clang (`make clang`) both build clean.
WARNINGS += -Wall
WARNINGS += -Wextra
WARNINGS += -Werror
WARNINGS += -Wno-unused-parameter
WARNINGS += -Wmissing-prototypes
WARNINGS += -Wmissing-declarations
WARNINGS += -Wstrict-prototypes
WARNINGS += -Wold-style-definition
WARNINGS += -Wformat=2
WARNINGS += -Wundef
WARNINGS += -Wredundant-decls
WARNINGS += -Wnested-externs
WARNINGS += -Winit-self
WARNINGS += -Wpointer-arith
WARNINGS += -Wvla
WARNINGS += -Wshadow
# Symbols are hidden unless a public header declares them KTSTR_API
# (include/ktstr/api.h; `make apicheck`).
KT_CFLAGS := -std=gnu11 $(WARNINGS) -fvisibility=hidden -Iinclude -Isrc -D_GNU_SOURCE -MMD -MP
ALL_CFLAGS = $(KT_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
# The libraries libktstr needs, listed here only: the Makefile's links
# and the installed ktstr.pc (ktstr.pc.in) both take them from KT_LIBS.
# libcrypto and libdw are not linked: only the host side uses them, and
# it opens them at first use (src/util/dl.h), so they stay out of the
# test binary's closure that every guest initramfs carries.  Their
# headers (libssl-dev, libdw-dev) are still needed to build.
KT_LIBS := -lbpf -lelf -ljansson -lz -lpthread -lm
LDLIBS  += $(KT_LIBS)
# `make` alone builds everything (print-libs below is not the default).
.DEFAULT_GOAL := all
# For scripts that link against $(BUILD)/libktstr.a (tests/cli/payload.sh).
print-libs:
	@echo $(KT_LIBS)
# scx-ktstr's sources, found at run time: this tree for the in-tree build,
# $(PKGDATADIR) for what `make install` installs.
$(BUILD)/src/kernel/scxbuild.o: KT_CFLAGS += -DKTSTR_SRC_DIR='"$(CURDIR)"'

# `make install [PREFIX=/usr/local] [DESTDIR=]`; see the install target.
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
PKGDATADIR ?= $(PREFIX)/share/ktstr
PCDIR      ?= $(LIBDIR)/pkgconfig
INSTALL    ?= install
VERSION    := $(shell sed -n 's/^\#define KTSTR_VERSION "\(.*\)"$$/\1/p' cli/ktstr.c)

# Quiet by default: "  CC  src/x.c"; V=1 shows the commands, make -s nothing.
V ?= 0
ifeq ($(V),1)
say =
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
say = @
else
say = @printf '  %-3s %s\n' '$(1)' '$(2)';
endif

LIB_SRC := $(wildcard src/*/*.c src/*/*/*.c) cli/runner_cli.c cli/test_main.c cli/verifier.c
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
# kernel/ktstr.kconfig and kernel/ktstr-fixes.patch compiled in as
# ktstr_kconfig_fragment[] and ktstr_kernel_patch[] (src/kernel/kernel.h).
GEN_FRAG:= $(BUILD)/gen/kconfig_fragment.c
LIB_OBJ += $(GEN_FRAG:.c=.o)
# Auto-repro's BPF object (bpf/probe.bpf.c), compiled with clang-19 against
# Debian's libbpf headers and embedded as kt_probe_bpf_obj[] (guest/probe.h).
BPF_CLANG ?= clang-19
GEN_PROBE := $(BUILD)/gen/probe_bpf_obj.c
LIB_OBJ += $(GEN_PROBE:.c=.o)
CLI_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(filter-out cli/runner_cli.c cli/test_main.c cli/verifier.c,$(wildcard cli/*.c)))
TST_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/*.c))
UNIT_SRC:= $(wildcard unit/*.c)
# Unit tests: the pure modules and the whole library, built with ASan and
# UBSan into their own object tree (one object per source, so editing one
# file recompiles one file).
UNIT_OBJ:= $(patsubst %.c,$(BUILD)/unit-obj/%.o,$(UNIT_SRC) $(LIB_SRC)) $(BUILD)/unit-obj/gen/kconfig_fragment.o \
	   $(BUILD)/unit-obj/gen/probe_bpf_obj.o

all: $(BUILD)/ktstr $(BUILD)/libktstr.a $(BUILD)/ktstr-tests $(BUILD)/ktstr-payload-helper

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(GEN_FRAG): kernel/ktstr.kconfig kernel/ktstr-fixes.patch
	@mkdir -p $(dir $@)
	$(call say,GEN,$@){ echo '/* Generated from $^ by the Makefile; do not edit. */'; \
	  echo '#include "kernel/kernel.h"'; \
	  echo 'const char ktstr_kconfig_fragment[] = {'; \
	  od -An -v -tx1 kernel/ktstr.kconfig | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; \
	  echo 'const char ktstr_kernel_patch[] = {'; \
	  od -An -v -tx1 kernel/ktstr-fixes.patch | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; } > $@.tmp && mv $@.tmp $@

$(GEN_FRAG:.c=.o): $(GEN_FRAG)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c $< -o $@

# clang -target bpf does not search the host's system include dirs; they
# go after everything else, for <linux/...> and <asm/...>.
BPF_SYS_INC = $(shell $(BPF_CLANG) -v -E - </dev/null 2>&1 | \
	      sed -n '/<...> search starts here:/,/End of search list./s|^ \(/.*\)|-idirafter \1|p')
$(BUILD)/gen/probe.bpf.o: bpf/probe.bpf.c src/probe/probe_bpf.h
	@mkdir -p $(dir $@)
	$(call say,BPF,$<)$(BPF_CLANG) -g -O2 -mcpu=v3 -target bpf -mlittle-endian -D__TARGET_ARCH_x86 \
		-Wall -Werror -Isrc $(BPF_SYS_INC) -c $< -o $@

$(GEN_PROBE): $(BUILD)/gen/probe.bpf.o
	$(call say,GEN,$@){ echo '/* Generated from bpf/probe.bpf.c by the Makefile; do not edit. */'; \
	  echo '#include "guest/probe.h"'; \
	  echo 'const unsigned char kt_probe_bpf_obj[] __attribute__((aligned(8))) = {'; \
	  od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; echo "const unsigned long kt_probe_bpf_obj_len = $$(stat -c %s $<);"; } > $@.tmp && mv $@.tmp $@

$(GEN_PROBE:.c=.o): $(GEN_PROBE)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libktstr.a: $(LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

# Link lines take the user's CFLAGS too (-fsanitize=..., -flto, -m32).
$(BUILD)/ktstr: $(CLI_OBJ) $(BUILD)/libktstr.a
	$(call say,LD,$@)$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libktstr.a $(LDLIBS)

# Tests keep their registration objects whole; main() comes from libktstr.
$(BUILD)/ktstr-tests: $(TST_OBJ) $(BUILD)/libktstr.a
	$(call say,LD,$@)$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(LDFLAGS) -o $@ $(TST_OBJ) $(BUILD)/libktstr.a $(LDLIBS)

# A payload of the project's own for tests/payloads.c, standing in for a
# user's build (schbench); its absolute path is compiled into the tests,
# which pack it into the guest at that path.
$(BUILD)/ktstr-payload-helper: tests/helpers/payload_helper.c
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<
$(BUILD)/tests/payloads.o: KT_CFLAGS += -DKTSTR_PAYLOAD_HELPER='"$(abspath $(BUILD))/ktstr-payload-helper"' \
	-DKTSTR_PAYLOAD_DATA='"$(CURDIR)/tests/helpers/payload-data.json"'

# Benchmarks (bench/*.sh build and run them), linked like a test binary.
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libktstr.a
	$(call say,LD,$@)$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libktstr.a $(LDLIBS)
BENCH_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard bench/*.c))
.SECONDARY: $(BENCH_OBJ)

# Installed copies: the same objects but for scxbuild.o, which looks for
# the scx-ktstr sources in $(PKGDATADIR) instead of this tree, relinked
# into $(INST).  $(INST)/config holds the install paths; a change of
# PREFIX (or any of them) rebuilds what depends on them.
INST    := $(BUILD)/inst
PUB_HDR := $(wildcard include/ktstr/*.h)
SCX_SRC := $(wildcard scx-ktstr/Makefile scx-ktstr/*.c scx-ktstr/*.h)
INST_CONFIG := $(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(PKGDATADIR) $(VERSION) $(KT_LIBS)

$(INST)/config: FORCE
	@mkdir -p $(dir $@)
	@echo '$(INST_CONFIG)' | cmp -s - $@ || echo '$(INST_CONFIG)' >$@

$(INST)/scxbuild.o: src/kernel/scxbuild.c $(INST)/config
	$(call say,CC,$< [install])$(CC) $(ALL_CFLAGS) -DKTSTR_DATA_DIR='"$(PKGDATADIR)"' -c $< -o $@

$(INST)/libktstr.a: $(filter-out $(BUILD)/src/kernel/scxbuild.o,$(LIB_OBJ)) $(INST)/scxbuild.o
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

$(INST)/ktstr: $(CLI_OBJ) $(INST)/libktstr.a
	$(call say,LD,$@)$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(INST)/libktstr.a $(LDLIBS)

$(INST)/ktstr.pc: ktstr.pc.in $(INST)/config
	$(call say,GEN,$@)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		-e 's|@LIBS@|$(KT_LIBS)|g' $< >$@

# bin/ktstr, lib/libktstr.a, include/ktstr/*.h, lib/pkgconfig/ktstr.pc,
# share/man/man1/ktstr.1 and share/ktstr/scx-ktstr/ under
# $(DESTDIR)$(PREFIX).  Out-of-tree tests then build with
#   cc my_test.c $$(pkg-config --cflags --libs ktstr)
install: $(INST)/ktstr $(INST)/libktstr.a $(INST)/ktstr.pc
	$(call say,INSTALL,$(DESTDIR)$(PREFIX))$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PCDIR) $(DESTDIR)$(INCLUDEDIR)/ktstr $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(PKGDATADIR)/scx-ktstr
	$(call say,INSTALL,$(DESTDIR)$(BINDIR)/ktstr)$(INSTALL) -m 755 $(INST)/ktstr $(DESTDIR)$(BINDIR)/ktstr
	$(call say,INSTALL,$(DESTDIR)$(LIBDIR)/libktstr.a)$(INSTALL) -m 644 $(INST)/libktstr.a $(DESTDIR)$(LIBDIR)/libktstr.a
	$(call say,INSTALL,$(DESTDIR)$(PCDIR)/ktstr.pc)$(INSTALL) -m 644 $(INST)/ktstr.pc $(DESTDIR)$(PCDIR)/ktstr.pc
	$(call say,INSTALL,$(DESTDIR)$(INCLUDEDIR)/ktstr/)$(INSTALL) -m 644 $(PUB_HDR) $(DESTDIR)$(INCLUDEDIR)/ktstr/
	$(call say,INSTALL,$(DESTDIR)$(MANDIR)/man1/ktstr.1)$(INSTALL) -m 644 docs/ktstr.1 $(DESTDIR)$(MANDIR)/man1/ktstr.1
	$(call say,INSTALL,$(DESTDIR)$(PKGDATADIR)/scx-ktstr/)$(INSTALL) -m 644 $(SCX_SRC) $(DESTDIR)$(PKGDATADIR)/scx-ktstr/

# Removes exactly the files install puts, then the directories that are
# ktstr's own if they are left empty.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ktstr $(DESTDIR)$(LIBDIR)/libktstr.a $(DESTDIR)$(PCDIR)/ktstr.pc \
		$(DESTDIR)$(MANDIR)/man1/ktstr.1 \
		$(addprefix $(DESTDIR)$(INCLUDEDIR)/ktstr/,$(notdir $(PUB_HDR))) \
		$(addprefix $(DESTDIR)$(PKGDATADIR)/scx-ktstr/,$(notdir $(SCX_SRC)))
	rmdir $(DESTDIR)$(INCLUDEDIR)/ktstr $(DESTDIR)$(PKGDATADIR)/scx-ktstr $(DESTDIR)$(PKGDATADIR) 2>/dev/null || true

FORCE:

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_CFLAGS = $(ALL_CFLAGS) $(SAN_FLAGS) -Iunit -DKTSTR_UNIT -DKTSTR_UNIT_FIXTURES='"$(CURDIR)/unit/fixtures"'
$(BUILD)/unit-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$< [unit])$(CC) $(UNIT_CFLAGS) -c $< -o $@

$(BUILD)/unit-obj/gen/kconfig_fragment.o: $(GEN_FRAG)
	@mkdir -p $(dir $@)
	$(call say,CC,$< [unit])$(CC) $(UNIT_CFLAGS) -c $< -o $@

$(BUILD)/unit-obj/gen/probe_bpf_obj.o: $(GEN_PROBE)
	@mkdir -p $(dir $@)
	$(call say,CC,$< [unit])$(CC) $(UNIT_CFLAGS) -c $< -o $@

$(BUILD)/unit-tests: $(UNIT_OBJ)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fuzz targets (fuzz/fuzz_<name>.c; docs/fuzzing.md), kept out of
# libktstr.  `make fuzz` builds them with clang's libFuzzer and runs each
# for FUZZ_SECONDS; `make fuzz-replay` (in `make check`) links the same
# targets with gcc, ASan and UBSan to fuzz/replay.c and runs every file of
# fuzz/corpus/<name>/ and fuzz/crashes/<name>/.  Both link the library's
# objects (not cli/), through an archive so each target pulls what it uses.
FUZZ_CC      ?= clang-19
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_ARGS    ?=
FUZZ_JOBS    ?= 1
# `make check`'s short fuzz pass: every target this long, two at a time.
CHECK_FUZZ_SECONDS ?= 30
FUZZ_ALL     := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_LIB_SRC := $(filter-out cli/%,$(LIB_SRC))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(KT_CFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_OBJ     := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_LIB_SRC)) $(BUILD)/fuzz/obj/gen/kconfig_fragment.o
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$< [fuzz])$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/obj/gen/kconfig_fragment.o: $(GEN_FRAG)
	@mkdir -p $(dir $@)
	$(call say,CC,$< [fuzz])$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/libktstr-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/fuzz/bin/%: $(BUILD)/fuzz/obj/fuzz/fuzz_%.o $(BUILD)/fuzz/libktstr-fuzz.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# New inputs go to $(BUILD)/fuzz/corpus/<name>/ (the committed seeds are
# read, never written); a crash, leak or timeout stops that target and
# leaves its input in $(BUILD)/fuzz/artifacts/<name>/.
fuzz-build: $(addprefix $(BUILD)/fuzz/bin/,$(FUZZ_TARGETS))

fuzz: fuzz-build
	scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_TIMEOUT) $(FUZZ_JOBS) '$(FUZZ_ARGS)' $(FUZZ_TARGETS)

# The targets' own objects are not intermediate files to delete.
.SECONDARY: $(patsubst %,$(BUILD)/fuzz/obj/fuzz/fuzz_%.o,$(FUZZ_ALL)) \
	$(patsubst %,$(BUILD)/unit-obj/fuzz/fuzz_%.o,$(FUZZ_ALL)) $(BUILD)/unit-obj/fuzz/replay.o \
	$(BUILD)/unit-obj/fuzz/mkseeds.o

# The same targets, plain gcc + ASan/UBSan (the unit objects), no libFuzzer.
REPLAY_OBJ := $(patsubst %.c,$(BUILD)/unit-obj/%.o,$(FUZZ_LIB_SRC)) $(BUILD)/unit-obj/gen/kconfig_fragment.o
$(BUILD)/unit-obj/libktstr-san.a: $(REPLAY_OBJ)
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/fuzz-replay/%: $(BUILD)/unit-obj/fuzz/fuzz_%.o $(BUILD)/unit-obj/fuzz/replay.o $(BUILD)/unit-obj/libktstr-san.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Regenerates the seeds (fuzz/mkseeds.c says from what); commit the result.
$(BUILD)/fuzz-tools/mkseeds: $(BUILD)/unit-obj/fuzz/mkseeds.o $(BUILD)/unit-obj/libktstr-san.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz-seeds: $(BUILD)/fuzz-tools/mkseeds
	$(BUILD)/fuzz-tools/mkseeds fuzz/corpus

fuzz-replay: $(addprefix $(BUILD)/fuzz-replay/,$(FUZZ_TARGETS))
	@fail=0; for t in $(FUZZ_TARGETS); do \
		$(BUILD)/fuzz-replay/$$t $$t fuzz/corpus/$$t fuzz/crashes/$$t || fail=1; \
	done; exit $$fail

# libktstr exports exactly what include/ktstr/ declares KTSTR_API: checked
# on a throw-away shared object linked from -fPIC copies of its objects
# (main() left out: a test binary's, not an API).
PIC_OBJ := $(patsubst %.c,$(BUILD)/pic/%.o,$(filter-out cli/test_main.c,$(LIB_SRC))) $(BUILD)/pic/gen/kconfig_fragment.o \
	   $(BUILD)/pic/gen/probe_bpf_obj.o
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$< [pic])$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(BUILD)/pic/gen/kconfig_fragment.o: $(GEN_FRAG)
	@mkdir -p $(dir $@)
	$(call say,CC,$< [pic])$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(BUILD)/pic/gen/probe_bpf_obj.o: $(GEN_PROBE)
	@mkdir -p $(dir $@)
	$(call say,CC,$< [pic])$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(BUILD)/pic/libktstr-apicheck.so: $(PIC_OBJ)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(LDFLAGS) -shared -o $@ $^ $(LDLIBS)

apicheck: $(BUILD)/pic/libktstr-apicheck.so
	scripts/apicheck.sh $<

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

# The ring reader under ThreadSanitizer: a second thread rewrites the
# header the host reads (unit/test_ring_race.c); a field read twice, or
# not atomically, is a reported race.
TSAN_SRC := unit/main.c unit/test_ring_race.c src/proto/shm_ring.c src/util/util.c
$(BUILD)/tsan-tests: $(TSAN_SRC)
	@mkdir -p $(dir $@)
	$(call say,LD,$@ [tsan])$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -O1 -g -fsanitize=thread -Iunit -DKTSTR_UNIT \
		-o $@ $(TSAN_SRC) $(LDLIBS)

tsan: $(BUILD)/tsan-tests
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)/tsan-tests

# CLI tests of `make install` and an out-of-tree test built with
# pkg-config (tests/cli/install.sh; no VM), the runner flags and commands
# (run.sh; one short VM run when a kernel is cached), the gauntlet and
# budget (gauntlet.sh; two short VMs), stats/compare/report and the man
# page (report.sh; two short VMs, headless Chromium), `ktstr shell`
# (shell.sh; a few short VMs, tmux), auto-repro (repro.sh; five short
# VMs), payloads (payload.sh), the verifier (verifier.sh), SIGINT/SIGTERM
# at five moments of a run (interrupt.sh; five short VMs: nothing left
# behind), detection without false alarms (detect.sh; a few short VMs),
# performance mode (perf.sh) and restore instead of boot (restore.sh;
# six short VMs: cold, restored twice, a damaged snapshot).
clitest: all mancheck
	tests/cli/install.sh $(BUILD)
	tests/cli/kernel.sh $(BUILD)
	tests/cli/run.sh $(BUILD)
	tests/cli/report.sh $(BUILD)
	tests/cli/gauntlet.sh $(BUILD)
	tests/cli/shell.sh $(BUILD)
	tests/cli/repro.sh $(BUILD)
	tests/cli/payload.sh $(BUILD)
	tests/cli/verifier.sh $(BUILD)
	tests/cli/interrupt.sh $(BUILD)
	tests/cli/detect.sh $(BUILD)
	tests/cli/perf.sh $(BUILD)
	tests/cli/restore.sh $(BUILD)

# docs/ktstr.1 renders without groff warnings (skipped without groff).
mancheck:
	@if command -v groff >/dev/null; then \
		out=$$(groff -man -Tutf8 -ww docs/ktstr.1 2>&1 >/dev/null); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; echo "docs/ktstr.1: renders without warnings"; \
	else echo "mancheck: SKIP (groff not installed)"; fi

# Include order of src/ and cli/ follows the layers (docs/architecture.md).
layercheck:
	scripts/layercheck.sh

# VM tests; KTSTR_JOBS parallel VMs (default: one per two host CPUs, min 1).
KTSTR_JOBS ?= $(shell n=$$(nproc); echo $$(( n > 1 ? n : 1 )))
# A failed VM case is run again up to KTSTR_RETRIES times (at most
# max(2, cases/10) retries per run); a pass on a retry is reported as
# flaky with its first failure (docs/ci.md).  TCG on a shared 2-core host
# makes timing-based checks noisy; a real regression fails every attempt.
KTSTR_RETRIES ?= 2
vmtest: all
	$(BUILD)/ktstr-tests -j $(KTSTR_JOBS) --retries $(KTSTR_RETRIES) $(KTSTR_TEST_ARGS)

# Every canned scenario under EEVDF, in VMs; the payload scenarios (real
# programs, thresholds from EEVDF and scx_simple baselines,
# docs/payloads.md) under scx_simple too.
scenariotest: all
	$(BUILD)/ktstr scenario all -j $(KTSTR_JOBS) --retries $(KTSTR_RETRIES)
	$(BUILD)/ktstr scenario ^payload_ --scheduler scx_simple -j $(KTSTR_JOBS) --retries $(KTSTR_RETRIES)

# The whole suite from nothing: packages (idempotent), include order,
# gcc and clang builds, the exported API, sanitized unit tests, the
# cached kernel, then the CLI and VM tests.
check:
	scripts/setup.sh --deps-only
	$(MAKE) layercheck
	$(MAKE) all
	$(MAKE) clang
	$(MAKE) apicheck
	$(MAKE) unit
	$(MAKE) tsan
	$(MAKE) fuzz-replay
	$(MAKE) fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) FUZZ_JOBS=2
	$(BUILD)/ktstr kernel build
	$(MAKE) clitest
	$(MAKE) scenariotest
	$(MAKE) vmtest

# The same sources and warnings under clang (`make CC=clang` works too).
clang:
	$(MAKE) CC=clang BUILD=build-clang all

clean:
	rm -rf $(BUILD) build build-clang

.PHONY: print-libs all install uninstall FORCE unit tsan fuzz fuzz-build fuzz-replay fuzz-seeds apicheck layercheck clitest mancheck vmtest scenariotest check clang clean
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TST_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) \
	$(wildcard $(BUILD)/fuzz/obj/fuzz/*.d $(BUILD)/unit-obj/fuzz/*.d) $(PIC_OBJ:.o=.d) $(INST)/scxbuild.d $(BENCH_OBJ:.o=.d)
