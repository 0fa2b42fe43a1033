"""The real app plus two routes that crash, for tests of what a crash writes to the logs.

``/c/<token>/crash`` raises with the request URL in the exception's message (the app's own
crash handler logs it); ``/c/<token>/crash-twice`` raises an error whose handler fails too,
so Flask's ``log_exception`` writes "Exception on /c/<token>/crash-twice [GET]".
"""

from flask import request

from wsgi import app


class _HandlerAlsoFails(Exception):
    pass


@app.get("/c/<token>/crash")
def crash(token):
    raise RuntimeError(f"boom while serving {request.url}")


@app.get("/c/<token>/crash-twice")
def crash_twice(token):
    raise _HandlerAlsoFails(request.path)


@app.errorhandler(_HandlerAlsoFails)
def _failing_handler(exc):
    raise RuntimeError(f"the handler failed too for {exc}")
