"""The load test's users (Locust): passengers looking a booking up, filing, and polling
their status page until the decision shows; a few clerks working the queue; a manager
reading the report. Run by bench/load.py, which prepares the bookings and the staff.

FastHttpUser (geventhttpclient), not HttpUser (python-requests): the load generator shares
the machine with the server, and a request costs it a fraction of the CPU this way."""

from __future__ import annotations

import heapq
import itertools
import os
import random
import re
import threading
import time

import gevent
from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BOOKINGS = int(os.environ.get("LOAD_BOOKINGS", "3000"))
_next_booking = itertools.count()

# How fast a passenger goes ("people", the default), by the keystroke-level model (Card,
# Moran and Newell): about 0.28 s a keystroke, 1.1 s to point at a field, 1.35 s to make
# up one's mind. The start page: a reference and a surname, about 14 keystrokes and two
# fields, 5-10 s. The claim form: prefilled; reading it, perhaps typing an e-mail address,
# 5-20 s. The status page refreshes itself every second until the decision shows
# (templates/passenger/status.html). "burst" is the earlier model: the four requests of a
# filing back to back, the form filled in no time, the status page 1-4 s later; a stress
# test rather than people.
PACE = os.environ.get("LOAD_PACE", "people")
TYPING_LOOKUP_S = (5.0, 10.0)
CHECKING_FORM_S = (5.0, 20.0)
STATUS_REFRESH_S = 1.0
_lock = threading.Lock()


# The slowest requests with when they came (seconds since the first), for bench/load.py to
# show where a p95 comes from: a few slow ones in the first seconds, or all along.
SLOWEST = os.environ.get("LOAD_SLOWEST")
_slowest: list[tuple[float, float, str]] = []
_first_at: list[float] = []


@events.request.add_listener
def _note_slow(request_type: str, name: str, response_time: float, **_: object) -> None:
    if not SLOWEST:
        return
    now = time.monotonic()
    if not _first_at:
        _first_at.append(now)
    with _lock:
        heapq.heappush(_slowest, (response_time, now - _first_at[0], f"{request_type} {name}"))
        if len(_slowest) > 20:
            heapq.heappop(_slowest)


@events.quitting.add_listener
def _write_slowest(**_: object) -> None:
    if SLOWEST:
        with open(SLOWEST, "w", encoding="utf-8") as out:
            for response_time, since, name in sorted(_slowest, reverse=True):
                out.write(f"{response_time:.0f}\t{since:.1f}\t{name}\n")


def _token(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) if match else ""


class Passenger(FastHttpUser):
    """Files one claim for a booking of their own, then follows it like a person would;
    then the next passenger takes this user's place."""

    weight = 60
    # Reading the decision, then the next passenger arrives (burst: 1-4 s between tasks).
    wait_time = between(2, 5) if PACE == "people" else between(1, 4)

    def on_start(self) -> None:
        self._next()

    def _next(self) -> None:
        """A new passenger arrives with a booking of their own."""
        with _lock:
            self.index = next(_next_booking)
        if self.index >= BOOKINGS:
            raise StopUser()
        self.status_url: str | None = None

    @task
    def journey(self) -> None:
        if self.status_url is None:
            self._file()
            if PACE == "burst":
                return  # the old model: the status page after the next wait_time
        while self.status_url is not None:
            page = self.client.get(self.status_url, name="/status/[token]")
            if "Approved" in page.text or "No compensation" in page.text:
                self._next()  # decided: this passenger is done
                return
            if PACE == "burst":
                return
            gevent.sleep(STATUS_REFRESH_S)  # the page's own refresh while undecided

    def _file(self) -> None:
        start = self.client.get("/", name="/ (start)")
        _think(*TYPING_LOOKUP_S)
        with self.client.post("/", name="/ (look-up)", data={
                "csrf_token": _token(start.text), "reference": f"L{self.index:07d}",
                "surname": f"Passenger{self.index}"}, allow_redirects=False,
                catch_response=True) as found:
            if found.status_code != 302:
                found.failure(f"look-up answered {found.status_code}")
                return
            found.success()
        form = self.client.get("/claim", name="/claim (form)")  # the browser follows at once
        _think(*CHECKING_FORM_S)
        filed = self.client.post("/claim", name="/claim (submit)", data={
            "csrf_token": _token(form.text), "passenger_name": f"Load Passenger{self.index}"},
            allow_redirects=False)
        if filed.status_code == 302:
            self.status_url = filed.headers["Location"]


def _think(low: float, high: float) -> None:
    if PACE == "people":
        gevent.sleep(random.uniform(low, high))


class Clerk(FastHttpUser):
    """Signs in, looks at the queue, takes the next claim and puts it back."""

    weight = 3
    wait_time = between(2, 6)

    def on_start(self) -> None:
        page = self.client.get("/clerk/login", name="/clerk/login")
        self.client.post("/clerk/login", name="/clerk/login (sign in)", data={
            "csrf_token": _token(page.text), "email": os.environ["LOAD_CLERK"],
            "password": os.environ["LOAD_PASSWORD"]})

    @task(3)
    def queue(self) -> None:
        self.client.get("/clerk/", name="/clerk/ (queue)")

    @task(1)
    def take_and_release(self) -> None:
        queue = self.client.get("/clerk/", name="/clerk/ (queue)")
        taken = self.client.post("/clerk/next", name="/clerk/next",
                                 data={"csrf_token": _token(queue.text)},
                                 allow_redirects=False)
        location = taken.headers.get("Location", "")
        if "/clerk/claims/" in location:
            page = self.client.get(location, name="/clerk/claims/[id]")
            self.client.post(location + "/release", name="/clerk/claims/[id]/release",
                             data={"csrf_token": _token(page.text)})


class Manager(FastHttpUser):
    weight = 1
    fixed_count = 1
    wait_time = between(5, 10)

    def on_start(self) -> None:
        page = self.client.get("/clerk/login", name="/clerk/login")
        self.client.post("/clerk/login", name="/clerk/login (sign in)", data={
            "csrf_token": _token(page.text), "email": os.environ["LOAD_MANAGER"],
            "password": os.environ["LOAD_PASSWORD"]})

    @task
    def report(self) -> None:
        self.client.get("/reports/", name="/reports/")
