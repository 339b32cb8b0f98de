import pytest

from shopmind.assist.intent import Need, update


@pytest.mark.parametrize(("turns", "words", "price_max", "brands", "not_colours", "recipient"), [
    (["I need a gift for my mother", "a handbag under 1000", "not black"], ["handbag"], 1000.0, [], ["black"],
     "women"),
    (["我想买跑步鞋", "500元以内", "不要黑色的", "只要疾速"], ["跑步鞋"], 500.0, ["疾速"], ["black"], None),
    (["I'm looking for running shoes, only Stride"], ["running shoes"], None, ["stride"], [], None),
    (["送爸爸一个手表"], ["手表"], None, [], [], "men"),
])
def test_needs_accumulate_over_turns(turns: list[str], words: list[str], price_max: float | None,
                                     brands: list[str], not_colours: list[str], recipient: str | None) -> None:
    need = Need()
    for t in turns:
        update(need, t, {"Stride", "疾速"})
    assert (need.words, need.price_max, need.brands, need.not_colours, need.recipient) == (
        words, price_max, brands, not_colours, recipient)


def test_vague_asks_cheaper_lowers_and_reset_clears() -> None:
    need = Need()
    assert update(need, "hi") == "clarify"
    assert update(need, "headphones") == "search"
    need.shown_prices = [300.0, 200.0]
    update(need, "cheaper")
    assert need.price_max == 199.99
    assert update(need, "start over") == "reset" and need.words == [] and need.price_max is None
    assert Need.from_dict(need.as_dict()) == need
