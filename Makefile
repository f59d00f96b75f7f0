# SPDX-License-Identifier: GPL-2.0-or-later
# Makefile: the two commands (make check, make demo) and friends, over meson.
BUILD ?= build
MESON_TEST = meson test -C $(BUILD) --print-errorlogs --num-processes 2
# Every skipped test point says why (g_test_skip / TAP "# SKIP reason"):
# list them after the run, since meson's console only counts them.
SHOW_SKIPS = grep -h -E '^ok [0-9]+ .*\# SKIP' \
	$(BUILD)/meson-logs/testlog.txt | sed 's/^ok [0-9]* /skipped: /' || true

.PHONY: all deps check check-install check-slow check-module check-iotests \
	check-sanitizers check-upstream demo bench fuzz clean
all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	@scripts/install-deps.sh
	./configure --builddir=$(BUILD)

check: all
	$(MESON_TEST) --no-suite slow
	@$(SHOW_SKIPS)
	@scripts/check-install.sh $(BUILD)

check-install: all
	@scripts/check-install.sh $(BUILD)

# The slow suite, then QEMU 7.2's bitmap iotests against minivmm (exit
# status 77 means QEMU's source could not be fetched, which skips them),
# then the tests and the fault matrix under the sanitizers.
check-slow: all
	$(MESON_TEST) --suite slow
	@$(SHOW_SKIPS)
	scripts/check-iotests.sh $(BUILD) || [ $$? -eq 77 ]
	scripts/check-sanitizers.sh

# A build with ASan/UBSan/LSan in build-san; every test but the slow
# suite, and the whole fault matrix; any sanitizer report fails.
check-sanitizers:
	scripts/check-sanitizers.sh

check-iotests: all
	scripts/check-iotests.sh $(BUILD)

# QEMU 7.2 built with our migration/block-dirty-bitmap.c (or MODULE=FILE),
# and its iotests.
check-upstream:
	@scripts/install-deps.sh --upstream
	scripts/check-upstream.sh $(MODULE)

demo: all
	scripts/demo.sh $(BUILD)

bench: all
	ninja -C $(BUILD) bench-all
	scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
