"""Fetch stage: the only package that imports httpx. ``Fetcher`` for the pipeline, ``fetch_once`` for one URL.

Throughput on loopback (bench/fetch_pool.py, 20 KB feed, 2 shared cores, best of 3; see the report):
filled in from the benchmark below.
"""

from watcher.fetch.fetcher import USER_AGENT, Fetcher, FetchSettings, fetch_once
from watcher.fetch.rules import parse_retry_after

__all__ = ["USER_AGENT", "FetchSettings", "Fetcher", "fetch_once", "parse_retry_after"]
