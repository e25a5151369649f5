import json
from decimal import Decimal
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from claims.db.models import Booking, BookingLeg, OperationsRecord
from claims.operators.imports import CHUNK
from tests.helpers import count, create_operator, write_lines
from tests.records import DAY, arrival, rail_booking


def test_cli_imports_bookings_idempotently(app: Flask, runner: FlaskCliRunner,
                                           tmp_path: Path) -> None:
    create_operator(app)
    file = write_lines(tmp_path / "bookings.jsonl",
                       [rail_booking("AAAA01"), rail_booking("AAAA02"), rail_booking("AAAA03")])
    first = runner.invoke(args=["bookings", "import", str(file)])
    assert first.exit_code == 0, first.output
    assert "3 created, 0 replaced, 0 rejected" in first.output
    again = runner.invoke(args=["bookings", "import", str(file)])
    assert again.exit_code == 0
    assert "0 created, 3 replaced, 0 rejected" in again.output
    assert count(app, Booking) == 3
    assert count(app, BookingLeg) == 6


def test_a_record_with_the_same_key_replaces_the_earlier_one(app: Flask, runner: FlaskCliRunner,
                                                              tmp_path: Path) -> None:
    create_operator(app)
    runner.invoke(args=["bookings", "import",
                        str(write_lines(tmp_path / "a.jsonl", [rail_booking("AAAA01")]))])
    changed = rail_booking("AAAA01", fare={"amount": "99.50", "currency": "EUR",
                                           "kind": "return"})
    changed["legs"] = changed["legs"][:1]
    result = runner.invoke(args=["bookings", "import",
                                 str(write_lines(tmp_path / "b.jsonl", [changed]))])
    assert result.exit_code == 0
    with app.extensions["effortless"].session_factory() as session:
        booking = session.scalars(select(Booking)).one()
        assert (booking.fare_amount, booking.fare_kind) == (Decimal("99.50"), "return")
        assert [leg.service for leg in booking.legs] == ["ICE 597"]


