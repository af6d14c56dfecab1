# Sanitizer and fuzzing builds (docs/fuzzing.md), included by the top-level Makefile.
# One tree, build-asan/, compiled by clang with ASan, UBSan and libFuzzer's coverage hooks: the
# unit and BPF fixture tests link it without libFuzzer's main, the fuzz targets with it.
ASAN_BUILD   := build-asan
SAN_CFLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fsanitize=fuzzer-no-link
ASAN_LIB_OBJS  := $(patsubst $(BUILD)/%,$(ASAN_BUILD)/%,$(LIB_OBJS))
ASAN_TEST_BINS := $(patsubst $(BUILD)/%,$(ASAN_BUILD)/%,$(TEST_BINS))
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(ASAN_BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60

.PHONY: asan fuzz-build fuzz
.SECONDARY: $(ASAN_LIB_OBJS)
asan: $(ASAN_TEST_BINS)
fuzz-build: $(FUZZ_BINS)
test: asan fuzz-build

$(ASAN_BUILD)/%.o: %.c $(HEADERS) $(SKELS)
	$(call msg,ASAN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(CPPFLAGS) $(CFLAGS) $(SAN_CFLAGS) -c $< -o $@
$(ASAN_BUILD)/user/cli/version.o: $(BUILD)/version.h

$(ASAN_BUILD)/tests/%: tests/%.c $(ASAN_LIB_OBJS) $(HEADERS) $(SKELS)
	$(call msg,ASAN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(CPPFLAGS) -Itests $(CFLAGS) $(SAN_CFLAGS) $< $(ASAN_LIB_OBJS) -o $@ $(LDLIBS)

$(ASAN_BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h tests/fuzz/fuzz_state.h $(ASAN_LIB_OBJS) $(HEADERS) $(SKELS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) $(SAN_CFLAGS) -fsanitize=fuzzer $< \
		$(ASAN_LIB_OBJS) -o $@ $(LDLIBS)

# Each target for FUZZ_SECONDS; `make test` runs them for a few seconds each (tests/run.sh).
fuzz: $(FUZZ_BINS)
	$(Q)fail=0; for t in $(FUZZ_TARGETS); do \
		FUZZ_CORPUS=$(ASAN_BUILD)/fuzz/corpus tests/fuzz/run.sh $$t $(FUZZ_SECONDS) || fail=1; \
	done; exit $$fail
