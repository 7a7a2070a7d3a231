"""Crash-safe JSONL: whole lines only, the final name only for complete files."""

import json
import os
import subprocess
import sys

from cable_crawler.incremental.jsonlines import AtomicJsonLinesFile, drop_torn_tail, dumps_line


def test_lines_are_utf8_objects_in_given_key_order():
    line = dumps_line({"b": "Encarnación \u2014", "a": 1})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert line.decode("utf-8") == '{"b":"Encarnación \u2014","a":1}\n'


def test_file_appears_under_final_name_only_when_closed(tmp_path):
    out = AtomicJsonLinesFile(tmp_path / "x.jsonl").open()
    out.write({"n": 1})
    out.write({"n": 2})
    assert not (tmp_path / "x.jsonl").exists()
    assert (tmp_path / "x.jsonl.part").read_text().count("\n") == 2  # flushed line by line
    assert out.close() == tmp_path / "x.jsonl"
    assert not (tmp_path / "x.jsonl.part").exists()
    assert [json.loads(line)["n"] for line in (tmp_path / "x.jsonl").read_text().splitlines()] == [1, 2]


def test_close_without_publish_keeps_the_part_file(tmp_path):
    out = AtomicJsonLinesFile(tmp_path / "x.jsonl").open()
    out.write({"n": 1})
    assert out.close(publish=False) is None
    assert (tmp_path / "x.jsonl.part").exists() and not (tmp_path / "x.jsonl").exists()


def test_torn_last_line_is_cut_when_reopened(tmp_path):
    part = tmp_path / "x.jsonl.part"
    part.write_bytes(b'{"n":1}\n{"n":2')
    out = AtomicJsonLinesFile(tmp_path / "x.jsonl").open()
    out.write({"n": 3})
    out.close()
    assert (tmp_path / "x.jsonl").read_text() == '{"n":1}\n{"n":3}\n'


def test_drop_torn_tail(tmp_path):
    path = tmp_path / "f"
    assert drop_torn_tail(path) == 0
    path.write_bytes(b"a\nb\n")
    assert drop_torn_tail(path) == 0
    path.write_bytes(b"a\nbc")
    assert drop_torn_tail(path) == 2 and path.read_bytes() == b"a\n"


def test_killed_writer_leaves_no_file_under_final_name_and_only_whole_lines(tmp_path):
    script = (
        "import os, signal, sys\n"
        "from cable_crawler.incremental.jsonlines import AtomicJsonLinesFile\n"
        f"out = AtomicJsonLinesFile({str(tmp_path / 'x.jsonl')!r}).open()\n"
        "for n in range(500): out.write({'n': n, 'pad': 'x' * 1000})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ})
    assert done.returncode == -9
    assert not (tmp_path / "x.jsonl").exists()
    lines = (tmp_path / "x.jsonl.part").read_text().splitlines()
    assert [json.loads(line)["n"] for line in lines] == list(range(500))
