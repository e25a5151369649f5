"""gunicorn's logger (the `logger_class` setting in gunicorn.conf.py): its access and
error logs as gunicorn writes them, without a status link's or an invitation's token
(common.log_redaction). The request line, the referer, a redirect's Location and the
"Error handling request" line all carry the path."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from common.log_redaction import WithoutTokens


class WithoutTokensLogger(Logger):
    def setup(self, cfg: Any) -> None:
        # setup() runs again on a reload (SIGHUP); a filter is added once.
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(found, WithoutTokens) for found in log.filters):
                log.addFilter(WithoutTokens())
