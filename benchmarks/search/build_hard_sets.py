"""Build the *hard* search sets: queries a shopper types that plain word matching struggles with.

    python benchmarks/search/build_hard_sets.py [--data ../shared/data] [--out benchmarks/search]

The first sets (``build_sets.py``) were written with the lexical features in mind and our lexical side scores
0.91-1.00 on them, so they cannot show what fusion adds. These sets are written the other way round: from what
a shopper needs, in the shopper's words, not the catalog's:

- ``descriptive``: a need or a problem ("something for dry flaky skin in winter", "hide dark circles");
- ``occasion``: a recipient or an occasion ("gift for a man who likes to smell good", "送男朋友的生日礼物");
- ``synonym``: a word the catalog does not use for the thing (British English, slang: "sunblock", "q tips",
  "nail varnish", "hair bobbles"; "防晒霜" for a category called 防晒);
- ``typo``: misspellings real shoppers make (written by hand, not generated: "mascarra", "argon oil", "哑玲");
- ``head`` / ``attribute``: plain product and product + attribute queries, so the set is not one-sided;
- Chinese only: ``pinyin`` (full and initials), ``traditional``, ``price`` (including Chinese numerals).

Grades come from :mod:`grading` over the catalog fields (category path, title, brand, price) of every item;
the intents were written by reading the catalogs' category lists and the words their titles use, never from
search output. Each set is split in two by a fixed hash of the query text (:func:`split_of`): ``tune`` (the
only half any fusion parameter was chosen on) and ``heldout`` (evaluated once the fusion was fixed).

Writes ``<set>.queries.jsonl`` (all queries, each with its ``split``) and ``<set>.tune.queries.jsonl`` /
``<set>.heldout.queries.jsonl``; catalogs as ``build_sets.py`` writes them (``catalogs/``, not committed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from build_sets import amazon_items, demo_items
from grading import judge

HERE = Path(__file__).parent


def split_of(query: str) -> str:
    """``tune`` or ``heldout``: the parity of the first byte of the query's SHA-1 (fixed, content-based)."""
    return "tune" if hashlib.sha1(query.encode("utf-8")).digest()[0] % 2 == 0 else "heldout"


