"""Benchmark evaluations (NAB, SKAB, C-MAPSS) of the detection models."""
