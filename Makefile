# SPDX-License-Identifier: GPL-2.0-or-later
# Makefile: the two commands (make check, make demo) and friends, over meson.
BUILD ?= build
MESON_TEST = meson test -C $(BUILD) --print-errorlogs --num-processes 2

.PHONY: all deps check check-install check-slow check-module demo bench \
	fuzz clean
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
	@$(CHECK_INSTALL)

# `meson install` into a scratch DESTDIR must put minivmm and the user
# scripts in bindir, and they must run from there.
INSTALLED = minivmm minivmm-analyze-migration minivmm-qmp-shell-lite
BINDIR_PY = python3 -c 'import json, os, sys; \
	o = {x["name"]: x["value"] for x in json.load(sys.stdin)}; \
	print(os.path.join(o["prefix"], o["bindir"]))'
CHECK_INSTALL = set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	meson install -C $(BUILD) --no-rebuild --quiet --destdir "$$d"; \
	bin=$$(meson introspect $(BUILD) --buildoptions | $(BINDIR_PY)); \
	for f in $(INSTALLED); do \
	    test -x "$$d$$bin/$$f" || \
	        { echo "check-install: $$bin/$$f not installed"; exit 1; }; \
	done; \
	"$$d$$bin/minivmm" -version >/dev/null; \
	"$$d$$bin/minivmm-analyze-migration" --help >/dev/null; \
	"$$d$$bin/minivmm-qmp-shell-lite" --help >/dev/null; \
	echo "check-install: $(INSTALLED) install to $$bin and run"

check-install: all
	@$(CHECK_INSTALL)

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
