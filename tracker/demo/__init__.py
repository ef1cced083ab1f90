"""Synthetic traffic for the demo site and benchmarks: visitors, visits and events through the real pipeline."""
