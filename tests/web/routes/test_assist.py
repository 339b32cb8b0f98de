"""Assistant: the chat answers what POST /assist/chat answers (a search turn, then a comparison of the items
shown), the FAQ form shows the matched question, answer, confidence and hand-off; a read key may use both (with
the CSRF token); bad input gets a clear message, user text is escaped, and a server without the assistant says
so."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from fixtures.console import ADMIN_KEY, READ_KEY, ConsoleShop, browser_sign_in, build_console, sign_in
from shopmind.assist.faq import FaqEntry

API = {"X-API-Key": ADMIN_KEY}
FAQ = [FaqEntry("ship", "en", "How much does shipping cost?", "Shipping is free over ¥99.\nOtherwise ¥10.",
                "shipping"),
       FaqEntry("return", "en", "Can I return an item?", "Yes, within 7 days of delivery.", "returns"),
       FaqEntry("html", "en", "Do you sell <b>bold</b> mugs?", "Ask us.", None)]


@pytest.fixture()
def assist_shop(trained_shop, tmp_path) -> ConsoleShop:
    shop = build_console(trained_shop, tmp_path, assist=True)
    shop.app.state.assist.import_faq(FAQ, replace=True)  # the shared shop may hold another test's FAQ
    return shop


@pytest.fixture()
def assist_client(assist_shop: ConsoleShop) -> Iterator[TestClient]:
    with TestClient(assist_shop.app, raise_server_exceptions=True) as c:
        yield c


def _leaf(shop: ConsoleShop) -> str:
    """The last part of an item's category: a message that searches."""
    return str(shop.service.store.items_frame()["category"].dropna().iloc[0]).split(" > ")[-1]


def _session_id(page: str) -> str:
    found = re.search(r'name="session_id" value="([^"]+)"', page)
    assert found, "no session id on the page"
    return found.group(1)


