# oci-tools — top-level build. `make demo` and `make test` are the README's two commands.
SHELL := /bin/bash
PNPM := npx -y pnpm@12.4.2
BUN := node_modules/.bin/bun

.PHONY: all deps native build test demo clean typecheck

all: build

deps: node_modules/.modules.yaml

node_modules/.modules.yaml: package.json pnpm-workspace.yaml $(wildcard packages/*/package.json)
	$(PNPM) install --frozen-lockfile=false
	touch $@

native:
	$(MAKE) -C native

build: deps native

typecheck: deps
	node_modules/.bin/tsc -p tsconfig.json

test: build typecheck

clean:
	rm -rf dist
	$(MAKE) -C native clean
