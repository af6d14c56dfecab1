# cbpfnet: one Makefile, no recursion. `make V=1` prints full commands.
CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
PREFIX  ?= /usr/local
BUILD   := build

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS     := libbpf libnl-3.0 libnl-route-3.0 json-c sqlite3 libelf zlib libmicrohttpd libcurl
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror
# Where `daemon --listen` finds the web UI's files unless --ui-dir says otherwise.
UI_DIR   ?= $(PREFIX)/share/cbpfnet/ui
CPPFLAGS += -D_GNU_SOURCE -Imaps -Iuser -I$(BUILD) $(shell pkg-config --cflags $(PKGS))
CPPFLAGS += -DCBPF_UI_DIR='"$(UI_DIR)"'
# libcurl and libmicrohttpd are opened when cluster mode or the agent's server needs them
# (user/cluster/curl_lib.c, user/api/mhd_lib.c), not linked: their libraries cost every
# command's start-up, `ep add` from the command line included, about 4 ms.
LDLIBS   += $(shell pkg-config --libs $(filter-out libcurl libmicrohttpd,$(PKGS))) -lm -lpthread
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Imaps -Ibpf -I$(BUILD)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(filter-out user/cni/plugin_main.c user/front/%,$(wildcard user/*.c user/*/*.c))
USER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))
TEST_SRCS := $(wildcard tests/unit/test_*.c tests/bpf/test_*.c)
TEST_BINS := $(patsubst %.c,$(BUILD)/%,$(TEST_SRCS))
# Helpers the integration tests run (tests/run.sh runs only test_* binaries).
TEST_TOOLS := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/tools/*.c))
HEADERS   := $(wildcard maps/*.h bpf/*.h user/*.h user/*/*.h tests/*.h)

.PHONY: all test install clean format data bench FORCE
.SECONDARY: $(BPF_OBJS) $(SKELS)
all: cbpfnet cbpfnet-full cbpfnet-cni $(TEST_BINS) $(TEST_TOOLS)

# vmlinux.h follows the running kernel when it exposes BTF; the committed copy covers the rest.
$(BUILD)/vmlinux.h: | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)if [ -r /sys/kernel/btf/vmlinux ]; then \
		$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@; \
	else cp vmlinux/vmlinux.h $@; fi

$(BUILD):
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(HEADERS)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# --version names the source: git describe at build time, rewritten only when it changes.
CBPF_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/version.h: FORCE | $(BUILD)
	$(Q)echo '#define CBPF_VERSION "$(CBPF_VERSION)"' > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/user/cli/version.o: $(BUILD)/version.h
FORCE:

$(BUILD)/%.o: %.c $(HEADERS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The CNI plugin alone: what a runtime execs once per container, kept to one library and linked
# statically, as the dynamic loader's work was a third of its start-up (1.5 ms against 1.0 ms).
CNI_OBJS := $(addprefix $(BUILD)/user/,cni/plugin_main.o cni/plugin.o cni/request.o \
	client/client.o json/json_in.o core/err.o)
cbpfnet-cni: $(CNI_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -static $^ -o $@ $(shell pkg-config --static --libs json-c)

# `cbpfnet` is the front: a static client that sends a command line to the agent and hands
# everything else to cbpfnet-full, next to it (user/front/front_main.c). Start-up is most of what
# `ep add` costs from the command line: cbpfnet-full, with its ten libraries, starts 1.4-1.6 ms
# slower (docs/benchmarks.md).
FRONT_OBJS := $(addprefix $(BUILD)/user/,front/front_main.o cli/globals.o cli/errors.o \
	client/forward_exec.o client/forward_local.o client/client.o core/err.o core/output.o)
cbpfnet: $(FRONT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -static $^ -o $@ $(shell pkg-config --static --libs json-c)

cbpfnet-full: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(LIB_OBJS) $(HEADERS) $(SKELS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS)

test: all
	$(Q)tests/run.sh

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst %.c,$(BUILD)/%,$(BENCH_SRCS))

$(BUILD)/bench/%: bench/%.c $(LIB_OBJS) $(HEADERS) $(SKELS)
	$(call msg,BENCH,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS)

bench: all $(BENCH_BINS)

SYSTEMD_DIR ?= /etc/systemd/system

# The agent's unit goes in too (start it with `systemctl daemon-reload && systemctl enable --now
# cbpfnet`), and the bash completion and man page the binary writes from its command tables.
install: cbpfnet cbpfnet-full cbpfnet-cni
	install -D -m 0755 cbpfnet $(DESTDIR)$(PREFIX)/sbin/cbpfnet
	install -D -m 0755 cbpfnet-full $(DESTDIR)$(PREFIX)/sbin/cbpfnet-full
	install -D -m 0755 cbpfnet-cni $(DESTDIR)/opt/cni/bin/cbpfnet
	sed 's|/usr/local/sbin|$(PREFIX)/sbin|' scripts/systemd/cbpfnet.service > $(BUILD)/cbpfnet.service
	install -D -m 0644 $(BUILD)/cbpfnet.service $(DESTDIR)$(SYSTEMD_DIR)/cbpfnet.service
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/cbpfnet/README.md
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/man/man8
	./cbpfnet completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/cbpfnet
	./cbpfnet help --man > $(DESTDIR)$(PREFIX)/share/man/man8/cbpfnet.8
	install -d $(DESTDIR)$(UI_DIR)
	install -m 0644 ui/*.html ui/*.css ui/*.js ui/*.svg $(DESTDIR)$(UI_DIR)/

format:
	clang-format -i $(wildcard bpf/*.c bpf/*.h maps/*.h user/*.c user/*.h user/*/*.c user/*/*.h tests/*/*.c tests/*.h)

clean:
	rm -rf $(BUILD) build-asan cbpfnet cbpfnet-full cbpfnet-cni

-include model/model.mk
-include tests/sanitize.mk
