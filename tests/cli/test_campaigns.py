"""`shopmind campaigns ...` end to end on a temporary store: create (a bad document exits 2 naming the field),
list, render .eml files (a dry run), send, redeem, simulate, report, stop."""

from __future__ import annotations

import json
from email import message_from_bytes
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures.campaigns import shop_events, shop_items, shop_profiles
from shopmind.cli.main import app
from shopmind.storage import open_store

runner = CliRunner()

DOC = """\
campaign_id: tea-week
audience: {segment: tea-lovers}
channel: email
control_share: 0.2
creatives:
  - {creative_id: personal, generate: user, items: 2}
  - {creative_id: written, subject: "Tea for you", body: "Hello! {offer}. Code: {code}", items: 2}
offer: {kind: percent, value: 20, categories: ["Food > Tea"], budget: 100, code_prefix: TEA}
"""


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHOPMIND_STORE", raising=False)
    (tmp_path / "home").mkdir()
    with open_store(f"sqlite:///{tmp_path / 'home' / 'shopmind.db'}") as st:
        st.upsert_items(shop_items())
        st.put_profiles(shop_profiles())
        st.append_events(shop_events(list(shop_profiles())))
    return tmp_path


def test_campaign_commands(home: Path) -> None:
    doc = home / "c.yaml"
    doc.write_text(DOC)
    bad = home / "bad.yaml"
    bad.write_text(DOC.replace("budget: 100", "budget: -100"))
    r = runner.invoke(app, ["campaigns", "create", str(bad)])
    assert r.exit_code == 2 and "offer.budget" in r.output
    r = runner.invoke(app, ["campaigns", "create", str(doc), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["audience_size"] == 20
    listed = json.loads(runner.invoke(app, ["campaigns", "list", "--json"]).output)
    assert [c["campaign_id"] for c in listed] == ["tea-week"]

    out = home / "eml"
    r = runner.invoke(app, ["campaigns", "render", "tea-week", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    outcome = json.loads(r.output)["outcome"]
    files = sorted(out.glob("*.eml"))
    assert len(files) == outcome["delivered"] and outcome["delivered"] + outcome.get("control", 0) == 20
    msg = message_from_bytes(files[0].read_bytes())
    assert msg.is_multipart() and {p.get_content_type() for p in msg.get_payload()} == {"text/plain", "text/html"}
    with open_store(f"sqlite:///{home / 'home' / 'shopmind.db'}") as st:
        assert st.deliveries_frame().empty  # a dry run logs nothing

    sent = json.loads(runner.invoke(app, ["campaigns", "send", "tea-week", "--json"]).output)["outcome"]
    assert sent == outcome
    again = json.loads(runner.invoke(app, ["campaigns", "send", "tea-week", "--json"]).output)["outcome"]
    assert again.get("capped") == outcome["delivered"]
    with open_store(f"sqlite:///{home / 'home' / 'shopmind.db'}") as st:
        row = st.deliveries_frame().query("variant == 'treatment'").iloc[0]
    r = runner.invoke(app, ["campaigns", "redeem", row["coupon_code"], "--user", row["user_id"], "--items",
                            "i01", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["reason"] == "no_eligible_item"
    r = runner.invoke(app, ["campaigns", "redeem", row["coupon_code"], "--user", row["user_id"], "--items",
                            "i03,i01", "--json"])
    assert json.loads(r.output)["accepted"] is True

    sim = json.loads(runner.invoke(app, ["campaigns", "simulate", "tea-week", "--lift", "0.2", "--json"]).output)
    assert sim["users"] == 20
    rep = json.loads(runner.invoke(app, ["campaigns", "report", "tea-week", "--json"]).output)
    assert rep["funnel"]["redemptions"] >= 1 and rep["analysis"]["users"] == 20
    assert runner.invoke(app, ["campaigns", "report", "tea-week"]).exit_code == 0
    assert "stopped" in runner.invoke(app, ["campaigns", "stop", "tea-week"]).output
    r = runner.invoke(app, ["campaigns", "deliver", "tea-week", "--user", "u01"])
    assert r.exit_code == 0 and "campaign_over" in r.output
