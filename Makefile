# make build: everything in build/ (runs npm ci first on a fresh clone).
#   build/mdk-init      the C helper (native/src), built by `npm ci` too
#   build/mdk-node.node the N-API addon that spawns it (native/addon)
#   build/moby-dick     the CLI: a launcher (native/launcher) that starts the
#                       snapshot moby-dick.blob, or moby-dick.cjs, which runs
#                       the bundle moby-dick-cli.cjs with its code cache
#   build/moby-dick-runtime  the OCI runtime: a launcher (native/launcher) that
#                       starts moby-dick-runtime.blob, a V8 startup snapshot
#                       of the bundle moby-dick-runtime.cjs, or that bundle
#   build/lib.mjs       the library, one bundled ES module; types in build/types
#   build/unpack.mjs    moby-dick/unpack: the layer unpacker alone (src/unpack.ts)
#   build/tsc           every module and test, compiled (what `npm test` runs)
#   build/man           the man pages, from each command's --help
#                       (scripts/man-pages.mjs; package.json's "man" lists them)

TS_SRC := $(shell find src test -name '*.ts' 2>/dev/null)

.PHONY: build native js man test test-unprivileged clean
build: node_modules/.package-lock.json native js man

# native/Makefile knows when its outputs are up to date
native:
	$(MAKE) -s -C native OUTDIR=../build

js: build/moby-dick.cjs build/tsc/.done

node_modules/.package-lock.json: package-lock.json
	npm ci

build/moby-dick.cjs: $(TS_SRC) scripts/bundle.mjs scripts/snapshot.mjs package.json package-lock.json
	node scripts/bundle.mjs
	node scripts/snapshot.mjs

# the man pages: from the compiled registry, whenever it changes
man: build/man.done

build/man.done: build/tsc/.done scripts/man-pages.mjs package.json
	node scripts/man-pages.mjs
	@touch $@

build/tsc/.done: $(TS_SRC) tsconfig.json
	npx tsc -p tsconfig.json
	@touch $@

# every *.test.js, one file at a time (the integration tests' leak checks
# must not see another file's containers); helpers under test/helpers are
# not tests, so the directory is not handed to node --test as a whole
test: build
	node --test --test-concurrency=1 $$(find build/tsc -name '*.test.js' | sort)

# the unit tests as nobody (as root: scripts/unit-unprivileged.sh)
test-unprivileged: build
	scripts/unit-unprivileged.sh

clean:
	rm -rf build
