"""Fetch stage: the only package that imports httpx. ``Fetcher`` for the pipeline, ``fetch_once`` for one URL.

Pool design, measured with ``bench/fetch_pool.py`` (loopback, 20 KB feed, 1,500 requests, best of 3, on 2 cores
shared with other jobs; cells are requests per wall second / per CPU-second of the client process)::

    in flight            1          5         10         20         50        100
    shared client    498/1048    441/935    374/691    382/487    282/387    191/258
    Fetcher, 1 client 607/851    606/791    602/631    441/464    304/384    192/334
    Fetcher (shipped) 357/617    552/706    618/735    566/737    342/568    322/547

One shared AsyncClient gets dearer per request as requests pile up in its pool (httpcore rescans every
connection, quadratically, on each request), so the Fetcher spreads ``concurrency`` (64) over clients with
4 requests in flight each on average: the cost per request stays flat up to 100 in flight. A host sticks to
its client (up to 8 in flight there) and each client keeps up to 16 connections, so a poll of 1,000 feeds on
64 hosts opens ~70 connections instead of ~800, which cost more CPU than the requests themselves. On a quieter run the shipped
design held 800-900 requests per CPU-second from 1 to 50 in flight. httpcore also imports ``sniffio`` on
every lock: without it installed (anyio 4.16 no longer pulls it in) each request pays a failing import,
about half the throughput at 1-5 in flight.
"""

from watcher.fetch.fetcher import USER_AGENT, Fetcher, FetchSettings, fetch_once
from watcher.fetch.reach import Reach
from watcher.fetch.rules import parse_retry_after

__all__ = ["USER_AGENT", "FetchSettings", "Fetcher", "Reach", "fetch_once", "parse_retry_after"]
