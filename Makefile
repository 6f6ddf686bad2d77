# Front door. The real build is CMake; this file is the two commands a new
# user types (`make run`, `make test`) plus bench, plots, deps and clean.
BUILD ?= build
SAN ?= 0
TSAN ?= 0
JOBS ?= $(shell nproc)
CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAUCUS_SAN=$(SAN) \
	-DCAUCUS_TSAN=$(TSAN)
ifeq ($(SAN),1)
BUILD := build-san
endif
ifeq ($(TSAN),1)
BUILD := build-tsan
endif

MAKEFLAGS += --no-print-directory

PREFIX ?= /usr/local

.PHONY: all deps build run test bench plots soak fuzz install clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@sh scripts/run.sh $(BUILD)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j 2 $(CTEST_ARGS)

bench: build
	@sh bench/run.sh $(BUILD)

# the plots of docs/ (SVG, gnuplot) from the data the last make bench left
# in bench/out/ (make bench draws them at its end too)
plots:
	@bash bench/plot.sh

# the soak (bench/soak.sh): SOAK_N callers (400) joining and leaving for
# SOAK_SECONDS (3600) against caucusd under AddressSanitizer, a kill -9
# halfway
SOAK_SECONDS ?= 3600
SOAK_N ?= 400
soak:
	@$(MAKE) build SAN=1
	@bash bench/soak.sh build-san $(SOAK_SECONDS) $(SOAK_N)

# the fuzz targets under libFuzzer for FUZZ_SECONDS each (scripts/fuzz.sh)
fuzz: deps
	@sh scripts/fuzz.sh

# binaries, console and docs under PREFIX, /etc/caucus/caucus.conf (kept if
# present), the systemd unit; DESTDIR for staging
install: build
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)
	@DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) sh scripts/install.sh

clean:
	rm -rf build build-san build-tsan build-fuzz
