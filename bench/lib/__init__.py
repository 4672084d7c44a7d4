"""Shared helpers of the benchmark harness (bench/run.py): processes and
machine accounting, the servers under test, wrk, the Node peer, reports."""