def I(*category: str, kw: list[list[str]] | None = None, parent: list[str] | None = None,  # noqa: E743
      req: bool = False, price_max: float | None = None, price_min: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if category:
        out["category"] = list(category)
    if kw:
        out["keywords"] = kw
    if parent:
        out["parent"] = parent
    if req:
        out["require_keywords"] = True
    if price_max is not None:
        out["price_max"] = price_max
    if price_min is not None:
        out["price_min"] = price_min
    return out


MOIST_BODY = "Skin Care > Body > Moisturizers"
FACE_MOIST = "Face > Creams & Moisturizers"
HAIR = "Beauty > Hair Care"
FACE = "Skin Care > Face"
SUNSCREEN = ("Sun > Skin Protection", "Sunscreens")
MEN_FRAG = "Fragrance > Men's"
WOMEN_FRAG = "Fragrance > Women's"
STYLING = ("Hair Sprays", "Pomades & Waxes", "Creams, Gels & Lotions", "Mousses & Foams")
ACNE = ["acne", "blemish", "blemishes", "pimple", "pimples", "breakout", "breakouts", "spot", "salicylic",
        "benzoyl"]

# (query, kind, intent) - English, over the Amazon Beauty 2014 catalog (titles and category paths)
AMAZON_HARD: list[tuple[str, str, dict[str, Any]]] = [
    # ---- descriptive needs and problems
    ("something for dry flaky skin in winter", "descriptive",
     I(MOIST_BODY, FACE_MOIST, kw=[["dry", "dryness", "hydrating", "moisturizing", "intensive", "repair", "butter",
                                    "rich", "extra"]])),
    ("my skin feels tight and rough after showering", "descriptive",
     I(MOIST_BODY, kw=[["dry", "hydrating", "moisturizing", "intensive", "repair", "butter", "shower"]])),
    ("stop my hair from getting puffy when it's humid", "descriptive",
     I(HAIR, kw=[["frizz", "frizzy", "anti-frizz", "smoothing", "humidity", "smooth", "sleek"]], req=True)),
    ("tame frizzy hair", "descriptive",
     I(HAIR, kw=[["frizz", "frizzy", "anti-frizz", "smoothing", "humidity", "smooth", "sleek"]], req=True)),
    ("get rid of pimples fast", "descriptive", I(FACE, kw=[ACNE], req=True)),
    ("clear up breakouts on my chin", "descriptive", I(FACE, kw=[ACNE], req=True)),
    ("teenage acne face wash", "attribute", I("Face > Cleansers", kw=[ACNE], req=True)),
    ("hide dark circles under my eyes", "descriptive",
     I("Concealers & Neutralizers", "Eyes > Dark Circle Treatments", "Eyes > Concealer & Base",
       kw=[["dark", "circle", "circles", "under eye", "under-eye", "concealer"]])),
    ("look less tired in the morning eyes", "descriptive",
     I("Skin Care > Eyes", kw=[["puffy", "puffiness", "dark", "circles", "bags", "depuffing", "tired", "awake",
                                "brightening", "revitalizing"]])),
    ("reduce bags under eyes", "descriptive",
     I("Puffiness Treatments", "Dark Circle Treatments", "Eyes > Creams", "Eyes > Gels", "Eyes > Serums",
       "Eyes > Rollers & Pens", kw=[["puffy", "puffiness", "bags", "depuffing", "de-puffing", "dark"]])),
    ("smooth out fine lines and wrinkles on my face", "descriptive",
     I(FACE, kw=[["wrinkle", "wrinkles", "anti-aging", "anti-wrinkle", "aging", "age", "lines", "firming",
                  "retinol", "collagen", "peptide", "lifting"]], req=True)),
    ("look younger skin cream", "descriptive",
     I(FACE_MOIST, "Eyes > Creams", kw=[["anti-aging", "aging", "age", "wrinkle", "wrinkles", "youth",
                                          "firming", "retinol", "collagen", "lifting", "renewal"]])),
    ("even out dark spots and skin tone", "descriptive",
     I(FACE, kw=[["dark spot", "dark spots", "brightening", "even", "tone", "hyperpigmentation", "lightening",
                  "whitening", "fade", "age spots", "vitamin c"]], req=True)),
    ("shrink my pores", "descriptive",
     I(FACE, "Makeup > Face", kw=[["pore", "pores", "minimizer", "minimizing", "refining"]], req=True)),
    ("get rid of blackheads on my nose", "descriptive",
     I(FACE, "Blemish Tools", kw=[["blackhead", "blackheads", "pore", "pores", "extractor", "nose"]], req=True)),
    ("oily shiny forehead by lunch", "descriptive",
     I("Blotting Paper", "Makeup > Face > Powder", "Foundation Primers", FACE,
       kw=[["oil", "oily", "matte", "mattifying", "blotting", "shine", "oil-free", "control"]], req=True)),
    ("redness on my cheeks cover up", "descriptive",
     I("Concealers & Neutralizers", "Foundation Primers", "Makeup > Face > Foundation", FACE,
       kw=[["redness", "red", "green", "corrector", "correcting", "rosacea", "calming"]], req=True)),
    ("sensitive skin that reacts to everything moisturizer", "descriptive",
     I(FACE_MOIST, MOIST_BODY, kw=[["sensitive", "gentle", "fragrance-free", "fragrance free", "hypoallergenic",
                                    "unscented", "calming", "soothing"]])),
    ("itchy flaky scalp", "descriptive",
     I(HAIR, kw=[["dandruff", "scalp", "itch", "itchy", "seborrheic", "flaking", "flakes", "tea tree"]], req=True)),
    ("white flakes on my shoulders shampoo", "descriptive",
     I("Shampoos", kw=[["dandruff", "scalp", "itch", "itchy", "seborrheic", "flaking", "flakes", "zinc"]],
       req=True)),
    ("my hair is falling out", "descriptive", I("Hair Loss Products", "Hair Regrowth Treatments",
                                                kw=[["loss", "regrowth", "thinning", "growth", "minoxidil"]])),
    ("bald spot treatment for men", "descriptive",
     I("Hair Loss Products", kw=[["men", "men's", "minoxidil", "regrowth", "loss"]])),
    ("thin fine hair needs more body", "descriptive",
     I(HAIR, kw=[["volume", "volumizing", "thickening", "thicken", "body", "fine", "thin", "fuller", "lift"]],
       req=True)),
    ("fix split ends", "descriptive",
     I("Hair & Scalp Treatments", "Hair Styling Serums", "Conditioners",
       kw=[["split ends", "split end", "ends", "repair", "damaged", "damage", "mend", "reconstruct"]], req=True)),
    ("repair hair fried from bleaching", "descriptive",
     I("Hair & Scalp Treatments", "Conditioners", kw=[["repair", "damaged", "damage", "reconstruct", "bond",
                                                       "keratin", "restore", "reconstructor", "protein"]],
       req=True)),
    ("make my hair shiny", "descriptive",
     I(HAIR, kw=[["shine", "shiny", "gloss", "glossing", "glossy", "luster", "brilliance"]], req=True)),
    ("bouncy defined curls without crunch", "descriptive",
     I("Styling Products", "Conditioners", kw=[["curl", "curls", "curly", "waves", "wavy", "ringlets"]],
       req=True)),
    ("keep my updo in place all night", "descriptive",
     I("Hair Sprays", "Pomades & Waxes", "Hair Pins", kw=[["hold", "firm", "strong", "extra", "pins"]])),
    ("cover grey roots between salon visits", "descriptive",
     I("Hair Color", kw=[["root", "roots", "gray", "grey", "touch-up", "touch up", "coverage", "cover"]])),
    ("brassy orange tones in blonde hair", "descriptive",
     I(HAIR, kw=[["purple", "violet", "silver", "blonde", "brassy", "toning", "toner"]], req=True)),
    ("straighten curly hair at home", "descriptive",
     I("Flattening Irons", "Hair Relaxers", "Hot-Air Brushes", "Texturizers",
       kw=[["straightening", "straightener", "straight", "flat", "relaxer", "smoothing"]])),
    ("beach waves hairstyle tool", "descriptive",
     I("Curling Irons", "Hair Rollers", "Crimping Irons", kw=[["wave", "waves", "waver", "wand", "beach"]])),
    ("dry my hair faster", "descriptive", I("Hair Dryers", "Hair Drying Towels",
                                             kw=[["fast", "quick", "speed", "powerful", "turbo", "ionic"]])),
    ("hair accessories to keep hair out of my face while working out", "descriptive",
     I("Headbands", "Ponytail Holders", "Clips", "Claws", "Hair Pins", "Barrettes")),
    ("relaxing bath after a long day", "descriptive",
     I("Bath > Minerals & Salts", "Bath > Bubble Bath", "Bath > Oils", "Bath Bombs", "Bath Pearls & Flakes",
       "Bath Pillows", kw=[["relax", "relaxing", "calm", "calming", "lavender", "soothing", "stress", "sleep"]])),
    ("sore muscles bath soak", "descriptive",
     I("Bath > Minerals & Salts", "Bath > Oils", "Bath > Bubble Bath",
       kw=[["epsom", "muscle", "muscles", "soak", "salts", "relief", "magnesium"]])),
    ("rough elbows and knees", "descriptive",
     I("Body Scrubs", MOIST_BODY, "Exfoliators", kw=[["scrub", "exfoliating", "rough", "smoothing", "butter",
                                                       "urea", "repair"]])),
    ("dead skin on my heels", "descriptive",
     I("Foot Rasps", kw=[["foot", "feet", "heel", "heels", "callus", "calluses", "pumice"]], parent=["Skin Care"])),
    ("cracked dry feet cream", "descriptive",
     I("Skin Care", kw=[["foot", "feet", "heel", "heels", "callus"]], req=True)),
    ("stretch marks from pregnancy", "descriptive",
     I("Maternity", "Skin Care > Body", kw=[["stretch", "pregnancy", "maternity", "belly", "scar", "scars"]],
       req=True)),
    ("firm up cellulite on thighs", "descriptive",
     I("Skin Care > Body", kw=[["cellulite", "firming", "toning", "tightening", "contour"]], req=True)),
    ("sunburn relief", "descriptive", I("After Sun", kw=[["aloe", "after sun", "cooling", "soothing", "burn"]],
                                         parent=["Skin Care > Sun"])),
    ("tan without the sun", "descriptive", I("Self-Tanners & Bronzers", "Self Tanners")),
    ("protect my face from the sun every day", "descriptive",
     I(*SUNSCREEN, "Tinted Moisturizers", "Day Creams", kw=[["spf", "sunscreen", "sun", "uv", "broad spectrum"]])),
    ("sunscreen that won't break me out", "descriptive",
     I(*SUNSCREEN, kw=[["oil-free", "oil free", "acne", "sensitive", "non-comedogenic", "face", "facial",
                        "mineral", "zinc"]])),
    ("sunscreen that stays on in the pool", "descriptive",
     I(*SUNSCREEN, kw=[["sport", "sports", "water resistant", "waterproof", "water-resistant", "swim",
                        "water"]])),
    ("mascara that won't run when i cry", "descriptive",
     I("Mascara", kw=[["waterproof", "water resistant", "water-resistant", "smudge", "tubing", "smudge-proof"]])),
    ("make my lashes look longer", "descriptive",
     I("Mascara", "Fake Eyelashes & Adhesives", "Eyelash Tools > Curlers",
       kw=[["length", "lengthening", "long", "longer", "growth", "grow", "volume", "extension"]])),
    ("fill in sparse eyebrows", "descriptive",
     I("Eyebrow Color", kw=[["brow", "brows", "eyebrow", "eyebrows", "pencil", "powder", "gel"]])),
    ("cover a tattoo", "descriptive",
     I("Concealers & Neutralizers", "Body > Concealer", "Makeup > Face > Foundation",
       kw=[["tattoo", "full coverage", "coverage", "waterproof", "camouflage", "cover"]], req=True)),
    ("lipstick that lasts through dinner", "descriptive",
     I("Lipstick", "Lip Stains", kw=[["long lasting", "long-lasting", "lasting", "wear", "stay", "24", "smudge",
                                      "transfer", "stain"]])),
    ("plump up thin lips", "descriptive", I("Lip Plumpers", kw=[["plump", "plumping", "plumper", "volume"]],
                                             parent=["Makeup > Lips"])),
    ("take off my makeup at night", "descriptive",
     I("Makeup Remover", "Face > Cleansers", kw=[["makeup", "remover", "removing", "make-up", "cleansing"]])),
    ("gently exfoliate my face", "descriptive",
     I("Exfoliators & Scrubs", "Microdermabrasion", "Acids & Peels", "Face Cleansing Brushes")),
    ("at home chemical peel", "descriptive",
     I("Acids & Peels", kw=[["peel", "glycolic", "lactic", "salicylic", "acid"]])),
    ("paint my nails without waiting ages for them to dry", "descriptive",
     I("Nail Dryers", "Top & Base Coats", kw=[["dry", "dryer", "drying", "quick", "fast"]], req=True)),
    ("do gel nails at home", "descriptive",
     I("Nail Polish", "Nail Art Equipment", "Nail Tools > Sets & Kits", "Top & Base Coats", "Nail Dryers",
       kw=[["gel"], ], req=True)),
    ("nails keep breaking and peeling", "descriptive",
     I("Nail Treatments", "Nail Thickening Solution", "Cuticle Care",
       kw=[["strengthener", "strengthening", "growth", "repair", "hardener", "strong", "stronger", "treatment"]])),
    ("ragged cuticles", "descriptive", I("Cuticle Care", "Cuticle Pushers")),
    ("stay fresh after the gym", "descriptive",
     I("Body Sprays", "Body Washes", kw=[["deodorant", "body spray", "body mist", "antiperspirant", "fresh",
                                          "sport", "refreshing"]])),
    ("smell like vanilla", "descriptive", I(kw=[["vanilla"]], parent=["Fragrance"])),
    ("carry my makeup when i travel", "descriptive",
     I("Cosmetic Bags", "Train Cases", "Travel Cases & Holders", "Toiletry Bags", "Brush Bags")),
    ("bottles for shampoo on a plane", "descriptive",
     I("Refillable Containers", "Travel Cases & Holders", "Toiletry Bags", kw=[["travel", "bottle", "bottles"]])),
    ("see my face better when doing makeup", "descriptive", I("Makeup Mirrors")),
    ("mirror with lights", "attribute",
     I("Mirrors", kw=[["lighted", "led", "light", "lights", "illuminated", "lighting"]], req=True)),
    ("start a makeup routine as a beginner", "descriptive",
     I("Makeup Sets", "Makeup Palettes", "Makeup Brushes & Tools > Sets & Kits")),
    # ---- recipients and occasions
    ("gift for a man who likes to smell good", "occasion", I(MEN_FRAG, "Fragrance > Men's > Sets")),
    ("gift set for a man who shaves", "occasion",
     I(kw=[["shave", "shaving", "aftershave", "after shave", "razor", "beard"]], parent=[MEN_FRAG])),
    ("birthday perfume for my girlfriend", "occasion", I(WOMEN_FRAG)),
    ("mother's day pamper gift", "occasion",
     I("Bath & Body > Sets", "Skin Care > Sets & Kits", "Bath > Minerals & Salts", "Bath Bombs", "Bubble Bath",
       "Women's > Sets", "Body Butter", kw=[["gift", "set", "kit", "collection", "spa"]])),
    ("stocking stuffer nail polish set", "occasion",
     I("Nail Polish", kw=[["set", "kit", "mini", "pack", "collection", "piece", "pc", "pcs"]], req=True)),
    ("perfume for a little girl", "occasion", I("Fragrance > Children's", kw=[["girl", "girls", "kids"]],
                                                 parent=[WOMEN_FRAG])),
    ("baby shampoo that doesn't sting eyes", "occasion",
     I("Shampoos", "Body Washes", kw=[["baby", "kids", "tear-free", "tear free", "children", "kid"]], req=True)),
    ("body wash for men", "attribute", I("Body Washes", kw=[["men", "men's", "man"]], req=True)),
    ("cologne for a teenage boy", "occasion", I(MEN_FRAG)),
    ("something nice for a bridesmaid", "occasion",
     I("Makeup Sets", "Women's > Sets", "Bath & Body > Sets", "Cosmetic Bags", "Skin Care > Sets & Kits",
       kw=[["gift", "set", "kit", "collection"]])),
    ("halloween glitter for face and body", "occasion",
     I("Body Glitter", "Glitter & Shimmer", "Body Paint", kw=[["glitter", "shimmer"]])),
    ("wedding day waterproof makeup", "occasion",
     I("Mascara", "Eyeliner", "Foundation", kw=[["waterproof", "water resistant", "long wear", "long-wear",
                                                  "long lasting", "long-lasting"]], req=True)),
    ("beach holiday essentials sun", "occasion", I(*SUNSCREEN, "Tanning Oils", "After Sun")),
    ("gift for a coworker under ten dollars hand cream", "occasion", I("Hand Creams & Lotions")),
    # ---- vocabulary the catalog does not use
    ("zit cream", "synonym", I(FACE, kw=[ACNE], req=True)),
    ("spot treatment", "synonym", I(FACE, kw=[ACNE], req=True)),
    ("hair straightener", "synonym", I("Flattening Irons")),
    ("hair straighteners", "synonym", I("Flattening Irons")),
    ("curling tongs", "synonym", I("Curling Irons")),
    ("curling wand", "synonym", I("Curling Irons")),
    ("blowdryer", "synonym", I("Hair Dryers")),
    ("hairdryer", "synonym", I("Hair Dryers")),
    ("sunblock", "synonym", I(*SUNSCREEN)),
    ("sun cream", "synonym", I(*SUNSCREEN)),
    ("fake tan", "synonym", I("Self-Tanners & Bronzers", "Self Tanners")),
    ("sunless tanner", "synonym", I("Self-Tanners & Bronzers", "Self Tanners")),
    ("lash glue", "synonym", I("Fake Eyelashes & Adhesives", kw=[["adhesive", "glue"]])),
    ("false eyelashes", "synonym", I("Fake Eyelashes & Adhesives")),
    ("strip lashes", "synonym", I("Fake Eyelashes & Adhesives")),
    ("press on nails", "synonym", I("False Nails")),
    ("fake nails", "synonym", I("False Nails")),
    ("nail varnish", "synonym", I("Nail Polish")),
    ("nail varnish remover", "synonym", I("Nail Polish Remover")),
    ("acetone", "synonym", I("Nail Polish Remover")),
    ("emery board", "synonym", I("Nail Files & Buffers")),
    ("blusher", "synonym", I("Face > Blush")),
    ("eye pencil", "synonym", I("Eyeliner", "Eyebrow Color", kw=[["pencil"]])),
    ("kohl", "synonym", I("Eyeliner")),
    ("lippy", "synonym", I("Makeup > Lips")),
    ("lip colour", "synonym", I("Lipstick", "Lip Stains", "Lip Glosses")),
    ("hair colour", "synonym", I("Hair Color")),
    ("moisturiser for face", "synonym", I(FACE_MOIST)),
    ("face lotion", "synonym", I(FACE_MOIST)),
    ("shower gel", "synonym", I("Body Washes")),
    ("scent for her", "synonym", I(WOMEN_FRAG)),
    ("aftershave", "synonym", I(MEN_FRAG, kw=[["aftershave", "after shave"]])),
    ("q tips", "synonym", I("Cotton Swabs")),
    ("cotton buds", "synonym", I("Cotton Swabs")),
    ("cotton wool", "synonym", I("Cotton Balls", "Cotton Swabs")),
    ("bobby pins", "synonym", I("Hair Pins", "Clips", kw=[["bobby", "pins", "pin"]])),
    ("hair grips", "synonym", I("Hair Pins", "Clips")),
    ("hair bobbles", "synonym", I("Ponytail Holders")),
    ("scrunchies", "synonym", I("Ponytail Holders")),
    ("hair ties", "synonym", I("Ponytail Holders")),
    ("alice band", "synonym", I("Headbands")),
    ("washcloth", "synonym", I("Bath Mitts & Cloths")),
    ("shower puff", "synonym", I("Loofahs, Sponges & Poufs")),
    ("makeup bag", "synonym", I("Cosmetic Bags", "Train Cases", "Travel Cases & Holders")),
    ("vanity case", "synonym", I("Train Cases", "Cosmetic Bags")),
    ("beauty blender", "synonym", I("Puffs, Sponges & Wedges")),
    ("hot rollers", "synonym", I("Hair Rollers")),
    ("hair wax", "synonym", I("Pomades & Waxes")),
    ("toupee", "synonym", I("Hairpieces", "Wigs")),
    ("pumice stone", "synonym", I("Foot Rasps", kw=[["pumice", "stone"]])),
    ("dye for my beard", "synonym", I("Hair Color", kw=[["beard", "men", "men's", "mustache"]])),
    # ---- misspellings (written by hand)
    ("mascarra", "typo", I("Mascara")),
    ("foundaton", "typo", I("Makeup > Face > Foundation")),
    ("moisturizor", "typo", I(FACE_MOIST, MOIST_BODY)),
    ("shampo for dandruf", "typo",
     I("Shampoos", kw=[["dandruff", "scalp", "itch", "itchy", "seborrheic", "flaking"]], req=True)),
    ("condtioner", "typo", I("Conditioners")),
    ("lipstik", "typo", I("Lipstick")),
    ("perfum for women", "typo", I(WOMEN_FRAG)),
    ("colonge for men", "typo", I(MEN_FRAG)),
    ("nail polsh", "typo", I("Nail Polish")),
    ("concealor", "typo", I("Concealers & Neutralizers", "Eyes > Concealer & Base", "Body > Concealer")),
    ("bronzor", "typo", I("Bronzers & Highlighters", "Bronzing Powder", "Self-Tanners & Bronzers")),
    ("straightner", "typo", I("Flattening Irons")),
    ("curlling iron", "typo", I("Curling Irons")),
    ("argon oil", "typo", I(kw=[["argan"]], parent=[HAIR])),
    ("keratine treatment", "typo", I(HAIR, kw=[["keratin"]], req=True)),
    ("tee tree shampoo", "typo", I("Shampoos", kw=[["tea tree"]], req=True)),
    ("hyularonic acid serum", "typo", I("Oils & Serums", "Eyes > Serums", kw=[["hyaluronic"]])),
    ("vitamin c seruum", "typo", I("Oils & Serums", kw=[["vitamin c", "c"]])),
    ("sunscren", "typo", I(*SUNSCREEN)),
    ("eyebrow pencel", "typo", I("Eyebrow Color", kw=[["pencil"]])),
    ("exfoliater for face", "typo", I("Exfoliators & Scrubs", "Microdermabrasion", "Acids & Peels")),
    ("clarasonic brush", "typo", I("Face Cleansing Brushes", kw=[["clarisonic"]])),
    ("cuticule oil", "typo", I("Cuticle Creams & Oils")),
    ("buble bath", "typo", I("Bubble Bath")),
    ("body lotoin", "typo", I("Body > Moisturizers > Lotions")),
    ("eye lash curler", "typo", I("Eyelash Tools > Curlers")),
    ("make up remover", "typo", I("Makeup Remover")),
    ("tweezerman nail clipers", "typo", I("Clippers & Trimmers")),
    ("retinal night cream", "typo", I("Night Creams", kw=[["retinol"]])),
    ("highliter makeup", "typo", I("Bronzers & Highlighters", kw=[["highlighter", "highlighting", "illuminator",
                                                                   "luminizer"]])),
    # ---- head and attribute queries (so the set is not one-sided)
    ("shampoo", "head", I("Hair Care > Shampoos")),
    ("conditioner", "head", I("Hair Care > Conditioners")),
    ("nail polish", "head", I("Nail Polish")),
    ("mascara", "head", I("Mascara")),
    ("eyeliner", "head", I("Eyeliner")),
    ("lipstick", "head", I("Lipstick")),
    ("foundation", "head", I("Makeup > Face > Foundation")),
    ("body lotion", "head", I("Body > Moisturizers > Lotions")),
    ("face cleanser", "head", I("Face > Cleansers")),
    ("hair dryer", "head", I("Hair Dryers")),
    ("curling iron", "head", I("Curling Irons")),
    ("flat iron", "head", I("Flattening Irons")),
    ("makeup brushes", "head", I("Brushes & Applicators", "Makeup Brushes & Tools > Sets & Kits")),
    ("wig", "head", I("Wigs")),
    ("body scrub", "head", I("Body Scrubs")),
    ("eye cream", "head", I("Eyes > Creams", "Skin Care > Eyes")),
    ("hair spray", "head", I("Hair Sprays")),
    ("eye shadow palette", "head", I("Eye Shadow", "Makeup Palettes", kw=[["palette"]])),
    ("argan oil shampoo", "attribute", I("Shampoos", kw=[["argan"]])),
    ("sulfate free shampoo", "attribute", I("Shampoos", kw=[["sulfate-free", "sulfate free", "sulphate free",
                                                              "sulfate", "no sulfate"]])),
    ("red nail polish", "attribute", I("Nail Polish", kw=[["red"]])),
    ("waterproof mascara", "attribute", I("Mascara", kw=[["waterproof"]])),
    ("matte lipstick", "attribute", I("Lipstick", kw=[["matte"]])),
    ("vitamin c serum", "attribute", I("Oils & Serums", kw=[["vitamin c", "c"]])),
    ("hyaluronic acid serum", "attribute", I("Oils & Serums", "Eyes > Serums", kw=[["hyaluronic"]])),
    ("retinol night cream", "attribute", I("Night Creams", kw=[["retinol"]])),
    ("ceramic flat iron", "attribute", I("Flattening Irons", kw=[["ceramic"]])),
    ("ionic hair dryer", "attribute", I("Hair Dryers", kw=[["ionic"]])),
    ("tea tree oil shampoo", "attribute", I("Shampoos", kw=[["tea tree"]])),
    ("coconut body lotion", "attribute", I("Body > Moisturizers", kw=[["coconut"]])),
    ("spf 30 sunscreen", "attribute", I(*SUNSCREEN, kw=[["30"]])),
    ("glitter nail polish", "attribute", I("Nail Polish", kw=[["glitter"]])),
    ("purple shampoo", "attribute", I("Shampoos", kw=[["purple", "violet", "silver"]])),
    ("lavender bath salts", "attribute", I("Minerals & Salts", kw=[["lavender"]])),
    ("charcoal face mask", "attribute", I("Face > Treatments & Masks", kw=[["charcoal"]])),
    ("kabuki brush", "attribute", I("Brushes & Applicators", kw=[["kabuki"]])),
    ("mineral powder foundation", "attribute", I("Makeup > Face", kw=[["mineral"], ["powder", "foundation"]])),
    ("pink lip gloss", "attribute", I("Lip Glosses", kw=[["pink"]])),
    ("clip in hair extensions", "attribute", I("Hair Extensions", kw=[["clip", "clip-in", "clips"]])),
    ("collagen eye cream", "attribute", I("Skin Care > Eyes", kw=[["collagen"]])),
    ("organic shea butter", "attribute", I(kw=[["shea"], ["organic"]], parent=["Skin Care"])),
    ("salicylic acid cleanser", "attribute", I("Face > Cleansers", kw=[["salicylic"]])),
    ("boar bristle brush", "attribute", I("Styling Tools > Brushes", kw=[["boar"]])),
    ("uv nail lamp", "attribute", I("Nail Dryers", "Nail Art Equipment", kw=[["uv", "led"], ["lamp", "light",
                                                                                               "dryer"]],
                                    req=True)),
    # ---- not in a beauty catalog
    ("wireless earbuds", "not_in_catalog", I(kw=[["earbuds", "earphones"]])),
    ("printer ink cartridge", "not_in_catalog", I(kw=[["printer"]])),
    ("shampoo for my dog", "attribute", I("Shampoos", kw=[["dog", "dogs", "puppy", "pet"]], req=True)),
]


# (query, kind, intent) - Chinese (and pinyin) over the demo shop (seed 42)
D = I
DEMO_HARD: list[tuple[str, str, dict[str, Any]]] = [
    # ---- needs, recipients, occasions
    ("送男朋友的生日礼物 手表", "occasion", D("Men > Accessories > Watches", parent=["Smartwatches"])),
    ("给老公买块表", "occasion", D("Men > Accessories > Watches", parent=["Smartwatches"])),
    ("送女朋友 香水", "occasion", D("Perfume")),
    ("情人节 送她 口红", "occasion", D("Lipstick")),
    ("情人节 巧克力 礼盒", "occasion", D("Chocolate", kw=[["礼盒"]])),
    ("送长辈 好茶叶", "occasion", D("Tea")),
    ("新婚 床上用品 四件套", "occasion", D("Bedding Sets")),
    ("约会 穿的裙子", "occasion", D("Dresses")),
    ("面试 穿的皮鞋", "occasion", D("Leather Shoes")),
    ("周末 去露营 睡觉用", "occasion", D("Tents", parent=["Duvets"])),
    ("去爬山 背东西", "occasion", D("Hiking Backpacks")),
    ("海边度假 穿的鞋", "occasion", D("Sandals")),
    ("冬天 保暖 外套 女", "descriptive", D("Down Jackets", parent=["Jackets"])),
    ("下雪天 不滑 的靴子", "descriptive", D("Boots", kw=[["防滑"]])),
    ("夏天 出门 怕晒黑", "descriptive", D("Sunscreen")),
    ("脸很干 需要补水", "descriptive", D("Moisturisers", "Serums", kw=[["补水", "滋润"]], req=True)),
    ("皮肤 松弛 紧致", "descriptive", D("Serums", "Moisturisers", kw=[["紧致"]], req=True)),
    ("脸上 出油 控油 底妆", "descriptive", D("Foundation", kw=[["控油"]])),
    ("遮住 痘印 的粉底", "descriptive", D("Foundation", kw=[["高遮瑕"]])),
    ("口红 喝水 不掉色", "descriptive", D("Lipstick", kw=[["不沾杯", "持久"]])),
    ("香味 持久 的香水", "descriptive", D("Perfume", kw=[["留香持久"]])),
    ("手机 摔了 容易碎 保护", "descriptive", D("Phone Cases", kw=[["防摔"]])),
    ("手机 没电 快 充电", "descriptive", D("Chargers", kw=[["快充"]])),
    ("地铁上 听歌 无线", "descriptive", D("Earbuds")),
    ("打游戏 不延迟 耳机", "descriptive", D("Earbuds", kw=[["低延迟"]])),
    ("学生 写论文 轻薄 电脑", "descriptive", D("Laptops", kw=[["轻薄"]])),
    ("跑步 记录 心率", "descriptive", D("Smartwatches", kw=[["心率监测"]])),
    ("早上 在家 做拿铁", "descriptive", D("Coffee Makers", kw=[["奶泡"]])),
    ("炒菜 不粘 的锅", "descriptive", D("Cookware", kw=[["不粘"]])),
    ("上班 带水 不漏", "descriptive", D("Water Bottles", kw=[["防漏"]])),
    ("衣柜 太乱 整理", "descriptive", D("Storage")),
    ("冬天 盖的 厚被子", "descriptive", D("Duvets", kw=[["保暖"]])),
    ("对尘螨过敏 被子", "descriptive", D("Duvets", "Bedding Sets", kw=[["防螨"]], req=True)),
    ("家里 雾霾 空气 不好", "descriptive", D("Air Purifiers")),
    ("卧室 用 安静 的净化器", "descriptive", D("Air Purifiers", kw=[["静音"]])),
    ("追剧 吃的 小零食", "descriptive", D("Nuts", "Chocolate")),
    ("控糖 也能吃 的巧克力", "descriptive", D("Chocolate", kw=[["低糖"]])),
    ("健身 增肌 喝的 高蛋白 奶", "descriptive", D("Milk", kw=[["高蛋白"]])),
    ("家里 练 手臂 力量", "descriptive", D("Dumbbells")),
    ("初学者 练瑜伽 垫子 不滑", "descriptive", D("Yoga Mats", kw=[["防滑"]])),
    ("健身房 穿 的裤子 女", "descriptive", D("Leggings")),
    ("骑自行车 保护 头", "descriptive", D("Helmets")),
    ("夜里 骑车 安全 头盔", "descriptive", D("Helmets", kw=[["尾灯"]])),
    ("跑马拉松 穿的 鞋", "descriptive", D("Running Shoes", parent=["Sneakers"])),
    ("夏天 穿 不闷 的T恤", "descriptive", D("T-Shirts", "Tops", kw=[["透气", "速干"]])),
    ("煮饭 好吃 的新米", "descriptive", D("Rice", kw=[["新米"]])),
    ("提神 醒脑 现磨", "descriptive", D("Coffee Beans")),
    ("下雨天 出门 装电脑 的包", "descriptive", D("Handbags", "Hiking Backpacks", kw=[["防水"]], req=True)),
    # ---- words the shop does not use
    ("防晒霜", "synonym", D("Sunscreen")),
    ("保湿霜", "synonym", D("Moisturisers")),
    ("眼霜 精华液", "synonym", D("Serums")),
    ("蓝牙耳机", "synonym", D("Earbuds")),
    ("运动手环", "synonym", D("Smartwatches")),
    ("保温杯", "synonym", D("Water Bottles", kw=[["保温"]])),
    ("棉被", "synonym", D("Duvets")),
    ("运动鞋 女", "synonym", D("Women > Shoes > Sneakers")),
    ("打底裤", "synonym", D("Leggings")),
    ("背包 户外", "synonym", D("Hiking Backpacks")),
    ("包包 女", "synonym", D("Handbags")),
    ("笔记本", "synonym", D("Laptops")),
    ("平底锅", "synonym", D("Cookware")),
    ("收纳箱", "synonym", D("Storage")),
    ("充电头", "synonym", D("Chargers")),
    # ---- pinyin (full and initials)
    ("fangshai", "pinyin", D("Sunscreen")),
    ("yurongfu nv", "pinyin", D("Down Jackets")),
    ("kouhong", "pinyin", D("Lipstick")),
    ("dengshanbao", "pinyin", D("Hiking Backpacks")),
    ("kafeiji", "pinyin", D("Coffee Makers")),
    ("yujiadian", "pinyin", D("Yoga Mats")),
    ("niuzaiku", "pinyin", D("Jeans")),
    ("shoujike", "pinyin", D("Phone Cases")),
    ("kqjhq", "pinyin", D("Air Purifiers")),
    ("yrf", "pinyin", D("Down Jackets")),
    ("pbx", "pinyin", D("Running Shoes")),
    # ---- traditional characters
    ("羽絨服 輕盈", "traditional", D("Down Jackets", kw=[["轻盈"]])),
    ("藍牙耳機 防水", "traditional", D("Earbuds", kw=[["防水"]])),
    ("咖啡機 可預約", "traditional", D("Coffee Makers", kw=[["可预约"]])),
    ("登山包 防水", "traditional", D("Hiking Backpacks", kw=[["防水"]])),
    ("空氣淨化器", "traditional", D("Air Purifiers")),
    ("瑜伽墊 環保", "traditional", D("Yoga Mats", kw=[["环保"]])),
    ("筆記本電腦 長續航", "traditional", D("Laptops", kw=[["长续航"]])),
    ("連衣裙 真絲", "traditional", D("Dresses", kw=[["桑蚕丝"]])),
    ("紅茶 禮物 送長輩", "traditional", D("Tea")),
    # ---- typos (IME homophones and common variants, written by hand)
    ("哑玲", "typo", D("Dumbbells")),
    ("瑜珈垫", "typo", D("Yoga Mats")),
    ("牛崽裤", "typo", D("Jeans")),
    ("连衣群", "typo", D("Dresses")),
    ("羽绒符", "typo", D("Down Jackets")),
    ("咖啡几", "typo", D("Coffee Makers")),
    ("防哂", "typo", D("Sunscreen")),
    ("跑布鞋", "typo", D("Running Shoes")),
    ("智能手彪", "typo", D("Smartwatches")),
    ("空气净画器", "typo", D("Air Purifiers")),
    # ---- price constraints
    ("300块以下的连衣裙", "price", D("Dresses", price_max=300)),
    ("三千以内的手机", "price", D("Smartphones", price_max=3000)),
    ("三百左右 耳机 不超过三百五", "price", D("Earbuds", price_max=350)),
    ("便宜的 瑜伽垫 100元以下", "price", D("Yoga Mats", price_max=100)),
    ("500元以内 送男朋友", "price", D("Men", price_max=500)),
    ("学生党 平价 口红 100以内", "price", D("Lipstick", price_max=100)),
    ("预算5000 笔记本电脑", "price", D("Laptops", price_max=5000)),
    ("羽绒服 800到1500元", "price", D("Down Jackets", price_min=800, price_max=1500)),
    ("咖啡豆 不超过120元", "price", D("Coffee Beans", price_max=120)),
    ("paobuxie 400yuan yixia", "price", D("Running Shoes", price_max=400)),
    ("跑鞋 四百以下", "price", D("Running Shoes", price_max=400)),
    # ---- head and attribute
    ("连衣裙", "head", D("Dresses")),
    ("智能手机", "head", D("Smartphones")),
    ("帐篷", "head", D("Tents")),
    ("牛仔裤 男", "head", D("Jeans")),
    ("面霜", "head", D("Moisturisers")),
    ("红色 口红", "attribute", D("Lipstick", kw=[["红"]])),
    ("铸铁 锅", "attribute", D("Cookware", kw=[["铸铁"]])),
    ("白鹅绒 羽绒服", "attribute", D("Down Jackets", kw=[["白鹅绒"]])),
    ("玻尿酸 精华", "attribute", D("Serums", kw=[["玻尿酸"]])),
    ("氮化镓 充电器", "attribute", D("Chargers", kw=[["氮化镓"]])),
    ("磁吸 手机壳", "attribute", D("Phone Cases", kw=[["磁吸"]])),
    # ---- not in this shop
    ("婴儿 纸尿裤", "not_in_catalog", D(kw=[["纸尿裤", "尿不湿"]])),
    ("汽车 机油", "not_in_catalog", D(kw=[["机油"]])),
]


def write_set(name: str, items: list[dict[str, Any]], queries: list[tuple[str, str, dict[str, Any]]],
              out: Path) -> None:
    (out / "catalogs").mkdir(parents=True, exist_ok=True)
    with (out / "catalogs" / f"{name.removesuffix('-hard')}.items.jsonl").open("w", encoding="utf-8") as f:
        for r in items:
            f.write(json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False) + "\n")
    seen: set[str] = set()
    lines: dict[str, list[str]] = {"all": [], "tune": [], "heldout": []}
    for query, kind, intent in queries:
        assert query not in seen, f"{name}: {query!r} twice"
        seen.add(query)
        judgments = judge(items, intent)
        if kind == "not_in_catalog":
            assert not judgments, f"{name}: {query!r} is in the catalog: {list(judgments)[:5]}"
        elif not any(g >= 2 or (g >= 1 and not intent.get("category")) for g in judgments.values()):
            raise SystemExit(f"{name}: {query!r} ({kind}) has no relevant item; fix its intent")
        split = split_of(query)
        line = json.dumps({"query": query, "kind": kind, "split": split, "intent": intent,
                           "judgments": judgments}, ensure_ascii=False)
        lines["all"].append(line)
        lines[split].append(line)
    for part, rows in lines.items():
        suffix = "" if part == "all" else f".{part}"
        (out / f"{name}{suffix}.queries.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"{name}: {len(items):,} items, {len(lines['all'])} queries "
          f"({len(lines['tune'])} tune, {len(lines['heldout'])} held out)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(HERE.parents[2] / ".." / "shared" / "data"))
    ap.add_argument("--out", default=str(HERE))
    args = ap.parse_args()
    data, out = Path(args.data).resolve(), Path(args.out)
    write_set("amazon-beauty-hard", amazon_items(data), AMAZON_HARD, out)
    write_set("demo-zh-hard", demo_items(), DEMO_HARD, out)


if __name__ == "__main__":
    main()
