"""The synthetic bilingual (Chinese / English) demo shop behind ``shopmind datasets generate demo-shop``.

>>> from shopmind.data.synth import generate_demo_shop
>>> shop = generate_demo_shop(n_users=30, n_items=40, days=10, seed=5)
>>> list(shop.items.columns)[:3], shop.meta["synthetic"]
(['item_id', 'title', 'description'], True)

Modules: :mod:`.vocab` (bilingual categories, fictional brands), :mod:`.catalog` (items),
:mod:`.population` (shoppers and their drifting tastes), :mod:`.calendar` (traffic and seasons),
:mod:`.behaviour` (sessions and the event funnel), :mod:`.sampling`, :mod:`.eventlog` (the event frame),
:mod:`.shop` (the generator and its ground truth), :mod:`.files` (writing the files).
"""

from shopmind.data.synth.files import write_demo_shop
from shopmind.data.synth.shop import DemoShop, ShopTruth, generate_demo_shop

__all__ = ["DemoShop", "ShopTruth", "generate_demo_shop", "write_demo_shop"]
