"""gunicorn's settings for every way the portal is served (`make run`, Production, the
benches): gunicorn reads this file from the directory it starts in."""

# A keep-alive connection is held open longer than a load balancer (typically 60 s) or a
# browser keeps its idle one: the server closing first is what a client sees as a reset
# on its next request ("connection closed without response", a 502 at the balancer).
# gthread keeps idle connections in its poller, not on a thread.
keepalive = 75


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """The pages compiled before the worker takes its first request (portal.templating)."""
    from portal.templating import compile_pages

    compile_pages(worker.wsgi)