def _field(part: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', part, re.S)
    assert found, (testid, part[:500])
    return html.unescape(found.group(1))


def test_the_page_shows_the_chat_form_and_the_faq(assist_client):
    sign_in(assist_client, READ_KEY)
    page = assist_client.get("/admin/assist")
    assert page.status_code == 200, page.text[:300]
    assert '<a href="/admin/assist" aria-current="page">Assistant</a>' in page.text
    assert 'data-testid="chat-form"' in page.text and _session_id(page.text).startswith("console-")
    assert _session_id(assist_client.get("/admin/assist").text) != _session_id(page.text)  # one per page
    assert _field(page.text, "faq-count") == "3"
    table = page.text.split('data-testid="faq-entries"')[1].split("</table>")[0]
    assert [html.unescape(x) for x in re.findall(r"<code>([^<]+)</code>", table)] == ["html", "return", "ship"]
    assert "How much does shipping cost?" in table and "shipping" in table
    assert "&lt;b&gt;bold&lt;/b&gt;" in table and "<b>bold</b>" not in table


def test_chat_searches_then_compares_the_first_and_the_second(assist_client, assist_shop):
    token = sign_in(assist_client, READ_KEY)
    session = _session_id(assist_client.get("/admin/assist").text)
    leaf = _leaf(assist_shop)
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    first = assist_client.post("/admin/assist/chat", data={"session_id": session, "message": leaf}, headers=headers)
    assert first.status_code == 200, first.text[:300]
    assert _field(first.text, "chat-action") == "search"
    rest = assist_client.post("/assist/chat", json={"session_id": "rest", "message": leaf}, headers=API).json()
    assert _field(first.text, "chat-reply") == rest["reply"] and "\n" in rest["reply"]
    shown = [html.unescape(i) for i in re.findall(r'href="/admin/items/([^"]+)"', first.text)]
    assert shown == [i["item_id"] for i in rest["items"]] and len(shown) >= 2
    price = rest["items"][0]["price"]
    assert price is None or f"{price:,.2f}" in first.text
    assert html.escape(leaf) in first.text  # the shopper's message is shown

    second = assist_client.post("/admin/assist/chat", headers=headers,
                                data={"session_id": session, "message": "compare the first and the second"})
    assert second.status_code == 200 and _field(second.text, "chat-action") == "compare"
    rest = assist_client.post("/assist/chat", json={"session_id": "rest", "message": "compare the first and the "
                                                    "second"}, headers=API).json()
    assert _field(second.text, "chat-reply") == rest["reply"]
    assert [html.unescape(i) for i in re.findall(r'href="/admin/items/([^"]+)"', second.text)] == shown[:2]


def test_chat_takes_a_user_id_and_escapes_what_the_shopper_typed(assist_client):
    token = sign_in(assist_client)
    r = assist_client.post("/admin/assist/chat", data={"session_id": "console-x", "user_id": "<i>u1</i>",
                                                       "message": "<script>alert(1)</script> any coupons?",
                                                       "csrf_token": token})
    assert r.status_code == 200, r.text[:300]
    assert "<script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<i>" not in r.text and "&lt;i&gt;u1&lt;/i&gt;" in r.text
    assert _field(r.text, "chat-action") == "coupons"
    assert _field(r.text, "chat-reply") == "You have no coupons to use right now."


def test_the_faq_form_shows_the_match_its_confidence_and_the_handoff(assist_client, assist_shop):
    token = sign_in(assist_client, READ_KEY)
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    r = assist_client.post("/admin/assist/answer", data={"question": "is shipping free?"}, headers=headers)
    assert r.status_code == 200, r.text[:300]
    found = assist_shop.app.state.assist.answer("is shipping free?")
    assert found["faq_id"] == "ship" and not found["handoff"]
    assert _field(r.text, "faq-matched").strip() == "How much does shipping cost?"
    assert _field(r.text, "faq-reply") == "Shipping is free over ¥99.\nOtherwise ¥10."
    assert _field(r.text, "faq-confidence") == f"{found['confidence']:,.3f}"
    assert 'data-testid="faq-handoff"' not in r.text

    r = assist_client.post("/admin/assist/answer", data={"question": "sing a song"}, headers=headers)
    assert r.status_code == 200 and 'data-testid="faq-handoff"' in r.text
    assert assist_shop.app.state.assist.answer("sing a song")["handoff"] is True

    r = assist_client.post("/admin/assist/answer", data={"question": "<b>bold</b> mugs?"}, headers=headers)
    assert r.status_code == 200 and "<b>" not in r.text
    assert "&lt;b&gt;bold&lt;/b&gt; mugs?" in r.text and "&lt;b&gt;bold&lt;/b&gt; mugs?</span>" in r.text


def test_the_page_lists_the_gaps_and_an_editor_teaches_one(assist_client, assist_shop):
    """What shoppers asked (logged by POST /assist/answer): the counts and the gaps, for a write key only (the
    questions' text may hold personal details); a write key teaches a gap to an entry from the page; the try-it
    form logs nothing."""
    assist = assist_shop.app.state.assist
    assist.log_questions = True
    assist.questions.store.delete_documents("assist_questions")
    token = sign_in(assist_client, ADMIN_KEY)
    page = assist_client.get("/admin/assist").text
    assert 'data-testid="questions-none"' in page
    handed = assist.answer("Can I settle with a <i>cheque</i>?")
    assist.answer("how much does shipping cost")
    assist_client.post("/admin/assist/answer", data={"question": "sing a song"},
                       headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert len(assist.questions) == 2  # the console's own tries are not logged

    token = sign_in(assist_client, READ_KEY)
    page = assist_client.get("/admin/assist").text
    assert 'data-testid="questions-write-only"' in page and "cheque" not in page
    r = assist_client.post("/admin/assist/teach", data={"question_id": handed["question_id"], "faq_id": "return"},
                           headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert r.status_code == 403 and "read scope" in r.text

    token = sign_in(assist_client, ADMIN_KEY)
    page = assist_client.get("/admin/assist").text
    assert "2</strong> questions: 1 answered, <strong>1</strong> handed off (50.0%)" in page
    assert "Can I settle with a &lt;i&gt;cheque&lt;/i&gt;?" in page and "<i>cheque" not in page
    assert 'data-testid="teach-form"' in page and f'value="{handed["question_id"]}"' in page
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    r = assist_client.post("/admin/assist/teach", data={"question_id": handed["question_id"], "faq_id": "nope"},
                           headers=headers)
    assert r.status_code == 404 and "unknown faq id" in r.text
    r = assist_client.post("/admin/assist/teach", data={"question_id": handed["question_id"], "faq_id": ""},
                           headers=headers)
    assert r.status_code == 422 and "Choose the entry" in r.text
    r = assist_client.post("/admin/assist/teach", data={"question_id": handed["question_id"], "faq_id": "return"},
                           headers=headers)
    assert r.status_code == 200 and 'data-testid="gap-taught"' in r.text and "<code>return</code>" in r.text
    assert assist.answer("Can I settle with a <i>cheque</i>?")["faq_id"] == "return"
    page = assist_client.get("/admin/assist").text
    assert 'data-testid="faq-gaps"' not in page and "1 taught" in page


def test_a_write_key_adds_replaces_and_deletes_entries(assist_client, assist_shop):
    """The entry form takes the fields of POST /assist/faq (checked by the same model) and the page reloads with
    the entry; a read key sees neither the form nor the delete buttons and is refused."""
    assist = assist_shop.app.state.assist
    token = sign_in(assist_client, READ_KEY)
    page = assist_client.get("/admin/assist").text
    assert 'data-testid="faq-entry-form"' not in page and 'data-testid="faq-delete"' not in page
    r = assist_client.post("/admin/assist/faq", data={"faq_id": "gift", "question": "q", "answer": "a"},
                           headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert r.status_code == 403

    token = sign_in(assist_client, ADMIN_KEY)
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    assert 'data-testid="faq-entry-form"' in assist_client.get("/admin/assist").text
    r = assist_client.post("/admin/assist/faq", headers=headers, data={
        "faq_id": "gift", "category": "gifts", "question": "Do you gift-wrap orders?",
        "answer": "Yes, for ¥5.", "alternatives": "can you wrap it as a present\n\n  gift wrapping?  "})
    assert r.status_code == 200 and r.headers["HX-Refresh"] == "true"
    entry = {e.faq_id: e for e in assist.entries()}["gift"]
    assert (entry.lang, entry.category, entry.alternatives) == ("en", "gifts", ("can you wrap it as a present",
                                                                             "gift wrapping?"))
    assert assist.answer("can you wrap it as a present", record=False)["faq_id"] == "gift"
    r = assist_client.post("/admin/assist/faq", headers=headers, data={
        "faq_id": "gift", "question": "可以包装成礼物吗？", "answer": "可以，5元。"})
    assert r.status_code == 200 and {e.faq_id: e for e in assist.entries()}["gift"].lang == "zh"
    for data, field in (({"faq_id": "has space", "question": "q", "answer": "a"}, "faq_id"),
                        ({"faq_id": "x", "question": "   ", "answer": "a"}, "question"),
                        ({"faq_id": "x", "question": "q", "answer": "a", "lang": "fr"}, "lang")):
        r = assist_client.post("/admin/assist/faq", headers=headers, data=data)
        assert r.status_code == 422 and field in r.text, (data, r.text[:300])
    assert "x" not in {e.faq_id for e in assist.entries()}
    r = assist_client.post("/admin/assist/faq/delete", data={"faq_id": "gift"}, headers=headers)
    assert r.status_code == 200 and "gift" not in {e.faq_id for e in assist.entries()}
    r = assist_client.post("/admin/assist/faq/delete", data={"faq_id": "gift"}, headers=headers)
    assert r.status_code == 404 and "reload the page" in r.text
    # an id imported from a file may hold any character; the delete button names it in the form, not the path
    assist.import_faq([FaqEntry("a/b c", "en", "Odd id?", "Yes.")])
    assert 'name="faq_id" value="a/b c"' in assist_client.get("/admin/assist").text
    r = assist_client.post("/admin/assist/faq/delete", data={"faq_id": "a/b c"}, headers=headers)
    assert r.status_code == 200 and "a/b c" not in {e.faq_id for e in assist.entries()}


def test_bad_input_gets_a_clear_message(assist_client):
    token = sign_in(assist_client, READ_KEY)
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    r = assist_client.post("/admin/assist/chat", data={"session_id": "console-x", "message": "   "}, headers=headers)
    assert r.status_code == 422 and _field(r.text, "refused") == "Type a message first."
    r = assist_client.post("/admin/assist/chat", data={"session_id": "console-x", "message": "x" * 10_000},
                           headers=headers)
    assert r.status_code == 422 and "10,000 characters" in r.text and "at most 2,000" in r.text
    r = assist_client.post("/admin/assist/chat", data={"session_id": "", "message": "shoes"}, headers=headers)
    assert r.status_code == 422 and "reload the page" in r.text
    r = assist_client.post("/admin/assist/answer", data={"question": ""}, headers=headers)
    assert r.status_code == 422 and _field(r.text, "refused") == "Type a question first."
    r = assist_client.post("/admin/assist/answer", data={"question": "运费" * 5_000}, headers=headers)
    assert r.status_code == 422 and "10,000 characters" in r.text
    forged = assist_client.post("/admin/assist/chat", data={"session_id": "console-x", "message": "shoes",
                                                            "csrf_token": "forged"})
    assert forged.status_code == 403 and "CSRF" in forged.text


def test_a_server_without_the_assistant_says_so(client):
    token = sign_in(client)
    r = client.get("/admin/assist")
    assert r.status_code == 200 and 'data-testid="assist-off"' in r.text and "not enabled" in r.text
    r = client.post("/admin/assist/chat", data={"session_id": "console-x", "message": "shoes"},
                    headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert r.status_code == 503 and "not enabled" in r.text
    r = client.post("/admin/assist/answer", data={"question": "shipping?"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 503 and "not enabled" in r.text


def test_without_search_the_faq_works_and_the_chat_says_why_not(trained_shop, tmp_path):
    shop = build_console(trained_shop, tmp_path, search=False, assist=True)
    shop.app.state.assist.import_faq(FAQ[:1], replace=True)
    with TestClient(shop.app) as c:
        token = sign_in(c)
        page = c.get("/admin/assist")
        assert 'data-testid="chat-off"' in page.text and 'data-testid="chat-form"' not in page.text
        r = c.post("/admin/assist/chat", data={"session_id": "console-x", "message": "shoes"},
                   headers={"X-CSRF-Token": token})
        assert r.status_code == 503 and "search index" in r.text
        r = c.post("/admin/assist/answer", data={"question": "how much is shipping"}, headers={"X-CSRF-Token": token})
        assert r.status_code == 200 and _field(r.text, "faq-matched").strip() == "How much does shipping cost?"


@pytest.mark.browser
def test_chat_in_the_browser(open_page, live_console):
    from playwright.sync_api import expect

    leaf = _leaf(live_console.shop)
    bp = open_page()
    browser_sign_in(bp, READ_KEY, "/admin/assist")
    bp.page.fill("[data-testid=chat-message]", leaf)
    bp.page.click("button:has-text('Send')")
    turn = bp.page.locator("[data-testid=chat-turn]").first
    expect(turn.locator("[data-testid=chat-action]")).to_have_text("search")
    expect(turn.locator("[data-testid=chat-items] a").first).to_have_attribute("href", re.compile(r"^/admin/items/"))
    expect(bp.page.locator("[data-testid=chat-message]")).to_have_value("")
    bp.page.fill("[data-testid=chat-message]", "compare the first and the second")
    bp.page.keyboard.press("Enter")
    expect(bp.page.locator("[data-testid=chat-turn]")).to_have_count(2)
    second = bp.page.locator("[data-testid=chat-turn]").nth(1)
    expect(second.locator("[data-testid=chat-action]")).to_have_text("compare")
    expect(second.locator("[data-testid=chat-reply]")).to_contain_text("#1")
    assert bp.errors == []


def test_teaching_a_gap_in_the_browser(open_page, live_console):
    from playwright.sync_api import expect

    assist = live_console.shop.app.state.assist
    assist.import_faq(FAQ, replace=True)
    assist.questions.store.delete_documents("assist_questions")
    assist.log_questions = True
    try:
        assist.answer("Can I settle with a cheque?")
    finally:
        assist.log_questions = False
    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/assist")
    expect(bp.page.locator("[data-testid=questions-summary]")).to_contain_text("1 handed off")
    form = bp.page.locator("[data-testid=teach-form]").first
    form.locator("[data-testid=teach-entry]").select_option("return")
    form.locator("button:has-text('Teach')").click()
    expect(bp.page.locator("[data-testid=gap-taught]")).to_contain_text("Taught to return")
    assert assist.answer("Can I settle with a cheque?", record=False)["faq_id"] == "return"
    assert bp.errors == []


def test_adding_and_deleting_an_entry_in_the_browser(open_page, live_console):
    from playwright.sync_api import expect

    assist = live_console.shop.app.state.assist
    assist.import_faq(FAQ, replace=True)
    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/assist")
    bp.page.click("[data-testid=faq-editor] summary")
    bp.page.fill("[data-testid=faq-entry-id]", "gift")
    bp.page.fill("[data-testid=faq-entry-question]", "Do you gift-wrap orders?")
    bp.page.fill("[data-testid=faq-entry-answer]", "Yes, for ¥5.")
    bp.page.click("button:has-text('Save the entry')")
    expect(bp.page.locator("[data-testid=faq-count]")).to_have_text("4")
    assert "gift" in {e.faq_id for e in assist.entries()}
    bp.page.on("dialog", lambda dialog: dialog.accept())
    bp.page.locator("[data-testid=faq-entries] tr", has_text="gift-wrap").locator("[data-testid=faq-delete]").click()
    expect(bp.page.locator("[data-testid=faq-count]")).to_have_text("3")
    assert "gift" not in {e.faq_id for e in assist.entries()}
    assert bp.errors == []


def test_the_faq_form_shows_how_a_chinese_question_was_read_in_english(assist_client, assist_shop):
    """With the translator (a stand-in for the local LLM here), the form shows the English rendering the match
    also scored, as POST /assist/answer returns it; an English question has none."""
    from shopmind.text.encoders import HashingEncoder  # lazy: only this test needs them

    class Renderer:
        def translate(self, texts):
            return ["How much is shipping?" if "运费" in t else "Something else" for t in texts]

        def missing(self, texts):
            return []

    service = assist_shop.app.state.assist
    service.encoder = service.encoder or HashingEncoder()
    service.paraphrase_encoder, service._paraphrase_factory = HashingEncoder(seed=1), None
    service.translator, service._translator_factory = Renderer(), None
    service.import_faq([*FAQ, FaqEntry("ship.zh", "zh", "运费是多少？", "满99元包邮。", "shipping")], replace=True)
    token = sign_in(assist_client, READ_KEY)
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    r = assist_client.post("/admin/assist/answer", data={"question": "运费多少钱"}, headers=headers)
    assert r.status_code == 200, r.text[:300]
    assert _field(r.text, "faq-rendering") == "How much is shipping?"
    assert service.answer("运费多少钱")["rendering"] == "How much is shipping?"
    r = assist_client.post("/admin/assist/answer", data={"question": "is shipping free?"}, headers=headers)
    assert 'data-testid="faq-rendering"' not in r.text and service.answer("is shipping free?")["rendering"] is None
