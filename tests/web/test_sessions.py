"""Signed session cookies: round trip, forgery, expiry, scopes looked up per request, CSRF comparison."""

from __future__ import annotations

import time

from shopmind.web.sessions import Session, SessionData, Sessions, SessionSigner, csrf_ok


def test_a_cookie_round_trips_and_a_changed_one_is_refused():
    signer = SessionSigner(b"s1", max_age=60)
    data = signer.new("fp")
    cookie = signer.dump(data)
    assert signer.load(cookie) == data
    body, _, mac = cookie.partition(".")
    assert signer.load(body[:-2] + "xx." + mac) is None
    assert SessionSigner(b"other", max_age=60).load(cookie) is None
    assert signer.load("garbage") is None and signer.load(None) is None


def test_an_expired_cookie_is_refused():
    signer = SessionSigner(b"s1", max_age=60)
    assert signer.load(signer.dump(SessionData("fp", "t", time.time() - 1))) is None


def test_scopes_come_from_the_configured_keys_and_the_cookie_holds_no_key():
    keys = {"k-read": frozenset({"read"}), "k-write": frozenset({"read", "write"})}
    sessions = Sessions(SessionSigner(b"s1", 60), keys)
    assert sessions.sign_in("unknown") is None
    reader = sessions.sign_in("k-read")
    assert reader is not None and "k-read" not in sessions.cookie_value(reader)
    assert sessions.resolve(reader).signed_in and not sessions.resolve(reader).can_act
    writer = sessions.sign_in(" k-write ")
    assert writer is not None and sessions.resolve(writer).can_act
    assert not sessions.resolve(None).signed_in
    # a key removed from the configuration ends its sessions
    assert not Sessions(sessions.signer, {"k-read": frozenset({"read"})}).resolve(writer).signed_in


def test_without_keys_everyone_is_signed_in_in_development_mode():
    session = Sessions(SessionSigner(b"s1", 60), {}).resolve(None)
    assert session.development and session.can_act


def test_csrf_tokens_must_match_exactly():
    session = Session(SessionData(None, "token-1", time.time() + 60))
    assert csrf_ok(session, "token-1")
    assert not csrf_ok(session, "token-2") and not csrf_ok(session, None) and not csrf_ok(session, "")
