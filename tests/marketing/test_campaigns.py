"""Campaign documents: validation naming the field (unknown field, negative budget, empty audience, no eligible
item, duplicate id, bad audience expression), audiences, the store round trip, stop."""

from __future__ import annotations

import pytest

from fixtures.campaigns import T0, campaign_doc
from shopmind.errors import DataError, UnknownIdError
from shopmind.marketing.campaigns import (
    audience_users,
    create_campaign,
    get_campaign,
    in_audience,
    list_campaigns,
    parse_campaign,
    stop_campaign,
)
from shopmind.storage import Store


def field_of(store: Store, doc: dict[str, object]) -> str | None:
    with pytest.raises(DataError) as err:
        create_campaign(store, doc, now=T0)
    return err.value.field


def test_create_stores_a_running_campaign_with_its_audience_size(campaign_store: Store) -> None:
    c = create_campaign(campaign_store, campaign_doc(), now=T0)
    assert c.status == "running" and c.audience_size == 20 and c.offer is not None and c.offer.budget == 30
    again = get_campaign(campaign_store, "tea-week")
    assert again == c and [x.campaign_id for x in list_campaigns(campaign_store)] == ["tea-week"]
    assert stop_campaign(campaign_store, "tea-week", now=T0).status == "stopped"
    assert get_campaign(campaign_store, "tea-week").stopped_at is not None
    with pytest.raises(UnknownIdError):
        get_campaign(campaign_store, "nope")


@pytest.mark.parametrize(("change", "field"), [
    ({"colour": "red"}, "colour"),
    ({"offer": {"kind": "amount", "value": 5, "budget": -10}}, "offer.budget"),
    ({"offer": {"kind": "percent", "value": 150}}, "offer.value"),
    ({"offer": {"kind": "percent", "value": 10, "surprise": 1}}, "offer.surprise"),
    ({"audience": {"expression": "churn_risk > 2"}}, "audience"),
    ({"audience": {"expression": "churn_risk >"}}, "audience.expression"),
    ({"audience": {"segment": "tea-lovers", "user_ids": ["u01"]}}, "audience"),
    ({"offer": {"kind": "percent", "value": 10, "categories": ["Garden"]}}, "offer.categories"),
    ({"offer": {"kind": "percent", "value": 10, "brands": ["Leafwell"], "items": ["i01"]}}, "offer.items"),
    ({"channel": "fax"}, "channel"),
    ({"control_share": 0.95}, "control_share"),
    ({"creatives": [{"creative_id": "a", "generate": "none"}]}, "creatives[0].body"),
    ({"creatives": [{"creative_id": "a", "body": "x"}, {"creative_id": "a", "body": "y"}]}, "creatives"),
    ({"creatives": [{"creative_id": "a", "body": "x"}], "creative_policy": "thompson"}, "creative_policy"),
    ({"schedule": {"start": "2026-03-10T00:00:00Z", "end": "2026-03-01T00:00:00Z"}}, "schedule.end"),
    ({"frequency_cap": {"max": 0}}, "frequency_cap.max"),
])
def test_bad_documents_name_the_field(campaign_store: Store, change: dict[str, object], field: str) -> None:
    assert field_of(campaign_store, campaign_doc(**change)) == field


def test_an_id_in_use_and_a_message_that_says_what_was_expected(campaign_store: Store) -> None:
    create_campaign(campaign_store, campaign_doc(), now=T0)
    assert field_of(campaign_store, campaign_doc()) == "campaign_id"
    with pytest.raises(DataError, match=r"offer\.budget.*greater than or equal to 0.*-10"):
        parse_campaign(campaign_doc(offer={"kind": "amount", "value": 5, "budget": -10}))
    with pytest.raises(DataError, match="unknown field"):
        parse_campaign(campaign_doc(colour="red"))


def test_empty_audience_before_profiles_says_how_to_compute_them(campaign_store: Store) -> None:
    campaign_store.put_profiles({})  # profiles exist; an expression that matches nobody
    with pytest.raises(DataError, match="matches no user") as err:
        create_campaign(campaign_store, campaign_doc(audience={"segment": "nobody"}), now=T0)
    assert err.value.field == "audience"


def test_audiences_by_expression_segment_and_ids(campaign_store: Store) -> None:
    by_expr = parse_campaign(campaign_doc(audience={"expression": "segment = coffee and churn_risk >= 0.5"}))
    users = audience_users(campaign_store, by_expr.audience)
    assert users == [f"u{u:02d}" for u in range(20, 40, 2)]
    assert all(in_audience(campaign_store, by_expr.audience, u) for u in users)
    assert not in_audience(campaign_store, by_expr.audience, "u21")
    assert not in_audience(campaign_store, by_expr.audience, "x")
    seg = parse_campaign(campaign_doc()).audience
    assert len(audience_users(campaign_store, seg)) == 20 and in_audience(campaign_store, seg, "u01")
    ids = parse_campaign(campaign_doc(audience={"user_ids": ["u03", "u01", "u03"]})).audience
    assert audience_users(campaign_store, ids) == ["u01", "u03"] and not in_audience(campaign_store, ids, "u02")


def test_thompson_campaign_creates_its_bandit(campaign_store: Store) -> None:
    c = create_campaign(campaign_store, campaign_doc(creative_policy="thompson"), now=T0)
    assert campaign_store.get_bandit(c.bandit_id)["arms"] == ["personal", "written"]  # type: ignore[index]


def test_as_experiment_weights_the_hold_out(campaign_store: Store) -> None:
    exp = create_campaign(campaign_store, campaign_doc(objective="revenue"), now=T0).as_experiment()
    assert exp.shares() == pytest.approx({"control": 0.2, "treatment": 0.8})
    assert exp.metrics[0] == "revenue_per_user" and exp.control == "control"
