"""The benchmark harness behind `make bench` (see bench/README.md). Not part of the app."""
