# lazybench: see README.md. Every target works on a fresh clone with only Go
# installed (make record also installs the Debian packages of the tools it
# runs, never a kernel; it needs root).

GO        ?= go
GOBIN     ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION ?= v0.8.2
FUZZTIME  ?= 3s
BENCHTIME ?= 1x
COUNT     ?= 1
OUT       ?= out

.PHONY: all build test lint unit fuzz bench plots report traces record clean

all: build

build:
	$(GO) build -o $(OUT)/lazybench ./cmd/lazybench

# make test: formatting, go.mod and go.sum as go mod tidy leaves them, vet
# (also of a 32-bit build, where int is 32 bits wide), staticcheck, the
# race-enabled tests, and a short fuzz pass over every fuzz target.
test: lint unit fuzz

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) mod tidy -diff
	$(GO) vet ./...
	GOARCH=386 $(GO) vet ./...
	@test -x $(GOBIN)/staticcheck && $(GOBIN)/staticcheck -version | grep -q "$(STATICCHECK_VERSION:v%=%)" || \
		GOBIN=$(GOBIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN)/staticcheck ./...

unit:
	$(GO) test -race -count=1 ./...

fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz-all

# make bench: the replay matrix over the shipped corpus (see README).
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(COUNT) ./bench/

# make traces: regenerate the shipped synthetic corpus and its manifest.
traces:
	$(GO) run ./cmd/lazybench gen-corpus -dir corpus

# make report: the main job, charts and an HTML page under out/report/.
report:
	$(GO) run ./cmd/lazybench report -o $(OUT)/report

plots: report

# make record: record a real trace from Debian's kernel under QEMU (see
# docs/recording.md): ARCH=x86_64 (the default) records Debian 12's 6.1
# amd64 kernel, or with ARCH=x86_64 given on the command line Debian's
# newest 7.x amd64 kernel; KERNEL=debian12 or KERNEL=debian chooses
# explicitly. Every kernel is fetched (apt-get download, dpkg-deb -x into the
# work folder), never installed on the host. ARCH=arm64 records
# Debian's newest 7.x arm64 kernel; KERNEL=build (arm64) builds a small
# kernel with DEBUG_PAGEALLOC and KASAN from Debian's linux-source first
# (record/kbuild/build.sh, cached; never in CI).
ARCH      ?= x86_64
ifeq ($(origin ARCH),command line)
KERNEL    ?= debian
else ifeq ($(ARCH),x86_64)
KERNEL    ?= debian12
else
KERNEL    ?= debian
endif
record:
	@case "$(ARCH)" in \
	x86_64 | x86) RECORD_KERNEL='$(KERNEL)' record/record.sh ;; \
	arm64) RECORD_KERNEL='$(KERNEL)' record/record-arm64.sh ;; \
	*) echo "make record: ARCH=$(ARCH): want x86_64 or arm64"; exit 2 ;; \
	esac

clean:
	rm -rf $(OUT)
