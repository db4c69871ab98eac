"""The journal and what a restart does with it: resume by id, send what was never sent, never write twice."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bridge.core import addresses as A
from bridge.core.commands import Generate, Origin, Set
from bridge.core.jobs import spec_to_dict
from bridge.core.music import Key
from bridge.core.progress import Stage
from bridge.core.request import GenerationSpec
from bridge.daemon.journal import Journal, format_history
from bridge.daemon.service import Daemon, DaemonOptions
from bridge.errors import StorageError
from tests.support.fake_daw import FakeDaw
from tests.support.fake_take_maker import FakeTakeMaker

SPEC = GenerationSpec("marimba riff", Key(8, True), 96.0, 4.0, 4, None, 11)


def test_journal_records_a_job_through_its_life(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state" / "jobs.db")
    journal.add("a", SPEC, origin=Origin("osc", "127.0.0.1"))
    journal.set_state("a", Stage.SUBMITTING)
    journal.set_endpoint_id("a", "310815")
    entry = journal.get("a")
    assert entry is not None and (entry.state, entry.endpoint_id, entry.spec) == (Stage.SUBMITTING, "310815", SPEC)
    assert [e.id for e in journal.unfinished()] == ["a"]
    journal.set_done("a", tmp_path / "take.wav", 10.0)
    assert journal.unfinished() == []
    assert [e.take_path for e in journal.recent_takes(5)] == [tmp_path / "take.wav"]
    assert sqlite3.connect(str(tmp_path / "state" / "jobs.db")).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    journal.close()


def test_history_lists_recent_takes_newest_first(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "jobs.db")
    assert format_history(journal) == "no takes yet"
    for number in range(5):
        job_id = f"job{number}"
        journal.add(job_id, SPEC.replace(seed=number))
        journal.set_done(job_id, tmp_path / f"take-{number}.wav", 8.0)
    journal.add("failed", SPEC)
    journal.set_state("failed", Stage.FAILED, error_code="QUOTA", error="no credits")
    lines = format_history(journal, 3).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("job4") and "take-4.wav" in lines[0]
    assert "96 bpm" in lines[0] and "G#m" in lines[0] and "seed 4" in lines[0] and "8.0s" in lines[0]
    assert "failed" not in format_history(journal, 20)
    journal.close()


def test_an_unwritable_state_folder_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="cannot open the job journal.*--state-dir"):
        Journal(tmp_path / "file" / "jobs.db")


def start(tmp_path: Path, daw: FakeDaw, maker: FakeTakeMaker) -> Daemon:
    daemon = Daemon(DaemonOptions(journal_path=tmp_path / "jobs.db", osc_port=0, reply_port=daw.reply_port), maker)
    daemon.start()
    daw.connect(*daemon.osc_address)
    return daemon


def test_restart_resumes_accepted_sends_unsent_and_skips_done(tmp_path: Path, daw: FakeDaw) -> None:
    journal = Journal(tmp_path / "jobs.db")
    journal.add("a-accepted", SPEC.replace(prompt="accepted"), origin=Origin("osc", "127.0.0.1"))
    journal.set_state("a-accepted", Stage.GENERATING)
    journal.set_endpoint_id("a-accepted", "remote-1")
    journal.add("b-queued", SPEC.replace(prompt="queued"), origin=Origin("osc", "127.0.0.1"))
    journal.add("c-done", SPEC.replace(prompt="done"), origin=Origin("osc", "127.0.0.1"))
    journal.set_done("c-done", tmp_path / "old.wav", 8.0)
    journal.add("d-cancelled", SPEC.replace(prompt="cancelled"))
    journal.set_state("d-cancelled", Stage.CANCELLED)
    journal.close()

    maker = FakeTakeMaker(tmp_path / "takes")
    daemon = start(tmp_path, daw, maker)
    try:
        done = {daw.wait_for(A.JOB_DONE)[0] for _ in range(2)}
        assert done == {"a-accepted", "b-queued"}
        calls = {(call.kind, call.spec.prompt, call.endpoint_id) for call in maker.calls}
        assert calls == {("resume", "accepted", "remote-1"), ("make", "queued", None)}
    finally:
        daemon.stop()
    # a third start finds nothing to do: a finished take is never written twice
    again = FakeTakeMaker(tmp_path / "takes2")
    daemon = start(tmp_path, daw, again)
    daw.sync()
    daemon.stop()
    assert again.calls == [] and list(again.out_dir.iterdir()) == []
    journal = Journal(tmp_path / "jobs.db")
    assert {e.id for e in journal.recent_takes(10)} == {"a-accepted", "b-queued", "c-done"}
    journal.close()


@pytest.mark.parametrize(
    ("hold_at", "expected_kind"),
    [(Stage.PREPARING, "make"), (Stage.GENERATING, "resume"), (Stage.DOWNLOADING, "resume")],
)
def test_stop_keeps_in_flight_jobs_for_the_next_start(
    tmp_path: Path, daw: FakeDaw, hold_at: Stage, expected_kind: str
) -> None:
    maker = FakeTakeMaker(tmp_path / "takes", hold_at=hold_at)
    daemon = start(tmp_path, daw, maker)
    origin = Origin("osc", "127.0.0.1")
    daemon.submit(Set("prompt", "in flight", origin))
    daemon.submit(Generate(origin=origin))
    daemon.submit(Generate(origin=origin))
    maker.held.get(timeout=5)
    maker.held.get(timeout=5)
    daemon.submit(Generate(origin=origin))  # waits behind the two running ones
    daw.wait_for(A.JOB_QUEUED, where=lambda a: a[1] == 1)
    daemon.stop()
    # stopping is not cancelling: nothing was announced as cancelled
    assert [a for a in daw.unread(A.JOB_STATUS) if a[1] == "cancelled"] == []

    resumed = FakeTakeMaker(tmp_path / "takes")
    daemon = start(tmp_path, daw, resumed)
    try:
        ids = {daw.wait_for(A.JOB_DONE)[0] for _ in range(3)}
        assert len(ids) == 3
        assert sorted(resumed.kinds) == sorted([expected_kind, expected_kind, "make"])
        if expected_kind == "resume":
            assert {c.endpoint_id for c in resumed.calls if c.kind == "resume"} == {"fake-1", "fake-2"}
    finally:
        daemon.stop()


def test_an_inputs_tag_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    journal = Journal(path)
    journal.add("a", SPEC, origin=Origin("inbox", tag="/inbox/region.done.json"))
    journal.close()
    [entry] = Journal(path).unfinished()
    assert entry.origin == Origin("inbox", None, tag="/inbox/region.done.json")


def test_a_journal_from_before_the_origin_columns_is_upgraded(tmp_path: Path) -> None:


    path = tmp_path / "old.db"
    db = sqlite3.connect(str(path))
    db.execute(
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL, spec TEXT NOT NULL,"
        " state TEXT NOT NULL, endpoint_id TEXT, take_path TEXT, take_seconds REAL, error_code TEXT, error TEXT,"
        " origin_host TEXT)"
    )
    db.execute(
        "INSERT INTO jobs (id, created, updated, spec, state, origin_host) VALUES ('old', 1, 1, ?, 'queued', '127.0.0.1')",
        (json.dumps(spec_to_dict(SPEC)),),
    )
    db.commit()
    db.close()
    [entry] = Journal(path).unfinished()
    assert entry.id == "old" and entry.origin == Origin("osc", "127.0.0.1")