def test_bad_lines_are_reported_by_number_and_do_not_stop_the_rest(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    create_operator(app)
    broken_leg = rail_booking("BBBB02")
    broken_leg["legs"][1]["scheduled_arrival"] = "yesterday"
    file = write_lines(tmp_path / "mixed.jsonl", [
        rail_booking("BBBB01"),
        broken_leg,
        "{not json",
        rail_booking("BBBB04", operator="nobody"),
        "",
        rail_booking("BBBB06"),
    ])
    result = runner.invoke(args=["bookings", "import", str(file)])
    assert result.exit_code == 1
    assert "line 2: legs[1].scheduled_arrival: an ISO 8601 time" in result.output
    assert "line 3: not valid JSON" in result.output
    assert "line 4: operator: no operator 'nobody'" in result.output
    assert "2 created, 0 replaced, 3 rejected" in result.output
    # The rejected booking left nothing behind, not even its valid first leg.
    with app.extensions["effortless"].session_factory() as session:
        assert set(session.scalars(select(Booking.reference))) == {"BBBB01", "BBBB06"}
    assert count(app, BookingLeg) == 4


def test_operations_import_is_idempotent_on_its_key(app: Flask, runner: FlaskCliRunner,
                                                    tmp_path: Path) -> None:
    create_operator(app)
    file = write_lines(tmp_path / "ops.jsonl", [
        arrival(), arrival(service="ICE 597", stop="Mannheim Hbf",
                           actual=f"{DAY}T10:55:00+01:00")])
    assert runner.invoke(args=["operations", "import", str(file)]).exit_code == 0
    later = write_lines(tmp_path / "later.jsonl", [arrival(actual=None, cancelled=True,
                                                           cause="extreme-weather")])
    result = runner.invoke(args=["operations", "import", str(later)])
    assert "0 created, 1 replaced, 0 rejected" in result.output
    with app.extensions["effortless"].session_factory() as session:
        record = session.scalars(select(OperationsRecord)
                                 .where(OperationsRecord.service == "IC 2013")).one()
        assert record.cancelled and record.actual_arrival is None
        assert record.cause == "extreme-weather"
    assert count(app, OperationsRecord) == 2


def test_operators_create_prints_a_key_once(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["operators", "create", "acme-rail", "--name", "Acme Rail",
                                 "--regime", "eu-rail"])
    assert result.exit_code == 0
    assert result.output.startswith("eff_")
    again = runner.invoke(args=["operators", "create", "acme-rail", "--name", "Acme",
                                "--regime", "eu-rail"])
    assert again.exit_code == 2
    assert "exists already" in again.output


def test_api_imports_need_the_operators_key(app: Flask, client: FlaskClient) -> None:
    key = create_operator(app)
    body = json.dumps([rail_booking("CCCC01")])
    assert client.post("/api/v1/bookings", data=body).status_code == 401
    wrong = client.post("/api/v1/bookings", data=body,
                        headers={"Authorization": "Bearer eff_wrong"})
    assert wrong.status_code == 401
    assert wrong.json == {"error": "Unauthorized", "message": "This API key is not valid."}
    ok = client.post("/api/v1/bookings", data=body, headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200
    assert ok.json == {"created": 1, "replaced": 0, "rejected_count": 0,
                       "rejected_listed_at_most": 100, "rejected": []}


def test_api_takes_json_lines_and_refuses_another_operators_records(
        app: Flask, client: FlaskClient) -> None:
    key = create_operator(app)
    create_operator(app, "other-rail")
    body = "\n".join(json.dumps(r) for r in [
        arrival(), arrival(operator="other-rail"), arrival(service="ICE 597")])
    response = client.post("/api/v1/operations", data=body,
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 422
    assert response.json["created"] == 2
    assert response.json["rejected"] == [
        {"line": 2, "reason": "operator: 'other-rail' is not the operator of this API key"}]
    assert count(app, OperationsRecord) == 2


def test_api_answers_bad_bodies_with_4xx_never_500(app: Flask, client: FlaskClient) -> None:
    key = create_operator(app)
    headers = {"Authorization": f"Bearer {key}"}
    for body in (b"", b"[", b"\xff\xfe", b"[1, 2]", b'{"reference": 5}', b"null"):
        response = client.post("/api/v1/bookings", data=body, headers=headers)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.is_json


def test_an_upload_over_the_pages_limit_goes_through_the_api(
        app: Flask, client: FlaskClient) -> None:
    """Operators send bookings in bulk (100,000 are about 60 MB): the 6 MB limit of the
    pages' forms is not theirs. Anonymous bodies that large are still refused."""
    key = create_operator(app)
    records = [rail_booking(f"BULK{index:04d}") for index in range(50)]
    body = json.dumps(records) + " " * (7 * 1024 * 1024)  # valid JSON, over 6 MB
    response = client.post("/api/v1/bookings", data=body,
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.json["created"] == 50
    assert client.post("/api/v1/bookings", data=body).status_code in (401, 413)


def test_hostile_lines_are_rejected_with_a_reason_and_the_rest_imported(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    """JSON Python's parser chokes on (deep nesting: RecursionError; 5,000 digits: the
    int-str limit) or takes where JSON does not (NaN), and one-line texts that would break
    a line: each a rejected line with its reason. A U+2028 inside a JSON string is not a
    line break of JSON Lines (the line's name is then refused for it, as line 8)."""
    create_operator(app)
    file = write_lines(tmp_path / "hostile.jsonl", [
        rail_booking("HOST01"),
        "[" * 10_000 + "]" * 10_000,
        '{"reference": ' + "9" * 5000 + "}",
        '{"reference": NaN}',
        rail_booking("HOST05", fare={"amount": "1e999", "currency": "EUR", "kind": "single"}),
        rail_booking("HOST06", fare={"amount": "1" * 30, "currency": "EUR", "kind": "single"}),
        arrival(stop="Stuttgart\r\nHbf"),
        rail_booking("HOST08", passenger={"name": "Erika\u2028Mustermann"}),
        rail_booking("HOST09"),
    ])
    result = runner.invoke(args=["bookings", "import", str(file)])
    assert result.exit_code == 1
    for reason in ("line 2: not valid JSON: nested too deeply",
                   "line 3: not valid JSON: a number with too many digits",
                   "line 4: not valid JSON: NaN is not a JSON value",
                   "line 5: fare.amount: at most 999999999.99",
                   "line 6: fare.amount: at most 999999999.99",
                   "line 8: passenger.name: one line, without line breaks"):
        assert reason in result.output
    assert "2 created, 0 replaced, 7 rejected" in result.output
    operations = runner.invoke(args=["operations", "import", str(
        write_lines(tmp_path / "ops.jsonl", [arrival(stop="Stuttgart\u202eHbf"),
                                               arrival()]))])
    assert "line 1: stop: one line, without line breaks" in operations.output
    assert "1 created" in operations.output


def _bad_and_good_lines(bad: int) -> tuple[str, list[int]]:
    """`bad` lines each rejected for a reason of its own kind, with a good booking after
    every tenth; and the numbers of the bad lines."""
    lines, bad_numbers = [], []
    for index in range(bad):
        if index % 10 == 0:
            lines.append(json.dumps(rail_booking(f"GOOD{index:04d}")))
        lines.append("1" if index % 2 else json.dumps(rail_booking(f"BAD{index:04d}",
                                                                   regime="by-coach")))
        bad_numbers.append(len(lines))
    return "\n".join(lines) + "\n", bad_numbers


def test_many_rejected_lines_are_counted_and_the_first_hundred_listed(
        app: Flask, client: FlaskClient) -> None:
    """10 MB of `1\\n` once answered with 309 MB: a reason per line, however many."""
    key = create_operator(app)
    body, bad_numbers = _bad_and_good_lines(250)
    response = client.post("/api/v1/bookings", data=body.encode(),
                           headers={"Authorization": f"Bearer {key}",
                                    "Accept-Language": "de"})
    assert response.status_code == 422
    answer = response.json
    assert answer["created"] == 25 and answer["replaced"] == 0
    assert answer["rejected_count"] == 250
    assert answer["rejected_listed_at_most"] == 100
    assert [rejected["line"] for rejected in answer["rejected"]] == bad_numbers[:100]
    assert answer["rejected"][0]["reason"].startswith("regime: eines von")  # German too
    assert answer["message"] == ("250 Datensätze wurden abgelehnt; die ersten 100 sind mit "
                                 "ihren Gründen aufgeführt. Die übrigen wurden importiert.")
    assert count(app, Booking) == 25

    # Corrected: the bad lines gone, the same good ones again and one more.
    corrected = "\n".join(json.dumps(rail_booking(f"GOOD{index:04d}"))
                          for index in range(0, 260, 10))
    again = client.post("/api/v1/bookings", data=corrected.encode(),
                        headers={"Authorization": f"Bearer {key}"})
    assert again.status_code == 200
    assert again.json["created"] == 1 and again.json["replaced"] == 25
    assert again.json["rejected_count"] == 0 and again.json["rejected"] == []
    assert "message" not in again.json
    assert count(app, Booking) == 26


def test_a_few_rejected_lines_are_all_listed_in_english_too(
        app: Flask, client: FlaskClient) -> None:
    key = create_operator(app)
    body, bad_numbers = _bad_and_good_lines(3)
    response = client.post("/api/v1/bookings", data=body.encode(),
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 422
    assert response.json["rejected_count"] == 3
    assert [rejected["line"] for rejected in response.json["rejected"]] == bad_numbers
    assert response.json["message"] == ("Records rejected: 3, each listed with its reason. "
                                        "The others were imported.")


def test_the_cli_lists_the_first_hundred_and_counts_them_all(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    create_operator(app)
    body, bad_numbers = _bad_and_good_lines(150)
    file = tmp_path / "mixed.jsonl"
    file.write_text(body, encoding="utf-8")
    result = runner.invoke(args=["bookings", "import", str(file)])
    assert result.exit_code == 1
    listed = [line for line in result.output.splitlines() if line.startswith("line ")]
    assert [int(line.split()[1].rstrip(":")) for line in listed] == bad_numbers[:100]
    assert "(the first 100 of 150 rejected lines are listed)" in result.output
    assert "bookings: 15 created, 0 replaced, 150 rejected" in result.output
    assert count(app, Booking) == 15


def test_the_cli_takes_a_json_array_as_the_api_does(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    """One reader for both ways in: a file the API takes, the command takes too."""
    create_operator(app)
    file = tmp_path / "bookings.json"
    file.write_text(json.dumps([rail_booking("ARRAY01"), rail_booking("ARRAY02")], indent=2),
                    encoding="utf-8")
    result = runner.invoke(args=["bookings", "import", str(file)])
    assert result.exit_code == 0, result.output
    assert "bookings: 2 created, 0 replaced, 0 rejected" in result.output
    piped = runner.invoke(args=["bookings", "import", "-"],
                          input=file.read_bytes() + b"\n\n")
    assert "bookings: 0 created, 2 replaced, 0 rejected" in piped.output


def test_a_key_in_two_batches_is_stored_once_as_written_last(
        app: Flask, client: FlaskClient) -> None:
    """Written batch by batch in one transaction: the later record still replaces the
    earlier, though they are written apart."""
    key = create_operator(app)
    first = rail_booking("TWICE01")
    later = rail_booking("TWICE01", fare={"amount": "12.50", "currency": "EUR",
                                          "kind": "single"})
    fillers = [rail_booking(f"FILL{index:05d}") for index in range(CHUNK + 5)]
    body = "\n".join(json.dumps(record) for record in [first, *fillers, later])
    response = client.post("/api/v1/bookings", data=body.encode(),
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.json
    assert response.json["created"] == CHUNK + 6 and response.json["rejected_count"] == 0
    with app.extensions["effortless"].session_factory() as session:
        amounts = list(session.scalars(select(Booking.fare_amount)
                                       .where(Booking.reference == "TWICE01")))
    assert amounts == [Decimal("12.50")]
    assert count(app, Booking) == CHUNK + 6
