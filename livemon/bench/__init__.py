"""Benchmarks behind ``livemon bench``: figures for the performance budget."""
