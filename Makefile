# The two entry points of the README: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
STAMP := node_modules/.installed
APT_PACKAGES := iptables conntrack libnetfilter-queue-dev libmnl-dev iproute2 iputils-ping openssl g++ make python3
PROTO_FILES := networkservice/networkservice.proto networkservice/connection.proto \
  networkservice/connectioncontext.proto registry/registry.proto ipam/ipam.proto nsp/nsp.proto

.PHONY: help deps apt build native proto lint format test demo clean

help:
	@echo "make demo   run the main job (the local demo)"
	@echo "make test   install what is missing, build, lint, type-check and run every test"

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

$(STAMP): package-lock.json
	npm ci --no-audit --no-fund
	@touch $(STAMP)

deps: apt $(STAMP)

PROTO_STAMP := proto/gen/.generated
$(PROTO_STAMP): $(addprefix proto/,$(PROTO_FILES)) | $(STAMP)
	@rm -rf proto/gen
	npx proto-loader-gen-types --keepCase --longs=String --enums=String --defaults --oneofs \
	  --grpcLib=@grpc/grpc-js --importFileExtension=.js -I proto -I proto/networkservice -O proto/gen $(PROTO_FILES) 2>&1 \
	  | { grep -v 'not found in any of the include paths\|trace-warnings' || true; }
	@touch $@

proto: $(PROTO_STAMP)

NATIVE_ADDON := build/Release/meridio_nfqueue.node
$(NATIVE_ADDON): binding.gyp $(wildcard native/*.cc native/*.h) | deps
	npx node-gyp rebuild

native: $(NATIVE_ADDON)

# One compiler pass type-checks everything (tests included) and emits dist/, which the process tests,
# the benchmarks and `make demo` run.
build: deps proto native
	npx tsc -p tsconfig.json
	chmod +x dist/bin/meridio.js

lint: $(STAMP)
	npx eslint .
	npx prettier --check .

format: $(STAMP)
	npx prettier --write .

test: build lint
	NODE_OPTIONS=--experimental-vm-modules npx jest --ci

demo: build
	node dist/examples/local-demo/demo.js

clean:
	rm -rf dist build proto/gen
