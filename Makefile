# whodunit — build, test, run. `make help` lists the targets.
VERSION := $(shell cat VERSION)
BUILD ?= build
CC ?= gcc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
# Debian's python3 (with python3-pytest), not whatever python3 is first in PATH.
PYTHON ?= /usr/bin/python3
# The kernel's name for this architecture (bpf_tracing.h's __TARGET_ARCH_*).
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')

Q := $(if $(V),,@)
msg = $(if $(V),,@printf '  %-8s %s\n' "$(1)" "$(2)";)

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
override CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD) \
	-DWD_VERSION='"$(VERSION)"'
DEPFLAGS = -MMD -MP
# libbpf's BPF_PROG/BPF_KPROBE macros declare ctx and every argument.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-parameter \
	-Ivmlinux -Iinclude -Ibpf
STATIC_LIBS := -lbpf -lelf -lz -lzstd -lyaml
LDSTATIC ?= -static
# `make SAN=1 BUILD=build-san`: ASan + UBSan build (dynamic: ASan cannot be static).
ifdef SAN
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSTATIC :=
endif
# `make fuzz`: the src objects built by clang into build-fuzz/ for libFuzzer.
ifdef FUZZ
override CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
LDSTATIC :=
endif

# Everything but main.c is also linked into the unit tests.
SRCS := $(wildcard src/*/*.c)
OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS))
BPF_HEADERS := $(wildcard bpf/*.h bpf/*/*.h include/*.h)

.DELETE_ON_ERROR:

.PHONY: all run soak test test-unit test-integration test-san test-kernels bench deps deps-build clean help \
	vmlinux fuzz fuzz-build fuzz-bins test-fuzz

all: $(BUILD)/whodunit

help:
	@echo "make            build $(BUILD)/whodunit (static, BPF embedded)"
	@echo "make run        install missing deps, build, run on the embedded config, events to stdout"
	@echo "make test       install missing deps, build, run unit and integration tests (also under ASan/UBSan)"
	@echo "make fuzz [FUZZ_SECONDS=60]  libFuzzer targets (tests/fuzz), each run N s on its corpus"
	@echo "make test-kernels  every variant on Debian 11, 12 and 13 stock kernels under qemu (root)"
	@echo "make deb        the Debian package; make test-package: install and test it in a Debian 12 VM"
	@echo "make bench      overhead/drain/start-up/memory/latency figures (root)"
	@echo "make soak       10 minutes of mixed load, sampled every 30 s (root)"
	@echo "make vmlinux BTF=/path/to/btf   regenerate vmlinux/vmlinux.h from a kernel's BTF"
	@echo "make clean"

# Build and test dependencies (deps-build: building only).
deps:
	$(Q)scripts/deps.sh test

deps-build:
	$(Q)scripts/deps.sh

$(BUILD) $(BUILD)/tests:
	$(Q)mkdir -p $@

$(BUILD)/whodunit.bpf.o: bpf/whodunit.bpf.c $(BPF_HEADERS) vmlinux/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/whodunit.skel.h: $(BUILD)/whodunit.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name whodunit_bpf > $@.tmp && mv $@.tmp $@

# Headers are tracked by -MMD; the skeleton must exist before the first
# compile (the loader includes it; its .d file then names it).
$(BUILD)/obj/%.o: src/%.c | $(BUILD)/whodunit.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/obj/embed.o: src/util/embed.S conf/whodunit.yaml
	$(call msg,AS,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -c -DWD_DEFAULT_CONFIG='"conf/whodunit.yaml"' $< -o $@

-include $(OBJS:.o=.d) $(BUILD)/obj/main.d

$(BUILD)/whodunit: $(BUILD)/obj/main.o $(OBJS) $(BUILD)/obj/embed.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDSTATIC) $^ $(STATIC_LIBS) -o $@

# ---- tests -----------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BIN := $(BUILD)/tests/unit

$(UNIT_BIN): $(UNIT_SRCS) $(wildcard tests/unit/*.h src/*/*.h include/*.h) $(OBJS) \
		$(BUILD)/obj/embed.o | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(UNIT_SRCS) $(OBJS) $(BUILD)/obj/embed.o \
		-lcriterion -lbpf -lelf -lz -lyaml -o $@

$(BUILD)/tests/gt_client: tests/gt_client.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g $(WARN) -static $< -o $@

test-unit: $(UNIT_BIN)
	$(Q)$(UNIT_BIN) --jobs 1

test-integration: $(BUILD)/whodunit $(BUILD)/tests/gt_client
	$(Q)WHODUNIT=$(BUILD)/whodunit GT_CLIENT=$(BUILD)/tests/gt_client \
		$(PYTHON) -m pytest -q tests/integration

test: deps
	$(Q)$(MAKE) --no-print-directory test-unit
	$(Q)$(MAKE) --no-print-directory test-integration
	$(Q)$(MAKE) --no-print-directory test-san
	$(Q)$(MAKE) --no-print-directory test-fuzz
	$(Q)$(MAKE) --no-print-directory test-kernels
	$(Q)$(MAKE) --no-print-directory test-package

# Every attach variant on Debian 11, 12 and 13 stock kernels, booted under qemu (TCG).
test-kernels: $(BUILD)/whodunit $(BUILD)/tests/gt_client
	$(Q)tests/kernel/run.sh $(BUILD)/whodunit $(BUILD)/tests/gt_client $(BUILD)/kernel-cache

# Unit and integration tests again, on an ASan + UBSan build of everything.
test-san:
	$(Q)$(MAKE) --no-print-directory SAN=1 BUILD=build-san test-unit test-integration

# libFuzzer targets (tests/fuzz/NAME.c), clang with ASan + UBSan, each run
# FUZZ_SECONDS on a copy of its seed corpus (tests/fuzz/corpus/NAME).
FUZZ_TARGETS := config record passwd proc dns json_read
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build-fuzz
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))
# The config reader opens what an input's !include names: config.c vets it.
FUZZ_LDFLAGS_config := -Wl,--wrap=open

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/tmpdir.h $(OBJS) $(BUILD)/obj/embed.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer $(FUZZ_LDFLAGS_$*) $< $(OBJS) \
		$(BUILD)/obj/embed.o -lbpf -lelf -lz -lyaml -o $@

fuzz-bins: $(FUZZ_BINS)

fuzz-build:
	$(Q)$(MAKE) --no-print-directory FUZZ=1 CC=$(CLANG) CFLAGS='-O1 -g' \
		BUILD=$(FUZZ_BUILD) fuzz-bins

fuzz: deps fuzz-build
	$(Q)for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t && \
		echo "  FUZZ     $$t ($(FUZZ_SECONDS) s)" && \
		$(FUZZ_BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/$$t- \
			$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
			> $(FUZZ_BUILD)/$$t.log 2>&1 || \
			{ tail -n 60 $(FUZZ_BUILD)/$$t.log; exit 1; }; \
		grep -E '^(stat::number_of_executed_units|#[0-9]+[[:space:]]+DONE)' \
			$(FUZZ_BUILD)/$$t.log; \
	done

# make test: each target from a fixed seed for a fixed number of runs (about
# 20 s each here) over the committed corpus, so a red CI can be replayed;
# `make fuzz` explores by time.
FUZZ_RUNS := config:18000 record:8000 passwd:1000000 proc:15000 dns:1000000 json_read:650000
test-fuzz: deps fuzz-build
	$(Q)for tr in $(FUZZ_RUNS); do t=$${tr%%:*}; n=$${tr##*:}; \
		rm -rf $(FUZZ_BUILD)/corpus-test/$$t && mkdir -p $(FUZZ_BUILD)/corpus-test/$$t && \
		echo "  FUZZ     $$t ($$n runs, seed 1)" && \
		$(FUZZ_BUILD)/fuzz/$$t -seed=1 -runs=$$n -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/$$t- \
			$(FUZZ_BUILD)/corpus-test/$$t tests/fuzz/corpus/$$t \
			> $(FUZZ_BUILD)/$$t-test.log 2>&1 || \
			{ tail -n 60 $(FUZZ_BUILD)/$$t-test.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units' $(FUZZ_BUILD)/$$t-test.log; \
	done

$(BUILD)/bench/loadgen: tests/bench/loadgen.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g $(WARN) $< -o $@

$(BUILD)/bench/dgsend: tests/bench/dgsend.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g $(WARN) $< -o $@

# Overhead and capacity figures (root; a few minutes). See docs/BENCHMARKS.md.
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/bench/loadgen $(BUILD)/bench/dgsend
	$(Q)scripts/deps.sh bench
	$(Q)BUILD=$(BUILD) $(PYTHON) tests/bench/bench.py $(BENCH_ARGS)

# Minutes of mixed load, sampled: nothing may grow without bound (root; not
# part of make test). SOAK_ARGS="--minutes 10 --rate 20000".
soak: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/bench/loadgen
	$(Q)BUILD=$(BUILD) $(PYTHON) tests/bench/soak.py $(SOAK_ARGS)

run: deps-build
	$(Q)$(MAKE) --no-print-directory all
	$(BUILD)/whodunit --output stdout

# Packaging: `make deb`, `make test-package` (deb/deb.mk).
-include deb/deb.mk

# vmlinux.h is checked in; regenerate it from a kernel's BTF file on purpose.
vmlinux:
	@test -n "$(BTF)" || { echo "usage: make vmlinux BTF=/path/to/vmlinux-btf"; exit 64; }
	$(BPFTOOL) btf dump file $(BTF) format c > vmlinux/vmlinux.h

clean:
	rm -rf build build-san build-fuzz
