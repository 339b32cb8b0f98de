"""MovieLens (100K, 1M, CSV releases) and RecBole atomic files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shopmind.data.loaders import read

GENRE_FLAGS = "0|1|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0"  # Action, Comedy


def _ml100k(write, gz: bool = False) -> Path:
    write("ml-100k/u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\n", gz=False)
    write("ml-100k/u.item" + (".gz" if gz else ""),
          f"242|Kolya (1996)|24-Jan-1997||http://imdb/kolya|{GENRE_FLAGS}\n"
          f"302|Caf\xe9 (1997)|||http://x|{'|'.join(['0'] * 19)}\n", encoding="latin-1", gz=gz)
    path = write("ml-100k/u.user", "196|49|M|writer|55105\n186|39|F|executive|00000\n")
    return path.parent


def test_ml100k_directory(write):
    res = read(_ml100k(write))
    assert res.format == "movielens-100k"
    ev = res.events
    assert ev[["user_id", "item_id", "type", "value", "timestamp"]].values.tolist() == [
        ["196", "242", "rating", 3, 881250949], ["186", "302", "rating", 3, 891717742]]
    assert [(r.row, r.value) for r in res.rejects] == [(3, "22\t377")]
    items = res.items.set_index("item_id")
    assert items.loc["242", "category"] == "Action|Comedy"
    assert items.loc["242", "created_at"] == "1997-01-24"
    assert items.loc["242", "attributes"] == {"imdb_url": "http://imdb/kolya"}
    assert items.loc["302", "title"] == "Café (1997)" and pd.isna(items.loc["302", "category"])
    assert res.users.loc[0, "attributes"] == {"age": "49", "gender": "M", "occupation": "writer",
                                              "zip_code": "55105"}


def test_ml100k_from_u_data_file_with_gzipped_sibling(write):
    folder = _ml100k(write, gz=True)
    assert not (folder / "u.item").exists()
    res = read(folder / "u.data")
    assert res.format == "movielens-100k" and len(res.items) == 2
    catalog = read(folder / "u.item.gz")
    assert catalog.events is None and catalog.items["category"].iloc[0] == "Action|Comedy"


def test_ml1m_dat_files(write):
    write("ml-1m/ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::1193\n")
    write("ml-1m/movies.dat", "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
                              "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n",
          encoding="latin-1")
    path = write("ml-1m/users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n")
    res = read(path.parent)
    assert res.format == "movielens-1m"
    assert res.counts() == {"events": 2, "items": 2, "users": 2, "rejected": 1}
    assert res.events["value"].tolist() == [5, 3]
    assert res.events["timestamp"].tolist() == [978300760, 978302109]
    assert res.items.loc[1, "category"] == "Animation|Children's|Musical"
    assert res.users.loc[0, "attributes"]["gender"] == "F"
    assert res.rejects[0].row == 3 and res.rejects[0].value == "2::1193"
    only_movies = read(path.parent / "movies.dat")
    assert only_movies.events is None and len(only_movies.items) == 2


def test_movielens_csv_release(write):
    write("ml-latest/ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n")
    path = write("ml-latest/movies.csv",
                 'movieId,title,genres\n1,"Toy Story, The (1995)",Adventure|Animation\n')
    res = read(path.parent)
    assert res.format == "movielens-csv"
    assert res.events["value"].tolist() == [4.0]
    assert res.items.loc[0, "title"] == "Toy Story, The (1995)"
