"""gunicorn's settings for every way the portal is served (`make run`, Production, the
benches): gunicorn reads this file from the directory it starts in."""

# A keep-alive connection is held open longer than a load balancer (typically 60 s) or a
# browser keeps its idle one: the server closing first is what a client sees as a reset
# on its next request ("connection closed without response", a 502 at the balancer).
# gthread keeps idle connections in its poller, not on a thread.
keepalive = 75

# Access and error lines without a status link's or an invitation's token (issue 43).
logger_class = "portal.gunicorn_logging.WithoutTokensLogger"


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """Before the worker takes its first request: the pages compiled (portal.templating),
    and the 200,000 objects of the loaded app set aside from garbage collection. Left in,
    the first full collection scanned them all during some request: the first queue
    page of a new worker took 135-151 ms instead of 10 ms (100 ms of it in the
    collector), and every thread of the worker waited with it."""
    import gc

    from portal.templating import compile_pages

    compile_pages(worker.wsgi)
    gc.collect()
    gc.freeze()
