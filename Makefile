# make build: everything in build/ (npm ci first on a fresh clone).
# build/mdk-init      the C helper (native/)
# build/moby-dick     the CLI, one bundled CommonJS file (a symlink to moby-dick.cjs)
# build/lib.mjs       the library, one bundled file; types in build/types
# build/tsc           every module and test, compiled (what `npm test` runs)

TS_SRC := $(shell find src test -name '*.ts' 2>/dev/null)
C_SRC := $(wildcard native/src/*.c native/src/*.h)

.PHONY: build native test clean
build: node_modules/.package-lock.json build/mdk-init build/moby-dick.cjs build/tsc/.done

native: build/mdk-init

build/mdk-init: $(C_SRC) native/Makefile
	$(MAKE) -s -C native OUT=../build/mdk-init

node_modules/.package-lock.json: package-lock.json
	npm ci

build/moby-dick.cjs: $(TS_SRC) scripts/bundle.mjs package.json node_modules/.package-lock.json
	node scripts/bundle.mjs

build/tsc/.done: $(TS_SRC) tsconfig.json node_modules/.package-lock.json
	npx tsc -p tsconfig.json
	@touch $@

test: build
	node --test --test-concurrency=1 build/tsc/

clean:
	rm -rf build
