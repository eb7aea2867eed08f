# oci-tools — top-level build. `make demo` and `make test` are the README's two commands;
# both set everything up first (system packages, node modules, native code, binaries).
SHELL := /bin/bash
PNPM := npx -y pnpm@12.4.2
BUN := $(CURDIR)/node_modules/.bin/bun
BIN := $(CURDIR)/dist/bin
TOOLS := $(patsubst packages/%/src/bin.ts,%,$(wildcard packages/*/src/bin.ts))

.PHONY: all setup system-deps deps native build binaries test test-unit test-integration test-v2 demo bench clean typecheck man

all: build

system-deps:
	bash scripts/system-deps.sh

deps: node_modules/.modules.yaml

node_modules/.modules.yaml: package.json pnpm-workspace.yaml pnpm-lock.yaml $(wildcard packages/*/package.json)
	$(PNPM) install --frozen-lockfile
	touch $@

native:
	$(MAKE) -C native

# Each tool is compiled by Bun with bytecode into one self-contained executable
# (see README "Development" for the measurements behind this choice); oci-init
# and the native library ship beside them.
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
binaries: deps native
	@mkdir -p $(BIN)
	@for t in $(TOOLS); do \
		$(BUN) build --compile --bytecode --splitting --format=esm --minify --sourcemap=none \
			--define OCI_TOOLS_COMMIT='"$(COMMIT)"' packages/$$t/src/bin.ts --outfile $(BIN)/oci-$$t >/dev/null || exit 1; \
	done
	cp native/build/oci-init native/build/libocisys.so $(BIN)/
	@echo "built: $$(ls $(BIN) | tr '\n' ' ')"

build: system-deps binaries

typecheck: deps
	node_modules/.bin/tsc -p tsconfig.json

man: deps
	$(BUN) packages/cli/scripts/gen-man.ts

test: build
	bash test/run.sh

demo: build
	bash demo/run.sh

bench: build
	bash bench/run.sh

clean:
	rm -rf dist
	$(MAKE) -C native clean
