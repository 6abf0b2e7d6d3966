# The README's entry points. Everything real lives in CMake; this file only
# installs dependencies and drives the two builds.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_CC    ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= fuzz_frame fuzz_msg fuzz_receipt fuzz_hello fuzz_config \
		fuzz_api_json fuzz_jsonv fuzz_http_head fuzz_note fuzz_tlog_frames \
		fuzz_tpl_body fuzz_stix fuzz_taxii_query fuzz_match fuzz_auth
JOBS       ?= $(shell nproc)

.PHONY: all deps build demo check test test-asan fuzz fuzz-build fuzz-merge bench clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@$(BUILD)/hotline demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHOTLINE_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

# make check: the normal build and the sanitizer build, every test in both.
check: test test-asan

# make fuzz: every libFuzzer target for FUZZ_SECONDS each (docs/FUZZING.md).
# New inputs go to $(FUZZ_BUILD)/corpus/<target>, crashes to
# $(FUZZ_BUILD)/artifacts/<target>/; fuzz/corpus is only read.
fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=$(FUZZ_CC) \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTLINE_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers

fuzz: fuzz-build
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	  echo "== $$t: $(FUZZ_SECONDS)s"; \
	  dict=; [ -f fuzz/$$t.dict ] && dict=-dict=fuzz/$$t.dict; \
	  $(FUZZ_BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) $$dict \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
	    $(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t 2>$(FUZZ_BUILD)/$$t.log; \
	  rc=$$?; grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec)' \
	    $(FUZZ_BUILD)/$$t.log; \
	  if [ $$rc -ne 0 ]; then fail=1; tail -n 40 $(FUZZ_BUILD)/$$t.log; fi; \
	done; exit $$fail

# make fuzz-merge: add to fuzz/corpus the inputs of the last runs that
# reach new coverage (review and commit them).
fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  $(FUZZ_BUILD)/fuzz/$$t -merge=1 fuzz/corpus/$$t \
	    $(FUZZ_BUILD)/corpus/$$t 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files'; \
	done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
