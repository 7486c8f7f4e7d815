# vidpipe — the two commands the README gives: `make demo` and `make test`.
SWIFT ?= swift
DEMO_DIR := demo

.PHONY: demo test build release setup clean bench

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

# Builds, renders a sample clip, runs the embedded default pipeline over it and prints what it found.
demo: release
	@bash scripts/make-sample.sh $(DEMO_DIR)/videos/sample.mp4
	.build/release/vidpipe validate pipelines/archive.yml
	.build/release/vidpipe run pipelines/archive.yml
	.build/release/vidpipe status --db $(DEMO_DIR)/archive.sqlite
	@echo
	@echo "Shots (sqlite3 $(DEMO_DIR)/archive.sqlite):"
	@sqlite3 -header -column $(DEMO_DIR)/archive.sqlite \
	  "SELECT idx, printf('%.2f', start_s) AS start_s, printf('%.2f', end_s) AS end_s FROM shots ORDER BY idx;"
	@echo
	@echo "Transcript:"
	@sqlite3 -column $(DEMO_DIR)/archive.sqlite \
	  "SELECT printf('%6.2f-%6.2f', t.start_s, t.end_s), t.text FROM transcript_segments t ORDER BY t.start_s;"
	@echo
	@echo "Captions ($(DEMO_DIR)/captions/sample.vtt):"
	@head -n 12 $(DEMO_DIR)/captions/sample.vtt
	@echo
	@echo "Search for a spoken word and an on-screen word:"
	.build/release/vidpipe search respectable --db $(DEMO_DIR)/archive.sqlite
	.build/release/vidpipe search norland --db $(DEMO_DIR)/archive.sqlite

test:
	@VIDPIPE_TEST_MODELS=1 bash scripts/setup.sh
	@bash scripts/install-browser.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Performance against the ffmpeg CLI, PySceneDetect, faster-whisper and a plain client of a real llama.cpp
# server; rewrites the section of docs/benchmarks.md. BENCH_ARGS=--quick for a smoke check,
# BENCH_ARGS="--only shots" for one group of rows. The model row needs the test models (VIDPIPE_TEST_MODELS=1).
bench:
	@VIDPIPE_TEST_MODELS=1 bash scripts/setup.sh
	python3 scripts/bench/run.py $(BENCH_ARGS)

clean:
	rm -rf .build $(DEMO_DIR)
