# vidpipe — the two commands the README gives: `make demo` and `make test`.
SWIFT ?= swift
DEMO_DIR := demo

.PHONY: demo test build release setup clean

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
	@echo "Shots and audio segments of the sample (sqlite3 $(DEMO_DIR)/archive.sqlite):"
	@sqlite3 -header -column $(DEMO_DIR)/archive.sqlite \
	  "SELECT idx, printf('%.2f', start_s) AS start_s, printf('%.2f', end_s) AS end_s FROM shots ORDER BY idx;"
	@sqlite3 -header -column $(DEMO_DIR)/archive.sqlite \
	  "SELECT kind, printf('%.2f', a.start_s) AS start_s, printf('%.2f', end_s) AS end_s, printf('%.1f', loudness_db) AS loudness_db FROM audio_segments a ORDER BY a.start_s;"
	@sqlite3 -header -column $(DEMO_DIR)/archive.sqlite \
	  "SELECT stage, COUNT(*) AS frames, printf('%.2f', MIN(t_s)) AS first_s, printf('%.2f', MAX(t_s)) AS last_s FROM frames GROUP BY stage;"

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

clean:
	rm -rf .build $(DEMO_DIR)
