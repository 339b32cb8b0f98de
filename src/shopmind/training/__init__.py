"""What fitting a model needs besides the model itself: the splits of interactions into train / validation /
test (:mod:`.splits`, :mod:`.coldstart`), the ranking metrics (:mod:`.metrics`) and the operations on score
matrices (:mod:`.scores`) that models use to validate themselves (early stopping, blend weights, the new-user
prior) and that the evaluation protocol reports with.
"""
