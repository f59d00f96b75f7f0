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

check: all
	$(MESON_TEST) --no-suite slow

check-slow: all
	$(MESON_TEST) --suite slow

demo: all
	scripts/demo.sh $(BUILD)

bench: all
	ninja -C $(BUILD) bench-all
	scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
