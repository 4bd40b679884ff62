"""Benchmarks of Zhengqian (``make bench``); see bench/README.md."""
