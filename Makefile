# SPDX-License-Identifier: GPL-2.0-or-later
# Makefile: the two commands (make check, make demo) and friends, over meson.
BUILD ?= build
MESON_TEST = meson test -C $(BUILD) --print-errorlogs --num-processes 2

.PHONY: all deps check check-slow check-module demo bench fuzz clean
all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	@scripts/install-deps.sh
	./configure --builddir=$(BUILD)

# Every skipped test point says why (g_test_skip / TAP "# SKIP reason"):
# list them after the run, since meson's console only counts them.
SHOW_SKIPS = grep -h -E '^ok [0-9]+ .*\# SKIP' \
	$(BUILD)/meson-logs/testlog.txt | sed 's/^ok [0-9]* /skipped: /' || true

check: all
	$(MESON_TEST) --no-suite slow
	@$(SHOW_SKIPS)

check-slow: all
	$(MESON_TEST) --suite slow
	@$(SHOW_SKIPS)

demo: all
	scripts/demo.sh $(BUILD)

bench: all
	ninja -C $(BUILD) bench-all
	scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
